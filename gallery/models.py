"""Artists and their artworks. An artwork's vector lives beside it, with the identity of the model that made it."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.text import slugify
from pgvector.django import HnswIndex, VectorField

from gallery.clip import EMBEDDING_DIM
from gallery.page_paths import page_path
from gallery.querysets import ArtworkQuerySet

# HNSW build parameters; see bench/README.md for the recall/latency measurements behind them.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64


def _perceptual_hash_half(first_digit: int) -> models.GeneratedField:
    """16 hex digits of perceptual_hash as a signed 64-bit integer, kept by PostgreSQL beside the text.

    Comparing an upload with every stored hash is then two XORs and two bit counts a row instead of parsing 32 hex
    digits a row: about half the time at 100k rows (bench/README.md).
    """
    digits = f"substr(perceptual_hash, {first_digit}, 16)"
    return models.GeneratedField(
        expression=RawSQL(f"CASE WHEN perceptual_hash = '' THEN NULL ELSE ('x' || {digits})::bit(64)::bigint END", []),
        output_field=models.BigIntegerField(null=True), db_persist=True)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Artist(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, blank=True)
    birth_year = models.SmallIntegerField(null=True, blank=True)
    death_year = models.SmallIntegerField(null=True, blank=True)
    genres = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                        help_text="Comma-separated, e.g. Expressionism,Abstractionism")
    nationality = models.CharField(max_length=200, blank=True)
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
            self.slug = slugify(self.name, allow_unicode=False) or "artist"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return page_path("gallery:artist-detail", self.slug)

    @property
    def years(self) -> str:
        """Life dates as the Kaggle data writes them: "1884 - 1920"."""
        if self.birth_year is None and self.death_year is None:
            return ""
        return f"{self.birth_year or '?'} - {self.death_year or ''}".strip()


def artwork_upload_to(instance: Artwork, filename: str) -> str:
    """Content-addressed path: the stored name never comes from the uploader."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"artworks/{instance.image_sha256[:2]}/{instance.image_sha256}.{extension}"


def thumbnail_upload_to(instance: Artwork, filename: str) -> str:
    return f"thumbnails/{instance.image_sha256[:2]}/{instance.image_sha256}.jpg"


class Artwork(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="artworks")
    title = models.CharField(max_length=255)
    # No width_field/height_field: Django would open the file (a bucket read) every time a row is loaded.
    image = models.ImageField(upload_to=artwork_upload_to, max_length=255)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True, max_length=255, editable=False)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    image_sha256 = models.CharField("SHA-256", max_length=64, unique=True, editable=False,
                                    error_messages={"unique": "This exact image file is already in the collection."})
    # pHash + dHash, 128 bits as 32 hex digits: finds reproductions of a work (resized, recompressed, cropped).
    perceptual_hash = models.CharField(max_length=32, blank=True, editable=False)
    perceptual_hash_high = _perceptual_hash_half(1)
    perceptual_hash_low = _perceptual_hash_half(17)
    embedding = VectorField(dimensions=EMBEDDING_DIM, null=True, blank=True, editable=False)  # NULL until embedded
    embedding_model = models.CharField(max_length=120, blank=True, db_index=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True,
                              editable=False)
    failure_reason = models.TextField(blank=True, editable=False)

    objects = ArtworkQuerySet.as_manager()

    class Meta:
        ordering = ["artist__name", "title"]
        indexes = [
            HnswIndex(name="artwork_embedding_hnsw", fields=["embedding"], m=HNSW_M,
                      ef_construction=HNSW_EF_CONSTRUCTION, opclasses=["vector_cosine_ops"]),
            # "More by this artist" (search.attach_more_by_artist) reads an artist's first few works from this
            # index alone, instead of every work of the artist (hundreds for some) sorted on each results page.
            models.Index(fields=["artist", "id"], include=["title", "thumbnail"], condition=~models.Q(thumbnail=""),
                         name="artwork_more_by_artist"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(status="ready") | models.Q(embedding__isnull=False),
                                   name="artwork_ready_has_embedding"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.artist})"

    def get_absolute_url(self) -> str:
        return page_path("gallery:artwork-detail", self.pk)

    def get_similar_url(self) -> str:
        """The "more like this" page."""
        return page_path("gallery:artwork-similar", self.pk)
