"""Copyright status from what exports say about it: a licence URL, a rights statement, or free text.

Returns one of the four values in records.RIGHTS_VALUES; CC0 and the Public Domain Mark count as public domain.
"""

from __future__ import annotations

import re

from .records import CREATIVE_COMMONS, IN_COPYRIGHT, PUBLIC_DOMAIN, UNKNOWN

_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
# Checked in this order: "not in copyright" must win over "in copyright", and a text that says the image is public
# domain and that the museum's own texts are CC BY (the Getty's statement) describes a public-domain image.
_TEXT_RULES = (
    (PUBLIC_DOMAIN, re.compile(r"\bcc[\s-]?(0|zero)\b|creative commons zero|\bpublic[\s-]domain\b|^pd$|\bpd[\s-]mark\b"
                               r"|\bno copyright\b|\bnot in copyright\b|\bout of copyright\b|\bcopyright[\s-]free\b",
                               re.IGNORECASE)),
    # Not a bare "copyright": "copyright not evaluated" and "copyright status unknown" say nothing.
    (IN_COPYRIGHT, re.compile(r"\b(in|under|protected by) copyright\b|\ball rights reserved\b|©", re.IGNORECASE)),
    (CREATIVE_COMMONS, re.compile(r"\bcc[\s-]by\b|\bcreative\s+commons\b|\battribution(-\w+)*\s+\d\.\d",
                                  re.IGNORECASE)),
)


def classify_url(url: str) -> str:
    """creativecommons.org and rightsstatements.org URLs; any other URL is UNKNOWN."""
    lowered = url.strip().lower()
    if "creativecommons.org/publicdomain/" in lowered:  # /zero/ (CC0) and /mark/ (Public Domain Mark)
        return PUBLIC_DOMAIN
    if "creativecommons.org/licenses/" in lowered:
        return CREATIVE_COMMONS
    if "rightsstatements.org/" in lowered:
        statement = lowered.rstrip("/").split("/vocab/")[-1].split("/")[0]
        if statement.startswith("inc"):  # InC, InC-OW-EU, InC-EDU, InC-NC, InC-RUU
            return IN_COPYRIGHT
        if statement.startswith("noc"):  # NoC-US, NoC-NC, NoC-OKLR, NoC-CR: no copyright, maybe other restrictions
            return PUBLIC_DOMAIN
        return UNKNOWN  # CNE (not evaluated), UND (undetermined), NKC (no known copyright)
    return UNKNOWN


def classify_rights(text: str) -> tuple[str, str]:
    """(rights, rights_url) from a rights field: the URL is kept when the field is a URL, else it is ""."""
    text = (text or "").strip()
    if not text:
        return UNKNOWN, ""
    if _URL.match(text):
        return classify_url(text), text
    for rights, pattern in _TEXT_RULES:
        if pattern.search(text):
            return rights, ""
    # Free text that only links to a licence ("licensed under <a href=...>"): the link decides.
    for url in re.findall(r"https?://[^\s'\"<>]+", text):
        if (rights := classify_url(url)) != UNKNOWN:
            return rights, url
    return UNKNOWN, ""
