"""Merging the artists one person was imported as under several names ("Rembrandt (Rembrandt van Rijn)" from the
Met, "Rembrandt van Rijn" from a LIDO harvest, "Rijn, Rembrandt van" from a CSV): their works go to the artist kept,
the blanks of its facts are filled from theirs, and each other name becomes an alias (ArtistAlias) that imports read
as the artist kept, that a search finds its works by, and whose old page and filter links lead to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from gallery.models import Artist, ArtistAlias, Artwork
from gallery.services import keywords

logger = logging.getLogger(__name__)

_FACTS = ("sort_name", "nationality", "bio_line", "bio", "wikipedia_url")
_TWINS_KEPT_SECONDS = 24 * 3600  # a day at most; any change to the artists' names or years makes another key


@dataclass(frozen=True)
class Merge:
    artist: Artist  # the artist kept
    names: list[str]  # the names merged into it, now its aliases
    works: int  # works that changed artist


def _fill_facts(keep: Artist, other: Artist) -> None:
    """The kept artist's blank facts from another's; life years only as a pair, so that they stay in order."""
    for field in _FACTS:
        if not getattr(keep, field) and getattr(other, field):
            setattr(keep, field, getattr(other, field))
    if keep.birth_year is None and keep.death_year is None:
        keep.birth_year, keep.death_year = other.birth_year, other.death_year
    keep.genres = [*keep.genres, *(genre for genre in other.genres if genre not in keep.genres)]


def artists_merge(*, keep: Artist, others: Iterable[Artist]) -> Merge:
    """Merge `others` into `keep` (see the module's docstring), in one transaction. Raises ValueError when there is
    no other artist to merge."""
    others = [other for other in others if other.pk != keep.pk]
    if not others:
        raise ValueError("Choose at least two artists: one to keep and the others to merge into it.")
    with transaction.atomic():
        keep = Artist.objects.select_for_update().get(pk=keep.pk)
        others = list(Artist.objects.select_for_update().filter(pk__in=[other.pk for other in others]).order_by("pk"))
        moved = Artwork.objects.filter(artist__in=others).update(artist=keep, updated_at=timezone.now())
        for other in others:
            _fill_facts(keep, other)
            other.aliases.update(artist=keep)  # names merged into it before
        names = [other.name for other in others]
        ArtistAlias.objects.filter(name__in=names).delete()  # a name a curator gave an artist after it was an alias
        ArtistAlias.objects.bulk_create(ArtistAlias(artist=keep, name=other.name, slug=other.slug) for other in others)
        ArtistAlias.objects.filter(artist=keep, name=keep.name).delete()  # its own name again, merged back
        Artist.objects.filter(pk__in=[other.pk for other in others]).delete()
        keep.full_clean(validate_unique=False)
        keep.save()
        # Every work of the artist: its document now holds the aliases, so a search by an old name finds them all.
        keywords.artworks_index_text(artwork_ids=keep.artworks.values_list("pk", flat=True))
    return Merge(artist=keep, names=names, works=moved)


def artists_by_key(key: Callable[[str], str]) -> dict[str, Artist]:
    """Every artist by key(its name) and by key(each of its aliases), as imports match a record's artist (an artist's
    own name wins over another's alias)."""
    found = {key(alias.name): alias.artist for alias in ArtistAlias.objects.select_related("artist")}
    return found | {key(artist.name): artist for artist in Artist.objects.all()}


def artist_by_alias(*, slug: str = "", name: str = "") -> Artist | None:
    """The artist an old page address (slug) or name now leads to, if it was merged into one."""
    aliases = ArtistAlias.objects.select_related("artist").order_by("-created_at")
    alias = (aliases.filter(slug=slug).first() if slug else None) or (
        aliases.filter(name__iexact=name).first() if name else None)
    return alias.artist if alias else None


def _compatible(first: Artist, second: Artist) -> bool:
    """Whether two artists' life years allow them to be one person (a year either does not know allows it)."""
    return all(mine is None or theirs is None or abs(mine - theirs) <= 1
               for mine, theirs in ((first.birth_year, second.birth_year), (first.death_year, second.death_year)))


def likely_twins() -> dict[int, list[int]]:
    """Artists that may be one person under two names, for curators to merge: the words of one's name (accents and
    case folded) are all in the other's ("Rembrandt" and "Rembrandt (Rembrandt van Rijn)", "Paul Cezanne" and "Paul
    Cézanne", "Rijn, Rembrandt van" and "Rembrandt van Rijn"), and their life years do not differ ("Raphael", 1483–1520,
    is not "Anton Raphael Mengs", 1728–1779). By artist id, its likely twins' ids.

    Kept in the cache while no artist's name or years change: computing it reads every artist (seconds at 100,000)."""
    key = f"artists:likely-twins:{_names_and_years_fingerprint()}"
    try:
        found = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - the cache only spares the computation
        logger.warning("Could not read the likely twins from the cache (%s)", exc)
        found = None
    if found is None:
        found = _likely_twins()
        try:
            cache.set(key, found, _TWINS_KEPT_SECONDS)
        except Exception as exc:  # noqa: BLE001
            logger.warning("Could not keep the likely twins in the cache (%s)", exc)
    return found


def twins_of(artist: Artist) -> list[Artist]:
    """The artist's likely twins (see likely_twins), by name."""
    return list(Artist.objects.filter(pk__in=likely_twins().get(artist.pk, [])).order_by("name"))


def _names_and_years_fingerprint() -> str:
    """Every artist's id, name and life years hashed and summed by the database: a change to any of them (an artist
    added, renamed, merged, deleted) changes it."""
    with connection.cursor() as cursor:
        row = "format('%s|%s|%s|%s', id, name, birth_year, death_year)"
        cursor.execute(f"SELECT count(*), coalesce(sum(hashtext({row})), 0) FROM {Artist._meta.db_table}")
        count, total = cursor.fetchone()
    return f"{count}:{total}"


def _likely_twins() -> dict[int, list[int]]:
    artists = list(Artist.objects.only("pk", "name", "birth_year", "death_year"))
    names = {artist.pk: frozenset(keywords.words(artist.name)) for artist in artists}
    having: dict[str, set[int]] = {}
    for artist in artists:
        for word in names[artist.pk]:
            having.setdefault(word, set()).add(artist.pk)
    by_pk = {artist.pk: artist for artist in artists}
    twins: dict[int, set[int]] = {}
    for artist in artists:
        if not names[artist.pk]:
            continue
        # The artists whose names hold every word of this one's: the rarest word's list, narrowed by the others'.
        lists = sorted((having[word] for word in names[artist.pk]), key=len)
        for other_pk in set.intersection(*lists) - {artist.pk}:
            if _compatible(artist, by_pk[other_pk]):
                twins.setdefault(artist.pk, set()).add(other_pk)
                twins.setdefault(other_pk, set()).add(artist.pk)
    return {pk: sorted(found) for pk, found in twins.items()}
