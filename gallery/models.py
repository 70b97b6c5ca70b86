"""Artists and their artworks. An artwork's vector lives beside it, with the identity of the model that made it."""

from __future__ import annotations

import itertools
import re
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from pgvector.django import BitField, HnswIndex, VectorField

from gallery import visual_words
from gallery.clip import EMBEDDING_DIM
from gallery.page_paths import page_path
from gallery.querysets import ArtworkQuerySet
from gallery.regions import Box
from gallery.vector_index import HNSW_EF_CONSTRUCTION, HNSW_M


def _perceptual_hash_bits() -> models.GeneratedField:
    """perceptual_hash as a bit(128), kept by PostgreSQL beside the text, for pgvector's Hamming distance (`<~>`):
    how a near-duplicate lookup checks its candidates (gallery/services/recognition.py)."""
    return models.GeneratedField(
        expression=RawSQL("CASE WHEN perceptual_hash = '' THEN NULL ELSE ('x' || perceptual_hash)::bit(128) END", []),
        output_field=BitField(length=128, null=True), db_persist=True)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# Words of a bio line, and those that say nothing the nationality and life dates beside it do not ("born 1950").
_BIO_WORD = re.compile(r"\w+")
_BIO_FILLER = {"born", "died", "b", "d"}


class Artist(TimeStampedModel):
    name = models.CharField("display name", max_length=200, unique=True)
    sort_name = models.CharField(max_length=200, blank=True, help_text="Alphabetical form, e.g. Bierstadt, Albert")
    slug = models.SlugField(max_length=200, unique=True, blank=True)
    birth_year = models.SmallIntegerField(null=True, blank=True)
    death_year = models.SmallIntegerField(null=True, blank=True)
    genres = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                        help_text="Comma-separated, e.g. Expressionism,Abstractionism")
    nationality = models.CharField(max_length=200, blank=True)
    bio_line = models.CharField(max_length=300, blank=True, help_text="As museums print it, e.g. French, 1824–1872")
    bio = models.TextField(blank=True)
    wikipedia_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [GinIndex(fields=["genres"], name="artist_genres_gin")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True)
                | models.Q(death_year__isnull=True)
                | models.Q(birth_year__lte=models.F("death_year")),
                name="artist_born_before_death",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = self._free_slug()
        super().save(*args, **kwargs)

    def _free_slug(self) -> str:
        """The name's slug, numbered when another artist has it: "Paul Cezanne" and "Paul Cézanne", or "O'Keeffe"
        and "OKeeffe", are two names (until a curator merges them) with one slug."""
        base = slugify(self.name, allow_unicode=False)[:190] or "artist"
        taken = set(Artist.objects.filter(slug__startswith=base).exclude(pk=self.pk).values_list("slug", flat=True))
        return next(slug for number in itertools.count(1) if (slug := base if number == 1 else f"{base}-{number}")
                    not in taken)

    def get_absolute_url(self) -> str:
        return page_path("gallery:artist-detail", self.slug)

    @property
    def years(self) -> str:
        """Life dates as the Kaggle data writes them: "1884 - 1920"."""
        if self.birth_year is None and self.death_year is None:
            return ""
        return f"{self.birth_year or '?'} - {self.death_year or ''}".strip()

    @property
    def life_dates(self) -> str:
        """Life dates as a page shows them: "1853–1890", "born 1950", "died 1650"."""
        if self.birth_year is not None and self.death_year is not None:
            return f"{self.birth_year}–{self.death_year}"
        if self.birth_year is not None:
            return _("born %(year)s") % {"year": self.birth_year}
        if self.death_year is not None:
            return _("died %(year)s") % {"year": self.death_year}
        return ""

    @property
    def bio_line_beyond_facts(self) -> str:
        """The source's bio line when it says more than the nationality and life dates shown beside it ("American,
        Boston, Massachusetts 1856–1925 London"); "" when it only repeats them ("Dutch, 1853–1890")."""
        words = set(_BIO_WORD.findall(self.bio_line.casefold()))
        shown = set(_BIO_WORD.findall(f"{self.nationality} {self.birth_year} {self.death_year}".casefold()))
        return self.bio_line if words - shown - _BIO_FILLER else ""

    @property
    def display_bio_line(self) -> str:
        """The source's own bio line, else one made of nationality and life dates: "French, 1824–1872"."""
        if self.bio_line:
            return self.bio_line
        years = "–".join(str(year) if year is not None else "?" for year in (self.birth_year, self.death_year))
        return ", ".join(part for part in (self.nationality, years if years != "?–?" else "") if part)


