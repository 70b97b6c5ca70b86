"""Perceptual hashes are stored with every artwork, so the function must keep giving imagehash's own values."""

import io

import imagehash
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from gallery import images
from tests.helpers import MET_SAMPLE, make_image_bytes


def test_perceptual_hash_is_imagehash_phash_then_dhash():
    pixels = np.random.default_rng(7).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    for picture in (Image.fromarray(pixels), Image.fromarray(pixels).convert("RGBA"), Image.fromarray(pixels[..., 0])):
        expected = f"{imagehash.phash(picture)}{imagehash.dhash(picture)}"
        assert images.perceptual_hash(picture) == expected and len(expected) == 32


def _full_decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _differing_bits(first: str, second: str) -> int:
    return bin(int(first, 16) ^ int(second, 16)).count("1")


@pytest.mark.parametrize(("size", "working_size"), [((2400, 1800), (600, 450)), ((1000, 1000), (500, 500)),
                                                    ((800, 600), (800, 600))])
def test_a_large_jpeg_is_decoded_at_a_whole_fraction_of_its_size(size, working_size):
    data = make_image_bytes(size=size, seed=3)
    checked = images.check_image(io.BytesIO(data))
    assert checked.image.size == working_size and checked.image.mode == "RGB"
    assert (checked.width, checked.height) == size  # the stored dimensions are the original's
    # The hashes barely move (6 bits on this smooth synthetic picture, at most 2 on the shared paintings): far
    # within the 30 bits under which an upload counts as a reproduction of a stored work.
    assert _differing_bits(images.perceptual_hash(checked.image), images.perceptual_hash(_full_decode(data))) <= 8
    thumbnail = Image.open(images.make_thumbnail(checked.image))
    assert max(thumbnail.size) == 400


def test_a_large_png_is_reduced_after_decoding():
    data = make_image_bytes(size=(2000, 1000), fmt="PNG", seed=4)
    checked = images.check_image(io.BytesIO(data))
    assert checked.image.size == (1000, 500) and (checked.width, checked.height) == (2000, 1000)


def test_a_larger_thumbnail_setting_keeps_the_working_copy_large_enough(settings):
    settings.GALLERY_THUMBNAIL_SIZE = 1024
    checked = images.check_image(io.BytesIO(make_image_bytes(size=(4000, 3000), seed=5)))
    assert min(checked.image.size) >= 1024
    assert max(Image.open(images.make_thumbnail(checked.image)).size) == 1024


def test_a_rotated_large_jpeg_reports_its_upright_size():
    picture = Image.open(io.BytesIO(make_image_bytes(size=(1800, 1000), seed=6)))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    checked = images.check_image(buffer)
    assert (checked.width, checked.height) == (1000, 1800)
    assert checked.image.size == (500, 900)


def test_a_truncated_large_jpeg_is_refused_although_it_is_drafted():
    data = make_image_bytes(size=(2400, 1800), seed=7)
    with pytest.raises(ValidationError) as refused:
        images.check_image(io.BytesIO(data[: len(data) * 2 // 3]))
    assert refused.value.code == "corrupt"


def test_clip_vectors_of_the_working_copy_match_the_full_decode(clip_encoder):
    uploads = [make_image_bytes(size=(2000, 1500), seed=seed) for seed in range(4)]
    working = clip_encoder.encode_images([images.check_image(io.BytesIO(data)).image for data in uploads])
    full = clip_encoder.encode_images([_full_decode(data) for data in uploads])
    assert np.sum(working * full, axis=1).min() >= 0.999


def test_a_phone_jpeg_with_a_second_picture_is_accepted_as_a_jpeg():
    # Ultra HDR photos (a gain map after the photo) and some cameras' JPEGs hold two pictures: Pillow says "MPO".
    photo = Image.open(io.BytesIO(make_image_bytes(size=(1200, 900), seed=8))).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (300, 225), "grey")])
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    checked = images.check_image(buffer)
    assert (checked.format, checked.extension) == ("JPEG", "jpg")
    assert (checked.width, checked.height) == (1200, 900) and checked.image.size == (600, 450)  # the photo, drafted
    assert _differing_bits(images.perceptual_hash(checked.image), images.perceptual_hash(photo)) <= 8


def test_markup_by_chance_in_compressed_pixels_is_not_a_polyglot():
    # A Met painting (Carlo Crivelli, 13.178) whose JPEG scan data happens to hold the bytes "<svg".
    data = (MET_SAMPLE / "images" / "DT383.jpg").read_bytes()
    assert b"<svg" in data.lower()
    assert images.check_image(io.BytesIO(data)).format == "JPEG"
    png = io.BytesIO()
    Image.open(io.BytesIO(data)).save(png, "PNG")
    assert images.check_image(png).format == "PNG"
    with pytest.raises(ValidationError) as refused:  # the same bytes after the image are still refused
        images.check_image(io.BytesIO(data + b"<svg onload=alert(1)>"))
    assert refused.value.code == "polyglot"


@pytest.mark.parametrize("marker", [b"<SCRIPT src=x>", b"<Html>", b"<svg onload=x>", b"<?PHP echo 1;", b"<!DocType html>",
                                    b"<iframe src=x>", b"JavaScript:alert(1)"])
def test_page_or_script_content_in_an_image_comment_is_refused(marker):
    picture = Image.open(io.BytesIO(make_image_bytes(seed=9)))

    def with_comment(comment: bytes) -> io.BytesIO:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", comment=comment)
        return buffer

    with pytest.raises(ValidationError) as refused:
        images.check_image(with_comment(b"made by " + marker))
    assert refused.value.code == "polyglot"
    images.check_image(with_comment(b"made by " + marker.replace(b"<", b"(").replace(b":", b"=")))  # harmless
