import json

from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gallery.services import structured_data

register = template.Library()
# What json_script escapes, so that no value can close the <script> element it is written in.
_SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def storage_url(name: str) -> str:
    """URL of a stored file by name (for names annotated onto querysets rather than FieldFiles)."""
    return default_storage.url(name) if name else ""


@register.filter
def percent(similarity: float) -> str:
    return f"{similarity * 100:.1f}%"


@register.filter
def absolute_url(url: str, request) -> str:
    """`url` (a path, or already absolute: a bucket's) made absolute for this request's host, for sharing tags."""
    return request.build_absolute_uri(url) if url else ""


@register.filter
def frame_in(box, artwork) -> dict:
    """`box` (fractions of the picture) in the artwork's own pixels, with the viewBox and aspect of an SVG drawn over
    its picture: the frame stays on the picture even where object-fit: contain letterboxes it in a narrow tile."""
    if not (artwork.width and artwork.height):  # unknown shape: the SVG is stretched over the picture's box
        width, height, aspect = 100, 100, "none"
    else:
        width, height, aspect = artwork.width, artwork.height, "xMidYMid meet"
    # Strings, so that no locale's decimal comma reaches the SVG.
    return {"viewbox": f"0 0 {width} {height}", "aspect": aspect, "x": f"{box.x * width:.2f}",
            "y": f"{box.y * height:.2f}", "w": f"{box.w * width:.2f}", "h": f"{box.h * height:.2f}"}


@register.simple_tag(takes_context=True)
def artwork_json_ld(context, artwork) -> str:
    """The work's schema.org VisualArtwork as a JSON-LD script element (gallery/services/structured_data.py)."""
    data = structured_data.visual_artwork(artwork, absolute=context["request"].build_absolute_uri)
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # escaped above


@register.filter
def alt_text(work) -> str:
    """A work in a line, for its picture's alt text and sharing tags: "The Harvesters by Pieter Bruegel the Elder,
    1565"; a qualified attribution follows a comma: "Portrait of a Man, Workshop of Rembrandt, 1650"."""
    text = work.title
    if work.artist is not None:
        text += (f", {work.artist_credit}" if work.artist_qualifier
                 else " " + gettext("by %(name)s") % {"name": work.artist.name})
    return f"{text}, {work.date}" if work.date else text


@register.filter
def shape(width: int | None, height: int | None) -> str:
    """A picture's width / height as the grids' data-ratio attribute ("1.333"), "" when either is unknown."""
    return f"{width / height:.3f}" if width and height else ""


# Why a result is there, as the pages say it; the JSON API keeps the English values (gallery/services/results.py).
REASON_LABELS = {"accession number": _("accession number"), "title": _("title"), "artist": _("artist"),
                 "title words": _("title words"), "catalogue text": _("catalogue text"),
                 "visual similarity": _("visual similarity"),
                 "visual similarity (a region)": _("visual similarity (a region)"),
                 "detail (matching keypoints)": _("detail (matching keypoints)")}


@register.filter
def reason_labels(reasons) -> str:
    """A hit's reasons in the page's language, joined with commas (an unknown reason as it is)."""
    return ", ".join(str(REASON_LABELS.get(reason, reason)) for reason in reasons)