class ArtistAlias(TimeStampedModel):
    """Another name of an artist: that of an artist merged into this one (gallery.services.artist_merge). An import
    reads a record naming it as this artist, a search for it finds this artist's works, and the merged artist's page
    and filter links (its old slug) lead here."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, blank=True, help_text="The merged artist's page address")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "artist aliases"

    def __str__(self) -> str:
        return self.name


def artwork_upload_to(instance: Artwork, filename: str) -> str:
    """Content-addressed path: the stored name never comes from the uploader."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"artworks/{instance.image_sha256[:2]}/{instance.image_sha256}.{extension}"


def thumbnail_upload_to(instance: Artwork, filename: str) -> str:
    return f"thumbnails/{instance.image_sha256[:2]}/{instance.image_sha256}.jpg"


class Artwork(TimeStampedModel):
    class Status(models.TextChoices):
        # Lazy labels: the artwork page shows them in the visitor's language (the migrations keep the English).
        PENDING = "pending", pgettext_lazy("artwork status", "Pending")
        PROCESSING = "processing", pgettext_lazy("artwork status", "Processing")
        READY = "ready", pgettext_lazy("artwork status", "Ready")
        FAILED = "failed", pgettext_lazy("artwork status", "Failed")

    class Rights(models.TextChoices):
        PUBLIC_DOMAIN = "public-domain", _("Public domain / CC0")
        CREATIVE_COMMONS = "cc", _("Creative Commons licence")
        IN_COPYRIGHT = "in-copyright", _("In copyright")
        UNKNOWN = "unknown", pgettext_lazy("rights", "Unknown")

    # Null: the source names no artist. That is a state of the record, shown as "Unknown artist", never invented.
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="artworks", null=True, blank=True)
    # A catalogue's attribution is often not plainly "by" its artist: a copy after Raphael is no Raphael. Shown
    # before the artist's name wherever the work names them.
    artist_qualifier = models.CharField(
        "attribution qualifier", max_length=100, blank=True,
        help_text="How the work relates to its artist when not simply by them: Attributed to, Workshop of, After…")
    title = models.CharField(max_length=255)
    # Drafts are for curators only: every public page, search and API answer shows published works alone.
    published = models.BooleanField(default=True, db_index=True)
    # --- The catalogue record, as museums publish it.
    accession_number = models.CharField(max_length=100, blank=True, help_text="The object number; unique when set")
    date = models.CharField(max_length=100, blank=True, help_text="As displayed, e.g. c. 1665–67")
    year_start = models.SmallIntegerField(null=True, blank=True, help_text="For filtering by period")
    year_end = models.SmallIntegerField(null=True, blank=True)
    # Where and when a work was made, often all a record says of a work no one person is named for (the Met:
    # "China", "Ming dynasty (1368–1644)").
    culture = models.CharField(max_length=200, blank=True, db_index=True)
    period = models.CharField(max_length=200, blank=True, help_text="Period, dynasty or reign, as displayed")
    medium = models.CharField(max_length=500, blank=True)
    dimensions = models.TextField(blank=True)
    classification = models.CharField(max_length=100, blank=True, db_index=True, help_text="Painting, drawing…")
    department = models.CharField(max_length=200, blank=True, db_index=True)
    # Which museum holds the work: one line for a museum's own collection, what tells the works apart for an aggregator
    # that imports from many (Europeana's dataProvider).
    institution = models.CharField("held by", max_length=300, blank=True, db_index=True,
                                   help_text="The museum or library that holds the work, as its record names it")
    credit_line = models.TextField(blank=True)
    rights = models.CharField(max_length=16, choices=Rights.choices, default=Rights.UNKNOWN, db_index=True)
    rights_url = models.URLField(max_length=500, blank=True)
    attribution = models.TextField(blank=True, help_text="What the source requires beside the image")
    description = models.TextField(blank=True)
    image_description = models.TextField(
        "description of the picture", blank=True,
        help_text="What the picture shows, for people who cannot see it: its text alternative on the work's page")
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    source_url = models.URLField("page at the source", max_length=500, blank=True)
    source_id = models.CharField(max_length=500, blank=True, help_text="The record's id in its source (imports)")
    manifest_url = models.URLField("IIIF manifest", max_length=500, blank=True)
    # Words of the record for keyword search, written by gallery.services.keywords (accents folded there).
    search_document = SearchVectorField(null=True, editable=False)
    # No width_field/height_field: Django would open the file (a bucket read) every time a row is loaded.
    image = models.ImageField(upload_to=artwork_upload_to, max_length=255)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True, max_length=255, editable=False)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    image_sha256 = models.CharField("SHA-256", max_length=64, unique=True, editable=False,
                                    error_messages={"unique": "This exact image file is already in the collection."})
    # pHash + dHash, 128 bits as 32 hex digits: finds reproductions of a work (resized, recompressed, cropped).
    perceptual_hash = models.CharField(max_length=32, blank=True, editable=False)
    perceptual_hash_bits = _perceptual_hash_bits()
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True, editable=False)  # NULL until embedded
    embedding_model = models.CharField(max_length=120, blank=True, db_index=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True,
                              editable=False)
    failure_reason = models.TextField(blank=True, editable=False)

    objects = ArtworkQuerySet.as_manager()

    class Meta:
        ordering = ["artist__name", "title"]
        indexes = [
            # The vector's HNSW index is not declared here: its kind is a setting (gallery/vector_index.py).
            # The rows changed since a process read every perceptual hash (gallery/services/hash_index.py).
            models.Index(fields=["updated_at"], name="artwork_updated_at"),
            # "More by this artist" (search.attach_more_by_artist) reads an artist's first few works from this
            # index alone, instead of every work of the artist (hundreds for some) sorted on each results page.
            models.Index(fields=["artist", "id"], include=["title", "thumbnail", "artist_qualifier"],
                         condition=~models.Q(thumbnail=""), name="artwork_more_by_artist"),
            GinIndex(fields=["search_document"], name="artwork_search_document_gin"),
            # A search counts the searchable works up to a cap (services/index_scan) from this small index alone:
            # from the table, it was a scan of a few hundred pages of wide rows at every search of a large collection.
            models.Index(fields=["embedding_model"], condition=models.Q(published=True, status="ready"),
                         name="artwork_searchable"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(status="ready") | models.Q(embedding__isnull=False),
                                   name="artwork_ready_has_embedding"),
            models.UniqueConstraint(fields=["accession_number"], condition=~models.Q(accession_number=""),
                                    name="artwork_accession_number_unique",
                                    violation_error_message="Another artwork has this accession number."),
            models.UniqueConstraint(fields=["source_id"], condition=~models.Q(source_id=""),
                                    name="artwork_source_id_unique"),
            models.CheckConstraint(condition=models.Q(year_start__isnull=True) | models.Q(year_end__isnull=True)
                                   | models.Q(year_start__lte=models.F("year_end")), name="artwork_years_in_order"),
            models.CheckConstraint(condition=models.Q(artist__isnull=False) | models.Q(artist_qualifier=""),
                                   name="artwork_qualifier_has_artist",
                                   violation_error_message="An attribution qualifier needs an artist."),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.artist or 'unknown artist'})"

    def get_absolute_url(self) -> str:
        return page_path("gallery:artwork-detail", self.pk)

    @property
    def artist_credit(self) -> str:
        """The artist as the work's label names them: "Workshop of Rembrandt", or the name; "" when unknown."""
        if self.artist is None:
            return ""
        return f"{self.artist_qualifier} {self.artist.name}" if self.artist_qualifier else self.artist.name

    def get_similar_url(self) -> str:
        """The "more like this" page."""
        return page_path("gallery:artwork-similar", self.pk)


