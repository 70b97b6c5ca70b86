"""An artwork page's schema.org VisualArtwork (JSON-LD): the catalogue record as search engines and aggregators read it.

Only what the record says, in the properties meant for it: a date range becomes an ISO 8601 interval, never a
guessed day; a work "Workshop of" or "After" an artist names no creator, since schema.org has no way to say that the
named person did not make it (the qualified name is in the description instead).
"""

from __future__ import annotations

from collections.abc import Callable

from gallery.models import Artwork

Absolute = Callable[[str], str]


def _years(artwork: Artwork) -> dict[str, str]:
    start, end = artwork.year_start, artwork.year_end
    if start is None and end is None:
        return {}
    if start is None or end is None or start == end:
        return {"dateCreated": str(start if start is not None else end)}
    return {"temporalCoverage": f"{start}/{end}"}


def _creator(artwork: Artwork, absolute: Absolute) -> dict:
    artist = artwork.artist
    if artist is None or artwork.artist_qualifier:
        return {}
    person = {"@type": "Person", "name": artist.name, "url": absolute(artist.get_absolute_url())}
    if artist.wikipedia_url:
        person["sameAs"] = artist.wikipedia_url
    return {"creator": person}


def visual_artwork(artwork: Artwork, *, absolute: Absolute) -> dict:
    """The JSON-LD object of one published artwork; `absolute` makes a path a full URL."""
    description = " ".join(part for part in (
        f"{artwork.artist_credit}." if artwork.artist_qualifier else "", artwork.description) if part)
    optional = {
        "thumbnailUrl": absolute(artwork.thumbnail.url) if artwork.thumbnail else "",
        "artMedium": artwork.medium,
        "artform": artwork.classification,
        "identifier": artwork.accession_number,
        "description": description,
        "keywords": ", ".join(artwork.tags),
        "license": artwork.rights_url,
        "creditText": artwork.attribution,
    }
    return {
        "@context": "https://schema.org",
        "@type": "VisualArtwork",
        "name": artwork.title,
        "url": absolute(artwork.get_absolute_url()),
        "image": absolute(artwork.image.url),
        **_creator(artwork, absolute),
        **_years(artwork),
        **{key: value for key, value in optional.items() if value},
    }
