"""The common record every collection reader yields, and the note a reader yields instead for a record it skips.

Readers are pure parsing: they never touch the database, never download, and never raise for one bad record. They
yield `CatalogueRecord | SkippedRecord` so an import can report what it skipped and go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PUBLIC_DOMAIN = "public-domain"  # includes CC0: the Met's Open Access is CC0
CREATIVE_COMMONS = "cc"  # a Creative Commons licence other than CC0
IN_COPYRIGHT = "in-copyright"
UNKNOWN = "unknown"
RIGHTS_VALUES = (PUBLIC_DOMAIN, CREATIVE_COMMONS, IN_COPYRIGHT, UNKNOWN)

CC0_URL = "https://creativecommons.org/publicdomain/zero/1.0/"


@dataclass
class CatalogueRecord:
    """One artwork as a source describes it. Text fields are "" when the source has nothing; years are None.

    `source_id` is stable across exports of the same source ("met:10154", a IIIF manifest's id, a CSV's accession
    number or "csv:<file name>:<row>"), so a re-import can update instead of duplicating.
    A record with a picture has exactly one of `image_path` (a local file, preferred) and `image_url` (to download).
    `attribution` is the text the source requires beside the image (IIIF requiredStatement / attribution).
    """

    source_id: str
    title: str = ""
    accession_number: str = ""
    artist_name: str = ""  # as the source displays it, "Unidentified Artist" included; "" when none
    artist_qualifier: str = ""  # "Workshop of", "Attributed to", "After"...: the work is not plainly by the artist
    artist_sort_name: str = ""
    artist_nationality: str = ""
    artist_birth_year: int | None = None
    artist_death_year: int | None = None
    artist_bio_line: str = ""  # display line such as "French, 1824–1872"
    date: str = ""  # as displayed: "c. 1665–67"
    year_start: int | None = None
    year_end: int | None = None
    culture: str = ""  # "China", "Japan", "Iranian"
    period: str = ""  # "Edo period (1615–1868)", "Qing dynasty (1644–1911)"
    medium: str = ""
    dimensions: str = ""  # free text; its lines kept, "\n"-separated
    classification: str = ""
    department: str = ""
    institution: str = ""  # who holds the work: the Met's repository, Europeana's dataProvider, LIDO's repositoryName
    credit_line: str = ""
    rights: str = UNKNOWN  # one of RIGHTS_VALUES
    rights_url: str = ""
    attribution: str = ""
    description: str = ""
    image_description: str = ""  # what the picture shows, written for people who cannot see it (alt text)
    tags: list[str] = field(default_factory=list)
    source_url: str = ""  # the object's page at the institution
    manifest_url: str = ""  # IIIF only
    image_path: Path | None = None
    image_url: str = ""

    def __post_init__(self):
        # A typo here would silently mislabel copyright: refuse it where the record is made.
        if self.rights not in RIGHTS_VALUES:
            raise ValueError(f"rights must be one of {RIGHTS_VALUES}, not {self.rights!r}")


@dataclass(frozen=True)
class DeletedRecord:
    """A work its source says it deleted (an activity stream's Delete, an OAI-PMH record's deleted header):
    `source_id` as the source's records give it, so that an import can take the work it made of it off the public
    pages."""

    where: str
    source_id: str


@dataclass(frozen=True)
class SkippedRecord:
    """A record a reader could not use: `where` locates it in the source (row, line, manifest id), `reason` says why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
