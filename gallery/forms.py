"""Input shapes: what a search or upload must look like. Files are checked with Pillow (gallery.images)."""

from __future__ import annotations

import functools

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gallery import images
from gallery.models import Artist, Artwork, OnDuplicate
from gallery.querysets import SearchFilters
from gallery.regions import Box
from gallery.services import artist_merge, facets
from gallery.services.result_options import DEFAULT_PER_ARTIST, ResultOptions
from gallery.services.search import DEFAULT_K, MAX_K, SearchQuery


def _century_label(number: int) -> str:
    # The 14th to the 21st: two English patterns; a translation gives its own ("%(number)se siècle").
    if number % 10 == 1 and number % 100 != 11:
        return gettext("%(number)sst century") % {"number": number}
    return gettext("%(number)sth century") % {"number": number}


# "18": the 1800s, the 19th century; labels in the language of the request that renders them.
CENTURIES = [(str(c), lazy(_century_label, str)(c + 1)) for c in range(13, 21)]


class Remembered:
    """A widget mixin whose HTML is kept per widget class, name, value and attributes, which repeat on every search page.

    Django renders each widget through its templates (an input through two, a <select> through one per option): the
    search form's boxes, mostly empty, took a measurable part of a search page's time (bench/README.md). The HTML is
    Django's own, aria attributes and all; the cache is bounded, so made-up values in a query string only evict each
    other.
    """

    def _init_options(self) -> tuple:
        """What the widget's constructor takes besides `attrs`, as (name, value) pairs that can be hashed."""
        return ()

    def render(self, name, value, attrs=None, renderer=None):
        try:
            # An input's constructor takes its type out of attrs ("type": "range"): the copy gets it back.
            own_attrs = {**self.attrs, "type": self.input_type} if isinstance(self, forms.widgets.Input) else self.attrs
            return _remembered_html(type(self), self._init_options(), _texts(own_attrs.items()),
                                    _texts((attrs or {}).items()), name, value, self.is_required, self.is_localized,
                                    renderer)
        except TypeError:  # something unhashable (a list value, lazy options): render it afresh
            return super().render(name, value, attrs, renderer)


def _texts(pairs) -> tuple:
    # Translated attributes and labels as text: the cache keeps one rendering per language.
    return tuple((key, str(value) if isinstance(value, Promise) else value) for key, value in pairs)


@functools.lru_cache(maxsize=1024)
def _remembered_html(widget_class, init_options, widget_attrs, attrs, name, value, is_required, is_localized,
                     renderer):
    widget = widget_class(attrs=dict(widget_attrs), **dict(init_options))
    widget.is_required, widget.is_localized = is_required, is_localized
    return super(Remembered, widget).render(name, value, dict(attrs), renderer)  # Django's own rendering


class RememberedSelect(Remembered, forms.Select):
    def _init_options(self) -> tuple:
        return (("choices", _texts(self.choices)),)


class RememberedTextInput(Remembered, forms.TextInput):
    pass


class RememberedNumberInput(Remembered, forms.NumberInput):
    pass


class RememberedCheckboxInput(Remembered, forms.CheckboxInput):
    pass


FLAG_ON, FLAG_OFF = {"1", "true", "on", "yes"}, {"", "0", "false", "off", "no"}


class FlagInput(Remembered, forms.CheckboxInput):
    """A checkbox that sends "1" and hands the field the text as submitted, so that `close=maybe` can be refused
    (Django's CheckboxInput reads any text but "false" as on, "0" included)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: str(value).lower() in FLAG_ON)

    def format_value(self, value):
        return "1"

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")


class FlagField(forms.Field):
    """An on/off option for links and the API: 1/0, true/false, on/off, yes/no or nothing (off)."""

    widget = FlagInput
    default_error_messages = {"invalid": _("Enter 1 (on) or 0 (off).")}

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> bool:
        text = "" if value is None else str(value).strip().lower()
        if text in FLAG_ON | FLAG_OFF:
            return text in FLAG_ON
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class ResultOptionsForm(forms.Form):
    """How results are shaped: at most N works per artist, close matches only (gallery.services.result_options)."""

    per_artist = forms.IntegerField(label=_("At most this many works per artist"), min_value=0, max_value=MAX_K,
                                    required=False, help_text=_("Empty or 0: no limit"),
                                    widget=RememberedNumberInput(attrs={"aria-describedby": "id_per_artist-help"}))
    close = FlagField(label=_("Close matches only"), help_text=_("Hide the long tail of weaker visual matches"),
                      widget=FlagInput(attrs={"aria-describedby": "id_close-help"}))

    def result_options(self) -> ResultOptions:
        """The valid form's options for the search service."""
        per_artist = self.cleaned_data.get("per_artist")
        return ResultOptions(per_artist=DEFAULT_PER_ARTIST if per_artist is None else per_artist,
                             close=self.cleaned_data.get("close", False))


