"""Splitting an artist display string ("Georges Seurat\\nFrench, 1859-1891") into name, attribution qualifier, bio line,
nationality and life years, for sources that give only one string (IIIF metadata). Nothing is invented: an inverted
name such as "Glindoni, Henry Gillard" stays as the source wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that start the bio part of "Name, Dutch, 1853 - 1890" (a name's own commas are kept: "Glindoni, Henry Gillard").
NATIONALITIES = frozenset("""
american argentine armenian australian austrian belgian bohemian brazilian british burmese byzantine canadian catalan
chilean chinese colombian cuban czech danish dutch egyptian english estonian finnish flemish florentine french genoese
german greek hungarian indian iranian irish italian japanese korean latvian lithuanian mexican netherlandish
norwegian persian peruvian polish portuguese roman romanian russian scottish serbian sienese slovak spanish swedish
swiss thai turkish ukrainian venetian welsh
""".split())
_LIFE = re.compile(r"(\d{3,4})\s*[-–—]\s*(\d{3,4})")
# "b. 1836", "born 1836", and the Smithsonian's "born Boston, MA 1836-died Prouts Neck, ME 1910" (a place between).
_BORN = re.compile(r"\b(?:b\.\s*|born\b[^\d]{0,60}?)(\d{3,4})", re.IGNORECASE)
_DIED = re.compile(r"\b(?:d\.\s*|died\b[^\d]{0,60}?)(\d{3,4})", re.IGNORECASE)
# What catalogues put before an artist's name when the work is not plainly by them (the Met's artistPrefix values,
# the Getty's attribution qualifiers): "Attributed to", "Workshop of", "Copy after"... The source's words are kept.
_QUALIFIER = re.compile(
    r"((?:formerly |possibly |probably )?attributed to|(?:posthumous )?workshop of|studio of|atelier of|circle of"
    r"|followers? of|pupil of|school of|(?:in the )?style of|manner of|imitator of|(?:possibly |probably )by"
    r"|(?:posthumous workshop )?copy after|after)\s+(?=\S)", re.IGNORECASE)
_ROLE = re.compile(r"^(artist|maker|creator|painter|author|sculptor|printmaker|draughtsman|photographer)\s*:\s*",
                   re.IGNORECASE)


@dataclass(frozen=True)
class ArtistParts:
    name: str
    qualifier: str = ""  # "Attributed to" in "Attributed to El Greco"
    bio_line: str = ""
    nationality: str = ""
    birth_year: int | None = None
    death_year: int | None = None


def _first_word(segment: str) -> str:
    match = re.match(r"\s*([^\W\d_]+\.?)", segment)
    return match[1].casefold() if match else ""


def _starts_bio(segment: str) -> bool:
    segment = segment.strip()
    word = _first_word(segment)
    return bool(segment) and (segment[0].isdigit() or word in NATIONALITIES
                              or word in {"active", "born", "b.", "died", "d.", "ca.", "c.", "fl.", "flourished"})


def one_person(values: list[str]) -> str:
    """The display string of a work's artist from a field's values: several values are several people (the SMK's
    Creator: ["Trento, Antonio da", "Parmigianino"]: the first is the artist) unless they are roles ("Artist: ...",
    "Printer: ...": Harvard's People, which split_artist reads)."""
    if len(values) > 1 and not any(_ROLE.match(value.strip()) for value in values):
        return values[0]
    return "\n".join(values)


def is_about_the_artist(qualifier: str) -> bool:
    """Whether a record so qualified describes the named artist: an attribution to them ("Attributed to", "Possibly
    by", "Formerly attributed to") does; "Style of", "After", "Workshop of" describe another hand, whose nationality
    and dates a record may give beside the master's name (the Met's "Style of Rembrandt": "Dutch, 1650s or early
    1660s")."""
    qualifier = qualifier.casefold()
    return not qualifier or "attributed to" in qualifier or qualifier.endswith(" by")


def split_qualifier(name: str) -> tuple[str, str]:
    """ "Workshop of Rembrandt" -> ("Workshop of", "Rembrandt"); a name without a known qualifier -> ("", name)."""
    match = _QUALIFIER.match(name)
    return (match[1], name[match.end():]) if match else ("", name)


def split_artist(display: str) -> ArtistParts:
    """ "Georges Seurat\\nFrench, 1859-1891", "Jean-Antoine Watteau (French, 1684 - 1721)",
    "Artist: Vincent van Gogh, Dutch, 1853 - 1890", "Attributed to El Greco, Greek, 1541 - 1614" -> name, qualifier,
    bio line, nationality, birth and death years.

    A "People" value listing several roles gives its "Artist:" line, else its first line.
    """
    lines = [line.strip() for line in (display or "").split("\n") if line.strip()]
    if not lines:
        return ArtistParts(name="")
    artist_lines = [line for line in lines if _ROLE.match(line)]
    if artist_lines:
        lines = [_ROLE.sub("", artist_lines[0])]
    name, bio = lines[0], " ".join(lines[1:])
    if (paren := re.fullmatch(r"(.+?)\s*\(([^()]*\d[^()]*)\)", name)) and _starts_bio(paren[2]):
        # Lines after a "Name (Bio)" line name other people: the AIC's "Pablo Picasso (Spanish, 1881-1973)\nwritten
        # by Honoré de Balzac (French, 1799-1850)".
        name, bio = paren[1], paren[2]
    elif not bio:
        segments = name.split(",")
        for index in range(1, len(segments)):
            if _starts_bio(segments[index]):
                name, bio = ",".join(segments[:index]).strip(), ",".join(segments[index:]).strip()
                break
    # "French, 1859-1891" and "1691–1781, Flemish, active in Britain": the first segment that is one nationality word.
    nationality = next((segment.strip() for segment in bio.split(",")
                        if segment.strip().casefold() in NATIONALITIES), "")
    birth = death = None
    if life := _LIFE.search(bio):
        birth, death = int(life[1]), int(life[2])
    else:
        birth = int(born[1]) if (born := _BORN.search(bio)) else None
        death = int(died[1]) if (died := _DIED.search(bio)) else None
    qualifier, name = split_qualifier(name)
    return ArtistParts(name=name, qualifier=qualifier, bio_line=bio, nationality=nationality, birth_year=birth,
                       death_year=death)
