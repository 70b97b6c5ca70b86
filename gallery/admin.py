"""Curators' admin: artists and artworks. Saving an image and re-embedding go through the ingest services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from gallery import images
from gallery.models import Artist, ArtistAlias, Artwork, CollectionImport, ImportSchedule, OnDuplicate
from gallery.services import (
    artist_merge,
    catalogue_csv,
    duplicates,
    import_jobs,
    import_schedules,
    ingest,
    keywords,
)
from gallery.sources.download import without_secrets


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


class LikelyTwinFilter(admin.SimpleListFilter):
    """Artists named like another who may be the same person (gallery.services.artist_merge.likely_twins)."""

    title = "possibly one person"
    parameter_name = "twins"

    def lookups(self, request, model_admin):
        return [("yes", "Named like another artist")]

    def queryset(self, request, queryset):
        return queryset.filter(pk__in=list(artist_merge.likely_twins())) if self.value() == "yes" else queryset


class ArtistAliasInline(admin.TabularInline):
    """The names of the artists merged into this one: imports read them as this artist. Deleting one stops that."""

    model = ArtistAlias
    fields = ["name", "slug", "created_at"]
    readonly_fields = ["name", "slug", "created_at"]
    extra = 0

    def has_add_permission(self, request, obj=None):  # an alias comes from a merge
        return False


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "nationality", "years", "genre_list", "artwork_count"]
    list_filter = [LikelyTwinFilter, "nationality", GenreListFilter]
    search_fields = ["name", "sort_name", "nationality", "bio", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["twins"]
    inlines = [ArtistAliasInline]
    actions = ["merge_selected"]

    @admin.display(description="Possibly the same person as")
    def twins(self, artist: Artist) -> str:
        found = artist_merge.twins_of(artist) if artist.pk else []
        if not found:
            return "—"
        return format_html_join(", ", '<a href="{}" data-testid="twin">{}</a>', (
            (reverse("admin:gallery_artist_change", args=[twin.pk]), twin.name) for twin in found))

    @admin.action(description="Merge selected artists into one…", permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        """A page to choose which artist to keep (the one with most works first), then the merge."""
        artists = list(queryset.annotate(artwork_count=Count("artworks")).order_by("-artwork_count", "name"))
        if len(artists) < 2:
            self.message_user(request, "Select at least two artists to merge.", messages.WARNING)
            return None
        if request.POST.get("post") == "yes":
            keep = next((artist for artist in artists if str(artist.pk) == request.POST.get("keep")), None)
            if keep is None:
                self.message_user(request, "Choose the artist to keep.", messages.ERROR)
            else:
                merge = artist_merge.artists_merge(keep=keep, others=artists)
                self.message_user(request, f"Merged {', '.join(merge.names)} into {merge.artist.name}: {merge.works} "
                                           f"work(s) moved; imports now read those names as {merge.artist.name}.",
                                  messages.SUCCESS)
                return None
        context = {**self.admin_site.each_context(request), "title": "Merge artists", "opts": self.model._meta,
                   "artists": artists, "action_checkbox_name": ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/gallery/artist/merge.html", context)

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
    """The artwork form. A new picture that looks like another stored work (gallery.services.duplicates) is not saved
    until the curator chooses what to do: the form comes back with that work's thumbnail and the choices, and the
    picture is kept meanwhile (`pending_upload`), so it need not be sent again."""

    on_duplicate = forms.ChoiceField(label="This picture looks like a stored work", required=False,
                                     choices=OnDuplicate.choices, widget=forms.HiddenInput)
    duplicate_of = forms.IntegerField(required=False, widget=forms.HiddenInput)  # the work the curator was shown
    pending_upload = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Artwork
        fields = ["artist", "artist_qualifier", "title", "image", "published", "accession_number", "date", "year_start",
                  "year_end", "culture", "period", "medium", "dimensions", "classification", "department",
                  "institution", "credit_line", "rights", "rights_url", "attribution", "description",
                  "image_description", "tags", "source_url", "manifest_url"]

    checked_image: images.CheckedImage | None = None
    twin: Artwork | None = None  # the stored work the new picture looks like, once the curator has chosen
    stashed = False  # the picture came back from pending_upload

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rights"].required = False  # left out, it stays "unknown"
        if self.is_bound and self.data.get("pending_upload") and not self.files.get("image"):
            self.fields["image"].required = False  # the kept picture stands in for the file

    @property
    def has_new_image(self) -> bool:
        return self.stashed or "image" in self.changed_data

    def clean_rights(self) -> str:
        return self.cleaned_data.get("rights") or Artwork.Rights.UNKNOWN

    def clean_image(self):
        """Check a newly uploaded file here, once, so a bad or duplicate image is an error on the form."""
        image = self.cleaned_data["image"]
        if not self.files.get("image") and self.data.get("pending_upload"):
            image = duplicates.upload_unstash(self.data["pending_upload"])
            if image is None:
                raise ValidationError("The picture kept while you chose has expired: attach it again.")
            self.stashed = True
        if image and self.has_new_image:
            checked = self.checked_image = images.check_image(image)
            duplicate = Artwork.objects.filter(image_sha256=checked.sha256).exclude(pk=self.instance.pk).first()
            if duplicate:
                raise ValidationError(f"This exact image is already in the collection: “{duplicate}” (#{duplicate.pk}).")
        return image

    def clean(self):
        cleaned = super().clean()
        if self.checked_image is None or "image" in self.errors:
            return cleaned
        twin = duplicates.near_duplicate(images.perceptual_hash(self.checked_image.image), exclude=self.instance)
        choice = cleaned.get("on_duplicate")
        if twin is not None and (not choice or cleaned.get("duplicate_of") != twin.pk
                                 or choice not in self._choices()):
            self._ask(twin, cleaned["image"])
        self.twin = twin
        return cleaned

    def _choices(self) -> list[str]:
        """Replacing another work's picture is offered when adding; a changed work keeps or skips its new picture."""
        return OnDuplicate.values if self.instance.pk is None else [OnDuplicate.KEEP, OnDuplicate.SKIP]

    def _ask(self, twin: Artwork, image) -> None:
        """Show the work the picture looks like, and the choices; keep the picture meanwhile."""
        data = self.data.copy()
        data["duplicate_of"] = str(twin.pk)
        if not self.stashed:
            data["pending_upload"] = duplicates.upload_stash(image)
        self.data = data
        labels = dict(OnDuplicate.choices)
        if self.instance.pk is not None:
            labels[OnDuplicate.SKIP] = "Skip the new picture: this work keeps its own (the other changes are saved)"
        field = self.fields["on_duplicate"]
        field.widget = forms.RadioSelect(choices=[(value, labels[value]) for value in self._choices()])
        # On the field and on its bound field, which validation has already made (and which copied the old text).
        field.help_text = self["on_duplicate"].help_text = format_html(
            '<img src="{}" alt="" class="admin-preview"><br><a href="{}">{}</a> (#{}), {} of 128 bits apart.',
            twin.thumbnail.url if twin.thumbnail else "", reverse("admin:gallery_artwork_change", args=[twin.pk]),
            twin, twin.pk, twin.hamming)
        message = (f"This picture looks like “{twin}” (#{twin.pk}), already in the collection. Choose below whether "
                   "to keep both, skip it, or replace that work's picture with it, then save again.")
        if not data["pending_upload"]:
            message += " Attach the file again: it could not be kept meanwhile."
        raise ValidationError(message, code="near_duplicate")