class SearchWord(models.Model):
    """A word of the works' search documents, with how many documents had it when last counted (the lexicon).

    A query word matches the words it begins, read here, rather than as a prefix: PostgreSQL's full-text index
    answers a few exact words far faster than every word a prefix begins (gallery/services/keywords.py). Words are
    added as documents are written; a periodic task counts them again and drops those no document has any more.
    """

    word = models.TextField(primary_key=True, db_collation="C")  # byte order: a prefix's words are one range
    documents = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.word


class ArtworkRegion(models.Model):
    """A part of an artwork embedded on its own (gallery.regions), so that a detail finds the work it comes from.

    Written by the worker in the same job and with the same model as the artwork's own vector, replaced when the
    artwork is embedded again, deleted with it. A region counts only while its model is the artwork's.
    """

    artwork = models.ForeignKey(Artwork, on_delete=models.CASCADE, related_name="regions")
    # The box, in fractions of the picture's width and height (gallery.regions.Box).
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    embedding = VectorField(dimensions=EMBEDDING_DIM)
    embedding_model = models.CharField(max_length=120)

    class Meta:
        indexes = [
            # The vector's HNSW index, as the artwork's, follows GALLERY_VECTOR_INDEX (gallery/vector_index.py).
            models.Index(fields=["artwork"], name="artwork_region_artwork"),
        ]

    def __str__(self) -> str:
        return f"Region {self.box} of artwork #{self.artwork_id}"

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.w, self.h)


