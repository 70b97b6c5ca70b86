from pathlib import Path

from gallery import kaggle
from tests.helpers import DATASET


def test_name_key_lands_all_three_spellings_of_durer_on_one_key():
    assert kaggle.name_key("Albrecht Dürer") == "albrecht durer"
    assert kaggle.name_key("Albrecht_Durer") == "albrecht durer"
    assert kaggle.name_key("Albrecht_Du╠êrer") == "albrecht durer"  # the Kaggle archive's mojibake folder
    assert kaggle.name_key("Pierre-Auguste_Renoir") == kaggle.name_key("Pierre-Auguste Renoir")


def test_parse_years_accepts_hyphen_and_en_dash():
    assert kaggle.parse_years("1884 - 1920") == (1884, 1920)
    assert kaggle.parse_years("1853 – 1890") == (1853, 1890)
    assert kaggle.parse_years("unknown") == (None, None)


def test_read_artists_csv_of_the_real_dataset():
    records = {r.name: r for r in kaggle.read_artists_csv(DATASET / "artists.csv")}
    assert len(records) == 50
    kandinsky = records["Vasiliy Kandinskiy"]
    assert kandinsky.genres == ["Expressionism", "Abstractionism"]
    assert (kandinsky.birth_year, kandinsky.death_year) == (1866, 1944)
    assert kandinsky.wikipedia_url.startswith("http://en.wikipedia.org/")


def test_iter_images_takes_artists_in_turn(tmp_path: Path):
    for folder, count in (("Claude_Monet", 3), ("Edgar_Degas", 1)):
        (tmp_path / folder).mkdir()
        for n in range(1, count + 1):
            (tmp_path / folder / f"{folder}_{n * 10}.jpg").write_bytes(b"x")
    (tmp_path / "Claude_Monet" / "notes.txt").write_text("not an image")
    order = [(image.folder, image.number) for image in kaggle.iter_images(tmp_path)]
    assert order == [("Claude_Monet", "10"), ("Edgar_Degas", "10"), ("Claude_Monet", "20"), ("Claude_Monet", "30")]


def test_find_images_dir_accepts_the_kaggle_zip_nesting(tmp_path: Path):
    (tmp_path / "images" / "images" / "Raphael").mkdir(parents=True)
    assert kaggle.find_images_dir(tmp_path) == tmp_path / "images" / "images"


def test_titles_name_the_artist_and_index(tmp_path: Path):
    image = kaggle.ImageFile(path=tmp_path / "Claude_Monet_36.jpg", folder="Claude_Monet", number="36")
    assert kaggle.title_for("Claude Monet", image) == "Claude Monet, no. 36"