@admin.register(Artwork)
class ArtworkAdmin(admin.ModelAdmin):
    form = ArtworkAdminForm
    list_display = ["thumbnail_tag", "title", "credited_artist", "accession_number", "date", "published", "status",
                    "updated_at"]
    list_display_links = ["thumbnail_tag", "title"]
    list_filter = ["published", "status", "classification", "department", "institution", "rights",
                   "embedding_model", ArtworkGenreListFilter]
    list_select_related = ["artist"]
    search_fields = ["title", "artist__name", "accession_number", "source_id"]
    autocomplete_fields = ["artist"]
    readonly_fields = ["preview", "status", "failure_reason", "embedding_model", "width", "height", "image_sha256",
                       "perceptual_hash", "source_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["preview", "image", "on_duplicate", "duplicate_of", "pending_upload", "title", "artist",
                           "artist_qualifier", "published"]}),
        ("Catalogue record", {"fields": ["accession_number", "date", "year_start", "year_end", "culture", "period",
                                         "medium", "dimensions", "classification", "department", "institution",
                                         "credit_line", "description", "image_description", "tags"]}),
        ("Rights and source", {"fields": ["rights", "rights_url", "attribution", "source_url", "manifest_url",
                                          "source_id"]}),
        ("Processing", {"classes": ["collapse"], "fields": ["status", "failure_reason", "embedding_model", "width",
                                                            "height", "image_sha256", "perceptual_hash",
                                                            "created_at", "updated_at"]}),
    ]
    actions = ["publish_selected", "unpublish_selected", "reembed_selected", "export_selected_csv"]

    @admin.display(description="Artist", ordering="artist__name", empty_value="—")
    def credited_artist(self, artwork: Artwork) -> str | None:
        """The artist as the work's label names them: a workshop piece is not listed as the master's own."""
        return artwork.artist_credit or None

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

    def get_urls(self):
        review = path("duplicates/", self.admin_site.admin_view(self.duplicates_view), name="gallery_artwork_duplicates")
        return [review, *super().get_urls()]

    def save_model(self, request, obj: Artwork, form, change: bool) -> None:
        """Store the artwork; a new picture that looks like another work goes where the curator chose (the form)."""
        twin, choice = form.twin, form.cleaned_data.get("on_duplicate")
        if form.has_new_image and twin is not None and choice == OnDuplicate.REPLACE:
            duplicates.artwork_replace_image(artwork=twin, image=form.cleaned_data["image"], checked=form.checked_image)
            obj.pk, obj.duplicate_outcome = twin.pk, ("replaced", twin)
        elif form.has_new_image and twin is not None and choice == OnDuplicate.SKIP and not change:
            obj.pk, obj.duplicate_outcome = twin.pk, ("skipped", twin)  # nothing is stored
        elif not form.has_new_image or (twin is not None and choice == OnDuplicate.SKIP):
            if form.has_new_image:  # skipped: the work keeps the picture it has, and the other changes are saved
                obj.image = Artwork.objects.values_list("image", flat=True).get(pk=obj.pk)
            obj.save()
            keywords.artworks_index_text(artwork_ids=[obj.pk])
        else:
            ingest.artwork_store(artwork=obj, image=form.cleaned_data["image"], checked=form.checked_image)
            if twin is not None:
                self.message_user(request, format_html(
                    'Both kept: this picture looks like <a href="{}">{}</a>, already in the collection.',
                    reverse("admin:gallery_artwork_change", args=[twin.pk]), twin), messages.WARNING)
        if form.stashed:
            duplicates.upload_forget(form.data["pending_upload"])

    def log_addition(self, request, obj, message):
        outcome = getattr(obj, "duplicate_outcome", None)
        if outcome is None:
            return super().log_addition(request, obj, message)
        if outcome[0] == "replaced":  # nothing was added: the other work changed
            return self.log_change(request, outcome[1], "Replaced its picture with a near-duplicate upload")
        return None

    def response_add(self, request, obj, post_url_continue=None):
        outcome = getattr(obj, "duplicate_outcome", None)
        if outcome is None:
            return super().response_add(request, obj, post_url_continue)
        action, twin = outcome
        text = ("Skipped: nothing was added; the collection keeps “{}” as it is." if action == "skipped" else
                "“{}” now has the new picture (same record and URL); it is embedded again.")
        self.message_user(request, format_html(text, twin), messages.SUCCESS)
        return redirect(reverse("admin:gallery_artwork_change", args=[twin.pk]))

    def duplicates_view(self, request):
        """Pairs of stored works that look alike (gallery.services.duplicates), with "keep both" and delete links."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            try:
                artwork_id, other_id = int(request.POST["artwork"]), int(request.POST["other"])
            except (KeyError, ValueError):
                return redirect(reverse("admin:gallery_artwork_duplicates"))
            if Artwork.objects.filter(pk__in=[artwork_id, other_id]).count() == 2 and artwork_id != other_id:
                duplicates.pair_dismiss(artwork_id=artwork_id, other_id=other_id, user=request.user)
                self.message_user(request, f"Kept both #{artwork_id} and #{other_id}: the pair is no longer listed.",
                                  messages.SUCCESS)
            page = request.POST.get("page", "")
            return redirect(reverse("admin:gallery_artwork_duplicates") + (f"?page={page}" if page.isdigit() else ""))
        review = duplicates.review_pairs()
        page = Paginator(review.pairs, 20).get_page(request.GET.get("page"))
        context = {**self.admin_site.each_context(request), "title": "Near-duplicates", "opts": self.model._meta,
                   "page_obj": page, "review": review, "pairs": duplicates.pairs_load_artworks(list(page.object_list)),
                   "max_bits": duplicates.recognition.NEAR_DUPLICATE_MAX_BITS,
                   "borderline_bits": duplicates.BORDERLINE_MAX_BITS,
                   "borderline_similarity": duplicates.BORDERLINE_MIN_SIMILARITY,
                   "can_change": self.has_change_permission(request),
                   "can_delete": self.has_delete_permission(request)}
        return TemplateResponse(request, "admin/gallery/artwork/duplicates.html", context)

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

    @admin.action(description="Export selected artworks as CSV (imports again)")
    def export_selected_csv(self, request, queryset) -> StreamingHttpResponse:
        lines = catalogue_csv.csv_lines(queryset, image_url=lambda artwork: request.build_absolute_uri(
            artwork.image.url))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="artworks-{localtime():%Y%m%d-%H%M}.csv"'
        return response


def _record_reasons(entries: list[dict], *, testid: str) -> str:
    """A job's [{"record", "reason"}] list (its failures, its links left out) as HTML; "—" when it has none."""
    if not entries:
        return "—"
    return format_html('<ul data-testid="{}">{}</ul>', testid, format_html_join(
        "", "<li>{}: {}</li>", ((entry["record"], entry["reason"]) for entry in entries)))