class ArtworkKeypoints(models.Model):
    """An artwork's local features (gallery.keypoints: ORB keypoints in a compact binary form), written by the worker
    beside its vectors; a detail search checks its best candidates against them."""

    artwork = models.OneToOneField(Artwork, on_delete=models.CASCADE, primary_key=True, related_name="keypoints")
    data = models.BinaryField()
    # The keypoints' visual words (gallery/visual_words.py), the set a detail search shortlists by, and the
    # vocabulary that named them: a set named by another vocabulary is recomputed, and never compared.
    words = BitField(length=visual_words.WORDS, null=True, blank=True)
    vocabulary = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        indexes = [
            HnswIndex(name="artwork_keypoints_words_hnsw", fields=["words"], m=HNSW_M,
                      ef_construction=HNSW_EF_CONSTRUCTION, opclasses=["bit_jaccard_ops"]),
        ]

    def __str__(self) -> str:
        return f"Keypoints of artwork #{self.artwork_id}"


class OnDuplicate(models.TextChoices):
    """What to do with a new picture that is a near-duplicate of a stored work (gallery/services/duplicates.py)."""

    KEEP = "keep", "Keep both"
    SKIP = "skip", "Skip the new picture: the stored work stays as it is"
    REPLACE = "replace", "Replace the stored work's picture with it (same record, same URL)"