class SearchForm(ResultOptionsForm):
    """A description, an image, or both, plus filters. Every field is optional; the view decides what is enough."""

    # The example stays English (CLIP reads English); the hint around it is translated. Not remembered: its value
    # differs on nearly every page.
    q = forms.CharField(label=_("Describe it"), max_length=300, required=False, strip=True,
                        widget=forms.TextInput(attrs={"placeholder": _("a stormy sea at night   (add “not: boats” "
                                                                       "to steer away)"), "type": "search"}))
    image = forms.FileField(label=_("…or upload a picture"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    image_weight = forms.FloatField(label=_("Picture vs. description"), min_value=0.0, max_value=1.0, required=False,
                                    initial=0.5, widget=RememberedNumberInput(attrs={"type": "range", "step": "0.1",
                                                                                       "min": "0", "max": "1"}))
    k = forms.IntegerField(label=_("Results per page"), min_value=1, max_value=MAX_K, required=False, initial=DEFAULT_K,
                           widget=RememberedNumberInput)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    qid = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    # A text box, not a <select>: a collection with thousands of artists would make every search page huge.
    artist = forms.CharField(label=_("Artist"), max_length=200, required=False,
                             help_text=_("A name, e.g. Claude Monet"),
                             widget=RememberedTextInput(attrs={"list": "artist-names", "placeholder": _("Any artist")}))
    genre = forms.ChoiceField(label=_("Genre"), required=False, widget=RememberedSelect)
    nationality = forms.ChoiceField(label=_("Nationality"), required=False, widget=RememberedSelect)
    century = forms.ChoiceField(label=_("Period"), choices=[("", _("Any period"))] + CENTURIES, required=False,
                                help_text=_("Artists alive in that century"), widget=RememberedSelect)
    year_from = forms.IntegerField(label=_("From year"), min_value=1000, max_value=2100, required=False,
                                   widget=RememberedNumberInput)
    year_to = forms.IntegerField(label=_("To year"), min_value=1000, max_value=2100, required=False,
                                 widget=RememberedNumberInput)
    # Text, offered as a list of today's values: a value the list does not know yet (an import minutes ago, an API
    # client) filters all the same instead of being refused.
    classification = forms.CharField(label=_("Classification"), max_length=100, required=False,
                                     widget=RememberedSelect)
    department = forms.CharField(label=_("Department"), max_length=200, required=False, widget=RememberedSelect)
    institution = forms.CharField(label=_("Held by"), max_length=300, required=False, widget=RememberedSelect)
    culture = forms.CharField(label=_("Culture"), max_length=200, required=False, widget=RememberedSelect)
    made_from = forms.IntegerField(label=_("Made from"), min_value=-3000, max_value=2100, required=False,
                                   help_text=_("The work's own date"), widget=RememberedNumberInput)
    made_to = forms.IntegerField(label=_("Made until"), min_value=-3000, max_value=2100, required=False,
                                 widget=RememberedNumberInput)
    open_access = forms.BooleanField(label=_("Open access only"), required=False,
                                     help_text=_("Public domain or CC0 images"), widget=RememberedCheckboxInput)
    # Detail search: a box (x,y,w,h in fractions) of the uploaded picture, or of a stored work's (`artwork`).
    artwork = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    box = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.facets = facets.search_facets()
        if not self._facets_know(self.facets):  # maybe added since this process last looked
            self.facets = facets.search_facets(fresh=True)
        self.fields["genre"].choices = [("", gettext("Any genre"))] + [(g, g) for g in self.facets.genres]
        self.fields["nationality"].choices = [("", gettext("Any nationality"))] + [
            (n, n) for n in self.facets.nationalities]
        catalogue = facets.catalogue_facets()
        self.fields["classification"].widget.choices = [("", gettext("Any classification"))] + [
            (c, c) for c in catalogue.classifications]
        self.fields["department"].widget.choices = [("", gettext("Any department"))] + [
            (d, d) for d in catalogue.departments]
        self.fields["culture"].widget.choices = [("", gettext("Any culture"))] + [(c, c) for c in catalogue.cultures]
        self.fields["institution"].widget.choices = [("", gettext("Any institution"))] + [
            (i, i) for i in catalogue.institutions]
        # One museum's own collection names one institution (or none): no choice to offer.
        self.offers_institutions = len(catalogue.institutions) > 1

    def _facets_know(self, current: facets.Facets) -> bool:
        """Whether `current` lists the genre and nationality this form was given (an empty form's, trivially)."""
        if not self.is_bound:
            return True
        return all(not value or value in known for value, known in (
            (self.data.get("genre"), current.genres), (self.data.get("nationality"), current.nationalities)))

    def clean_k(self) -> int:
        return self.cleaned_data["k"] or DEFAULT_K

    def clean_artist(self) -> Artist | None:
        """An artist by slug (as links and the API pass it) or by name, in any case."""
        value = self.cleaned_data["artist"].strip()
        if not value:
            return None
        artist = (Artist.objects.filter(slug=value).first() or Artist.objects.filter(name__iexact=value).first()
                  or artist_merge.artist_by_alias(slug=value, name=value))  # a link made before a merge
        if artist is None:
            raise ValidationError(gettext("Unknown artist “%(name)s”.") % {"name": value})
        return artist

    def clean_artwork(self) -> Artwork | None:
        pk = self.cleaned_data.get("artwork")
        if pk is None:
            return None
        artwork = Artwork.objects.published().filter(pk=pk).first()
        if artwork is None:
            raise ValidationError(gettext("No artwork with id %(pk)s.") % {"pk": pk})
        return artwork

    def clean_box(self) -> Box | None:
        text = self.cleaned_data.get("box", "").strip()
        if not text:
            return None
        try:
            return Box.parse(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_image(self) -> images.CheckedImage | None:
        upload = self.cleaned_data.get("image")
        return images.check_image(upload) if upload else None

    def clean(self):
        cleaned = super().clean()
        year_from, year_to = cleaned.get("year_from"), cleaned.get("year_to")
        if century := cleaned.get("century"):
            year_from, year_to = int(century) * 100, int(century) * 100 + 99
        if year_from is not None and year_to is not None and year_from > year_to:
            raise ValidationError(gettext("“From year” must not be after “To year”."))
        made_from, made_to = cleaned.get("made_from"), cleaned.get("made_to")
        if made_from is not None and made_to is not None and made_from > made_to:
            raise ValidationError(gettext("“Made from” must not be after “Made until”."))
        cleaned["filters"] = SearchFilters(artist=cleaned.get("artist"), genre=cleaned.get("genre") or "",
                                           nationality=cleaned.get("nationality") or "",
                                           year_from=year_from, year_to=year_to,
                                           classification=cleaned.get("classification") or "",
                                           department=cleaned.get("department") or "",
                                           institution=cleaned.get("institution") or "",
                                           culture=cleaned.get("culture") or "",
                                           made_from=made_from, made_to=made_to,
                                           open_access=bool(cleaned.get("open_access")))
        if cleaned.get("box") is not None and not cleaned.get("artwork") and not cleaned.get("image"):
            raise ValidationError(gettext("A box marks a detail of a picture: send it with an image or an artwork id."))
        if cleaned.get("artwork") and cleaned.get("image"):
            raise ValidationError(gettext("Search a detail of a stored artwork or an uploaded picture, not both."))
        cleaned["image_weight"] = 0.5 if cleaned.get("image_weight") is None else cleaned["image_weight"]
        cleaned["page"] = cleaned.get("page") or 1
        return cleaned

    def search_query(self, *, image_label: str = "") -> SearchQuery:
        """The valid form as the search service's query."""
        cleaned = self.cleaned_data
        return SearchQuery(text=cleaned["q"], image=cleaned["image"], image_label=image_label,
                           image_weight=cleaned["image_weight"], filters=cleaned["filters"], qid=cleaned["qid"],
                           box=cleaned.get("box"), artwork=cleaned.get("artwork"))


class KForm(ResultOptionsForm):
    """k, page and the result options, for "more like this"."""

    k = forms.IntegerField(min_value=1, max_value=MAX_K, required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def clean_k(self) -> int:
        return self.cleaned_data["k"] or DEFAULT_K

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1


class ArtworkUploadForm(forms.Form):
    """A curator's upload: which artist, what title, which file. The file is checked by the ingest service.

    When the picture looks like a stored work, the view asks (ask_about): the form comes back with the choices, and
    the picture, kept meanwhile under `pending_upload`, need not be sent again."""

    artist = forms.ModelChoiceField(label=_("Artist"), queryset=Artist.objects.all())
    title = forms.CharField(label=_("Title"), max_length=255)
    image = forms.FileField(label=_("Image"),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
                            help_text=_("JPEG, PNG or WebP"))
    on_duplicate = forms.ChoiceField(label=_("This picture looks like a stored work"), required=False,
                                     choices=OnDuplicate.choices, widget=forms.HiddenInput)
    duplicate_of = forms.IntegerField(required=False, widget=forms.HiddenInput)  # the work the curator was shown
    pending_upload = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get("pending_upload") and not self.files.get("image"):
            self.fields["image"].required = False  # the kept picture stands in for the file

    def ask_about(self, twin_pk: int, pending_upload: str) -> None:
        """Show the near-duplicate choices for the stored work `twin_pk` (the form is shown again, not saved)."""
        self.data = self.data.copy()
        self.data.update({"duplicate_of": str(twin_pk), "pending_upload": pending_upload, "on_duplicate": ""})
        self.fields["on_duplicate"].widget = forms.RadioSelect(choices=OnDuplicate.choices)
        self.fields["on_duplicate"].required = True