class CollectionImportForm(forms.ModelForm):
    class Meta:
        model = CollectionImport
        fields = ["export", "source_url", "images", "draft", "on_duplicate"]
        widgets = {"on_duplicate": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "on_duplicate" in self.fields:  # the job's own page shows it read-only
            self.fields["on_duplicate"].required = False  # left out, both are kept

    def clean_on_duplicate(self) -> str:
        return self.cleaned_data.get("on_duplicate") or OnDuplicate.KEEP

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:  # the sources are checked here too, so a wrong file is an error on the form, not a failed job
            import_jobs.check_source(export=cleaned.get("export") or None, source_url=cleaned.get("source_url", ""),
                                     images=cleaned.get("images") or None)
        except import_jobs.ImportFilesRefused as exc:
            raise ValidationError(str(exc)) from None
        return cleaned


@admin.register(CollectionImport)
class CollectionImportAdmin(admin.ModelAdmin):
    """Curators import an export here (a CSV or JSON file and a zip of its images, or a URL: a IIIF manifest, a museum
    API's pages); a worker runs it, and its page shows how far it got (and reloads itself while it runs)."""

    form = CollectionImportForm
    change_form_template = "admin/gallery/collectionimport/change_form.html"
    list_display = ["export_name", "status", "progress", "created", "updated", "unchanged", "failure_count",
                    "created_at"]
    list_filter = ["status"]
    progress_fields = ["status", "format", "progress", "created", "updated", "unchanged", "unpublished",
                       "failure_count", "failure_list", "left_out_list", "near_duplicate_list", "message", "started_by",
                       "started_at", "finished_at"]

    def get_fields(self, request, obj=None):
        return ["export_name", "changes_since", "draft", "on_duplicate", *self.progress_fields] if obj else [
            "export", "source_url", "images", "draft", "on_duplicate"]

    def get_readonly_fields(self, request, obj=None):
        return ["export_name", "changes_since", "draft", "on_duplicate", *self.progress_fields] if obj else []

    def has_change_permission(self, request, obj=None):  # the page is a report: nothing on it is edited
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj: CollectionImport, form, change: bool) -> None:
        job = import_jobs.collection_import_start(export=form.cleaned_data.get("export") or None,
                                                  source_url=form.cleaned_data.get("source_url", ""),
                                                  images=form.cleaned_data.get("images") or None,
                                                  draft=form.cleaned_data["draft"],
                                                  on_duplicate=form.cleaned_data["on_duplicate"],
                                                  started_by=request.user)
        obj.pk = job.pk

    def response_add(self, request, obj, post_url_continue=None):
        """Straight to the job's own page, where its progress shows."""
        return redirect(reverse("admin:gallery_collectionimport_change", args=[obj.pk]))

    @admin.display(description="Progress")
    def progress(self, job: CollectionImport) -> str:
        # A URL's records are counted as its pages come: until it is done, how many so far.
        done = (f"{job.processed} of {job.total} records" if job.total
                else f"{job.processed} records so far" if job.processed else "—")
        if (since := import_jobs.stalled_since(job)) is None:
            return done
        if job.status == CollectionImport.Status.QUEUED:
            hint = ("No worker has taken this job since {}: check that a worker runs (/healthz), or that it is not "
                    "busy with another import.")
        else:
            hint = ("No progress since {}: the worker running it may have stopped. Redis gives its job to another "
                    "worker 13 hours after it started; to run it now, add the same files or URL again (records "
                    "already imported come out unchanged).")
        return format_html("{} <strong data-testid=\"import-stalled\">{}</strong>", done,
                           format_html(hint, localtime(since).strftime("%Y-%m-%d %H:%M")))

    @admin.display(description="Failed")
    def failure_count(self, job: CollectionImport) -> int:
        return len(job.failures)

    @admin.display(description="Failures")
    def failure_list(self, job: CollectionImport) -> str:
        return _record_reasons(job.failures, testid="import-failures")

    @admin.display(description="Links left out")
    def left_out_list(self, job: CollectionImport) -> str:
        """Records imported without a link that could not be stored (no scheme, spaces): to fix at the source."""
        return _record_reasons(job.left_out, testid="links-left-out")

    @admin.display(description="Near-duplicates")
    def near_duplicate_list(self, job: CollectionImport) -> str:
        if not job.near_duplicates:
            return "—"
        rows = ((found["record"], _change_url(found.get("artwork_id")), found["looks_like"],
                 found.get("distance", "?"), found.get("action", "kept")) for found in job.near_duplicates)
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li>{} looks like <a href="{}">{}</a>, {} bits apart: {}</li>', rows))