class DismissedDuplicate(TimeStampedModel):
    """A pair of near-duplicate artworks a curator has reviewed and kept both: the duplicates review page leaves it
    out. Stored once, with the smaller id first; a new image on either work dismisses nothing any more."""

    artwork = models.ForeignKey(Artwork, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Artwork, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["artwork", "other"], name="dismissed_duplicate_pair_unique"),
            models.CheckConstraint(condition=models.Q(artwork__lt=models.F("other")),
                                   name="dismissed_duplicate_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"Kept both #{self.artwork_id} and #{self.other_id}"


def import_upload_to(instance: CollectionImport, filename: str) -> str:
    """Where an admin import keeps the files it was given: one folder per upload, names chosen here."""
    return f"imports/{timezone.now():%Y/%m/%d}/{uuid.uuid4().hex}/{filename}"


class CollectionImport(TimeStampedModel):
    """An import a curator started in the admin; a worker runs it (gallery.services.import_jobs) and records here
    how far it got, so its admin page shows the progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    export = models.FileField(upload_to=import_upload_to, max_length=255, blank=True,
                              help_text="A CSV, JSON or LIDO XML export")
    source_url = models.URLField(
        "or a URL", max_length=1000, blank=True,
        help_text="Instead of a file: a IIIF manifest or collection, a museum API's page of records (its next pages "
                  "are followed), Met Collection API records or a search of them, Linked Art objects or their "
                  "activity stream, an OAI-PMH harvest of LIDO, or a CSV export whose images are URLs, fetched by the "
                  "worker")
    changes_since = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="Only what the source says changed after this: a scheduled import of an activity stream or an "
                  "OAI-PMH harvest reads what changed since its last run")
    images = models.FileField(upload_to=import_upload_to, max_length=255, blank=True,
                              help_text="A zip of the images the export names (optional)")
    export_name = models.CharField(max_length=200, editable=False)
    draft = models.BooleanField(default=False, help_text="New works stay drafts until published")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, editable=False)
    format = models.CharField(max_length=20, blank=True, editable=False)
    message = models.TextField(blank=True, editable=False)
    total = models.PositiveIntegerField(default=0, editable=False)
    processed = models.PositiveIntegerField(default=0, editable=False)
    created = models.PositiveIntegerField(default=0, editable=False)
    updated = models.PositiveIntegerField(default=0, editable=False)
    unchanged = models.PositiveIntegerField(default=0, editable=False)
    unpublished = models.PositiveIntegerField(
        "unpublished (deleted at the source)", default=0, editable=False,
        help_text="Works their source says it deleted, taken back to drafts")
    failures = models.JSONField(default=list, blank=True, editable=False)
    # Imported records whose bad links were left out: [{"record", "reason"}] as failures.
    left_out = models.JSONField("links left out", default=list, blank=True, editable=False)
    on_duplicate = models.CharField("near-duplicates", max_length=8, choices=OnDuplicate.choices,
                                    default=OnDuplicate.KEEP,
                                    help_text="What to do with a record whose picture looks like a stored work's")
    near_duplicates = models.JSONField(default=list, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, editable=False)
    finished_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=(models.Q(export="") & ~models.Q(source_url=""))
            | (~models.Q(export="") & models.Q(source_url="")),
            name="collection_import_one_source")]

    def __str__(self) -> str:
        return f"Import of {self.export_name} ({self.get_status_display()})"


class ImportSchedule(TimeStampedModel):
    """A source imported again and again (a museum's API, a IIIF collection): a worker starts a CollectionImport of
    its URL when it is due (gallery.services.import_schedules), so that the collection follows the source's changes."""

    class Every(models.IntegerChoices):
        DAY = 1, "Every day"
        WEEK = 7, "Every week"
        MONTH = 30, "Every 30 days"

    name = models.CharField(max_length=200, help_text="What the source is, for the list (e.g. 'Our collection API')")
    source_url = models.URLField(
        "URL", max_length=1000,
        help_text="What an import takes as a URL: a museum API's first page, a IIIF collection, a Linked Art "
                  "activity stream or an OAI-PMH harvest (after a run, only what changed since), a CSV export whose "
                  "images are URLs, Met records or a Met search")
    every = models.PositiveSmallIntegerField(choices=Every.choices, default=Every.WEEK)
    enabled = models.BooleanField(default=True)
    draft = models.BooleanField(default=False, help_text="New works stay drafts until published")
    on_duplicate = models.CharField("near-duplicates", max_length=8, choices=OnDuplicate.choices,
                                    default=OnDuplicate.KEEP)
    next_run_at = models.DateTimeField(default=timezone.now, help_text="When the next import starts")
    last_job = models.ForeignKey(CollectionImport, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", editable=False)

    class Meta:
        ordering = ["next_run_at"]

    def __str__(self) -> str:
        return self.name


class CollectionMap(models.Model):
    """The latest layout of the collection map for one model's vectors (gallery/services/collection_map.py): which
    searchable works it was computed from, how, and the thumbnail atlases drawn with it."""

    embedding_model = models.CharField(max_length=120, unique=True)
    # md5 of the sorted ids of the searchable works the layout placed; another set means the collection changed.
    fingerprint = models.CharField(max_length=32)
    # The set seen by the last check that did not lay out again: a layout waits until the set stops changing.
    seen_fingerprint = models.CharField(max_length=32, blank=True)
    works = models.PositiveIntegerField(default=0)
    method = models.CharField(max_length=40)
    computed_at = models.DateTimeField()
    timings = models.JSONField(default=dict, blank=True)  # seconds spent reading, laying out, drawing, writing
    # Storage names of the atlas images, in cell order; each holds atlas_columns² cells of atlas_cell pixels.
    atlases = models.JSONField(default=list, blank=True)
    atlas_cell = models.PositiveSmallIntegerField(default=64)
    atlas_columns = models.PositiveSmallIntegerField(default=32)

    def __str__(self) -> str:
        return f"Map of {self.works} works ({self.embedding_model}, {self.computed_at:%Y-%m-%d %H:%M})"


class ArtworkMapPosition(models.Model):
    """Where an artwork sits on the collection map: x, y in the unit square, computed from its vector.

    Written by the layout (every searchable work) or, for a work embedded since, at the mean of its nearest placed
    works; a position from another model's vectors is never shown."""

    class PlacedBy(models.TextChoices):
        LAYOUT = "layout", "The layout"
        NEIGHBOURS = "neighbours", "Its nearest placed works"

    artwork = models.OneToOneField(Artwork, on_delete=models.CASCADE, primary_key=True, related_name="map_position")
    x = models.FloatField()
    y = models.FloatField()
    embedding_model = models.CharField(max_length=120)
    computed_at = models.DateTimeField()
    placed_by = models.CharField(max_length=12, choices=PlacedBy.choices, default=PlacedBy.LAYOUT)
    # The work's thumbnail cell in the layout's atlases; null until the next layout draws it.
    atlas_cell = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["embedding_model"], name="artwork_map_position_model")]

    def __str__(self) -> str:
        return f"Artwork #{self.artwork_id} at ({self.x:.3f}, {self.y:.3f})"
