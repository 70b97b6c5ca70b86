"""Small text clean-ups the readers share: newlines, surrounding blanks, HTML in IIIF values."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Tags that end a line when a IIIF value is shown as HTML; everything else just loses its markup.
_BREAKING_TAGS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f]")  # \v: FileMaker exports write a field's line breaks so
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean(value: object) -> str:
    """str(value) with \\r\\n, \\r, \\v and \\f made \\n, the other control characters but tabs removed (PostgreSQL
    refuses NUL in text, and the rest are never catalogue text), each line's trailing blanks and the text's outer
    blanks removed.

    None is "". Inner line breaks stay: a multi-line dimensions field keeps its lines.
    """
    if value is None:
        return ""
    text = _CONTROLS.sub("", _LINE_BREAKS.sub("\n", str(value)))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BREAKING_TAGS:
            self.parts.append("\n")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag in _BREAKING_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def strip_html(value: object) -> str:
    """The text of a value that may hold HTML (IIIF allows a few tags): tags gone, entities decoded, lines kept."""
    text = clean(value)
    if "<" not in text:
        return clean(html.unescape(text))
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def split_tags(text: str, separators: str = ";|") -> list[str]:
    """The distinct non-blank parts of `text` between any of `separators`, in their first order."""
    tags: list[str] = []
    for tag in re.split(f"[{re.escape(separators)}]", text):
        if (tag := tag.strip()) and tag not in tags:
            tags.append(tag)
    return tags