class ImportScheduleForm(forms.ModelForm):
    class Meta:
        model = ImportSchedule
        fields = ["name", "source_url", "every", "enabled", "draft", "on_duplicate", "next_run_at"]
        widgets = {"on_duplicate": forms.RadioSelect}

    def clean_source_url(self) -> str:
        url = self.cleaned_data["source_url"]
        try:
            import_jobs.check_url(url)
        except import_jobs.ImportFilesRefused as exc:
            raise ValidationError(str(exc)) from None
        return url


@admin.register(ImportSchedule)
class ImportScheduleAdmin(admin.ModelAdmin):
    """Sources imported again on a schedule (README "Keeping a collection in sync"): a worker starts an import of each
    when it is due; "Import selected now" does it at once."""

    form = ImportScheduleForm
    list_display = ["name", "shown_url", "every", "enabled", "next_run_at", "last_import"]
    list_filter = ["enabled", "every"]
    actions = ["import_now"]

    @admin.display(description="URL")
    def shown_url(self, schedule: ImportSchedule) -> str:
        return without_secrets(schedule.source_url)

    @admin.display(description="Last import")
    def last_import(self, schedule: ImportSchedule) -> str:
        job = schedule.last_job
        if job is None:
            return "—"
        return format_html('<a href="{}">{}, {}</a>', reverse("admin:gallery_collectionimport_change", args=[job.pk]),
                           job.get_status_display(), localtime(job.created_at).strftime("%Y-%m-%d %H:%M"))

    @admin.action(description="Import selected now")
    def import_now(self, request, queryset) -> None:
        """Due at once; the worker's next check would start them too, this saves the wait."""
        queryset.update(next_run_at=timezone.now())
        started = set(import_schedules.import_schedules_start())
        waiting = [schedule.name for schedule in queryset.filter(enabled=True) if schedule.last_job_id not in started]
        self.message_user(request, f"{len(started)} import(s) started." + (
            f" Still importing the last time's, so started once it is done: {', '.join(waiting)}." if waiting else ""))


def _change_url(artwork_id: int | None) -> str:
    return reverse("admin:gallery_artwork_change", args=[artwork_id]) if artwork_id else ""
