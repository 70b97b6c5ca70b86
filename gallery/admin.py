"""Curators' admin: artists and artworks. Saving an image and re-embedding go through the ingest services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from gallery import images
from gallery.models import Artist, Artwork, CollectionImport
from gallery.services import import_jobs, ingest, keywords, recognition


class GenreListFilter(admin.SimpleListFilter):
    title = "genre"
    parameter_name = "genre"
    genre_lookup = "genres__contains"

    def lookups(self, request, model_admin):
        genres = sorted({genre for row in Artist.objects.values_list("genres", flat=True) for genre in row})
        return [(genre, genre) for genre in genres]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.genre_lookup: [self.value()]})
        return queryset


class ArtworkGenreListFilter(GenreListFilter):
    genre_lookup = "artist__genres__contains"


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "nationality", "years", "genre_list", "artwork_count"]
    list_filter = ["nationality", GenreListFilter]
    search_fields = ["name", "sort_name", "nationality", "bio"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj: Artist, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and {"name", "sort_name"} & set(form.changed_data):  # keyword search finds works by artist
            keywords.artworks_index_text(artwork_ids=obj.artworks.values_list("pk", flat=True))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(artwork_count=Count("artworks"))

    @admin.display(description="Genres")
    def genre_list(self, artist: Artist) -> str:
        return ", ".join(artist.genres)

    @admin.display(description="Artworks", ordering="artwork_count")
    def artwork_count(self, artist: Artist) -> int:
        return artist.artwork_count


class ArtworkAdminForm(forms.ModelForm):
    class Meta:
        model = Artwork
        fields = ["artist", "title", "image", "published", "accession_number", "date", "year_start", "year_end",
                  "medium", "dimensions", "classification", "department", "credit_line", "rights", "rights_url",
                  "attribution", "description", "tags", "source_url", "manifest_url"]

    checked_image: images.CheckedImage | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rights"].required = False  # left out, it stays "unknown"

    def clean_rights(self) -> str:
        return self.cleaned_data.get("rights") or Artwork.Rights.UNKNOWN

    def clean_image(self):
        """Check a newly uploaded file here, once, so a bad or duplicate image is an error on the form."""
        image = self.cleaned_data["image"]
        if image and "image" in self.changed_data:
            checked = self.checked_image = images.check_image(image)
            duplicate = Artwork.objects.filter(image_sha256=checked.sha256).exclude(pk=self.instance.pk).first()
            if duplicate:
                raise ValidationError(f"This exact image is already in the collection: “{duplicate}” (#{duplicate.pk}).")
        return image


@admin.register(Artwork)
class ArtworkAdmin(admin.ModelAdmin):
    form = ArtworkAdminForm
    list_display = ["thumbnail_tag", "title", "artist", "accession_number", "date", "published", "status",
                    "updated_at"]
    list_display_links = ["thumbnail_tag", "title"]
    list_filter = ["published", "status", "classification", "department", "rights", "embedding_model",
                   ArtworkGenreListFilter]
    list_select_related = ["artist"]
    search_fields = ["title", "artist__name", "accession_number", "source_id"]
    autocomplete_fields = ["artist"]
    readonly_fields = ["preview", "status", "failure_reason", "embedding_model", "width", "height", "image_sha256",
                       "perceptual_hash", "source_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["preview", "image", "title", "artist", "published"]}),
        ("Catalogue record", {"fields": ["accession_number", "date", "year_start", "year_end", "medium", "dimensions",
                                         "classification", "department", "credit_line", "description", "tags"]}),
        ("Rights and source", {"fields": ["rights", "rights_url", "attribution", "source_url", "manifest_url",
                                          "source_id"]}),
        ("Processing", {"classes": ["collapse"], "fields": ["status", "failure_reason", "embedding_model", "width",
                                                            "height", "image_sha256", "perceptual_hash",
                                                            "created_at", "updated_at"]}),
    ]
    actions = ["publish_selected", "unpublish_selected", "reembed_selected"]

    @admin.display(description="Image")
    def thumbnail_tag(self, artwork: Artwork) -> str:
        if not artwork.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" class="admin-thumbnail">', artwork.thumbnail.url)

    @admin.display(description="Preview")
    def preview(self, artwork: Artwork) -> str:
        if not artwork.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="{}" class="admin-preview">', artwork.thumbnail.url, artwork.title)

    def save_model(self, request, obj: Artwork, form, change: bool) -> None:
        if "image" not in form.changed_data:
            obj.save()
            keywords.artworks_index_text(artwork_ids=[obj.pk])
            return
        ingest.artwork_store(artwork=obj, image=form.cleaned_data["image"], checked=form.checked_image)
        twin = recognition.artwork_twin(artwork=obj)
        if twin is not None:
            self.message_user(request, format_html(
                'This image looks like a reproduction of <a href="{}">{}</a>, already in the collection. '
                "Delete one of them if they are the same work.",
                reverse("admin:gallery_artwork_change", args=[twin.pk]), twin), messages.WARNING)

    @admin.action(description="Publish selected artworks")
    def publish_selected(self, request, queryset) -> None:
        count = ingest.artworks_set_published(queryset=queryset, published=True)
        self.message_user(request, f"Published {count} artwork(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected artworks (back to drafts)")
    def unpublish_selected(self, request, queryset) -> None:
        count = ingest.artworks_set_published(queryset=queryset, published=False)
        self.message_user(request, f"Unpublished {count} artwork(s); the public no longer sees them.",
                          messages.SUCCESS)

    @admin.action(description="Re-embed selected artworks")
    def reembed_selected(self, request, queryset) -> None:
        count = ingest.artworks_reembed(queryset=queryset)
        self.message_user(request, f"Queued {count} artwork(s) for embedding.", messages.SUCCESS)


class CollectionImportForm(forms.ModelForm):
    class Meta:
        model = CollectionImport
        fields = ["export", "images", "draft"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:  # the file kinds are checked here too, so a wrong file is an error on the form, not a failed job
            import_jobs.check_files(export=cleaned["export"], images=cleaned.get("images") or None)
        except import_jobs.ImportFilesRefused as exc:
            raise ValidationError(str(exc)) from None
        return cleaned


@admin.register(CollectionImport)
class CollectionImportAdmin(admin.ModelAdmin):
    """Curators import an export here (a CSV or JSON file and a zip of its images); a worker runs it, and its page
    shows how far it got (and reloads itself while it runs)."""

    form = CollectionImportForm
    change_form_template = "admin/gallery/collectionimport/change_form.html"
    list_display = ["export_name", "status", "progress", "created", "updated", "unchanged", "failure_count",
                    "created_at"]
    list_filter = ["status"]
    progress_fields = ["status", "format", "progress", "created", "updated", "unchanged", "failure_count",
                       "failure_list", "near_duplicate_list", "message", "started_by", "started_at", "finished_at"]

    def get_fields(self, request, obj=None):
        return ["export_name", "draft", *self.progress_fields] if obj else ["export", "images", "draft"]

    def get_readonly_fields(self, request, obj=None):
        return ["export_name", "draft", *self.progress_fields] if obj else []

    def has_change_permission(self, request, obj=None):  # the page is a report: nothing on it is edited
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj: CollectionImport, form, change: bool) -> None:
        job = import_jobs.collection_import_start(export=form.cleaned_data["export"],
                                                  images=form.cleaned_data.get("images") or None,
                                                  draft=form.cleaned_data["draft"], started_by=request.user)
        obj.pk = job.pk

    def response_add(self, request, obj, post_url_continue=None):
        """Straight to the job's own page, where its progress shows."""
        return redirect(reverse("admin:gallery_collectionimport_change", args=[obj.pk]))

    @admin.display(description="Progress")
    def progress(self, job: CollectionImport) -> str:
        return f"{job.processed} of {job.total} records" if job.total else "—"

    @admin.display(description="Failed")
    def failure_count(self, job: CollectionImport) -> int:
        return len(job.failures)

    @admin.display(description="Failures")
    def failure_list(self, job: CollectionImport) -> str:
        if not job.failures:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>",
                                                           ((f["record"], f["reason"]) for f in job.failures)))

    @admin.display(description="Near-duplicates (both kept)")
    def near_duplicate_list(self, job: CollectionImport) -> str:
        if not job.near_duplicates:
            return "—"
        pairs = ((duplicate["record"], duplicate["looks_like"]) for duplicate in job.near_duplicates)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} looks like {}</li>", pairs))
