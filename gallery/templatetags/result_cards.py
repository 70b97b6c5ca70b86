"""The search results' cards, written in Python: `{% result_cards hits %}`.

A results page shows 24 to 100 of them, and Django's template engine spent most of a card's rendering resolving its
forty variables and filters (bench/README.md, "Where the time goes"). format_html escapes every value as the
template's autoescaping did; the markup is the grid cards' (includes/_artwork_card.html) with the match's score, its
reasons and, for a detail, the frame of where it lies. The words every card repeats are translated once a page.
"""

from __future__ import annotations

from typing import NamedTuple

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from gallery.services.results import SearchHit

from .gallery_tags import alt_text, frame_in, percent, reason_labels, shape

register = template.Library()


@register.simple_tag(takes_context=True)
def result_cards(context, hits: list[SearchHit]) -> SafeString:
    """Each result as an <li>: its picture (with the frame of the matched detail), title, artist, date, score, the
    reasons it matched and a "more like this" link."""
    labels = _Labels.for_page(detail=bool(context.get("detail_of")))
    return mark_safe("".join(_card(hit, labels) for hit in hits))  # each card built by format_html


class _Labels(NamedTuple):
    """The words every card repeats, translated once a page."""

    recognised: str
    score_title: str
    score: str
    why: str
    found_where: str
    more_like_this: str
    unknown_artist: str

    @classmethod
    def for_page(cls, *, detail: bool) -> _Labels:
        return cls(gettext("This artwork is in the collection"), gettext("Cosine similarity of the CLIP vectors"),
                   gettext("Similarity %(score)s"), gettext("matched by %(reasons)s"),
                   gettext("The framed part matched your detail.") if detail
                   else gettext("The framed part matched your picture."),
                   gettext("More like this"), gettext("Unknown artist"))


def _card(hit: SearchHit, labels: _Labels) -> SafeString:
    work = hit.artwork
    href = work.get_absolute_url() + (f"?box={hit.box}" if hit.box else "")
    ratio = shape(work.width, work.height)
    return format_html(
        '<li class="tile result{}"{} data-testid="result-card">\n'
        '  <div class="tile-picture">\n    <a class="result-image" href="{}">\n      <img src="{}" alt="{}" '
        'loading="lazy"{}>\n      {}\n    </a>\n  </div>\n'
        '  <div class="tile-caption">\n    {}\n    <h3><a href="{}">{}</a></h3>\n'
        '    <p class="tile-meta">{}{}</p>\n'
        '    <p class="tile-why"><span class="score" title="{}">{}</span> · <span class="why" data-testid="why">{}'
        '</span></p>\n    {}\n'
        '    <p class="tile-links"><a href="{}">{}<span class="visually-hidden">: {}</span></a></p>\n'
        '  </div>\n</li>',
        " result-recognised" if hit.in_collection else "",
        format_html(' data-ratio="{}"', ratio) if ratio else "",
        href, (work.thumbnail or work.image).url, alt_text(work), _size(work), _frame(hit),
        format_html('<p class="recognised" data-testid="in-collection">{}</p>', labels.recognised)
        if hit.in_collection else "",
        href, work.title, _attribution(work, labels), f" · {work.date}" if work.date else "",
        labels.score_title, labels.score % {"score": percent(hit.similarity)},
        labels.why % {"reasons": reason_labels(hit.reasons)},
        format_html('<p class="found-where" data-testid="found-where">{}</p>', labels.found_where) if hit.box else "",
        work.get_similar_url(), labels.more_like_this, work.title,
    )


def _size(work) -> SafeString | str:
    return format_html(' width="{}" height="{}"', work.width, work.height) if work.width and work.height else ""


def _frame(hit: SearchHit) -> SafeString | str:
    """The SVG frame of where the query's detail lies in the work, drawn over its picture."""
    if not hit.box:
        return ""
    f = frame_in(hit.box, hit.artwork)
    return format_html('<svg class="detail-box" viewBox="{}" preserveAspectRatio="{}" aria-hidden="true" '
                       'focusable="false" data-testid="result-box"><rect class="found" x="{}" y="{}" width="{}" '
                       'height="{}"></rect></svg>', f["viewbox"], f["aspect"], f["x"], f["y"], f["w"], f["h"])


def _attribution(work, labels: _Labels) -> SafeString:
    """"Attributed to <a>Rembrandt</a>", the artist's link; with no artist, the work's culture or "Unknown artist"."""
    if work.artist is None:
        return format_html('<span class="unknown-artist">{}</span>', work.culture or labels.unknown_artist)
    qualifier = format_html('<span class="artist-qualifier">{}</span> ', work.artist_qualifier) \
        if work.artist_qualifier else ""
    return format_html('{}<a href="{}">{}</a>', qualifier, work.artist.get_absolute_url(), work.artist.name)

