"""Paths of artwork and artist pages, built without a reverse() per link.

A results page links about 300 pages and files (each card, its artist, "more like this" and the "more by" strip),
and a reverse() per link adds up (bench/README.md). A page path depends only on the view, its argument, the URLconf and
the script prefix: each view is reversed once per URLconf and prefix with a stand-in argument, and a path is that
pattern with the stand-in replaced. Arguments that are not plain ids or ASCII slugs still go through reverse().
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Stand-in arguments: a slug for <slug:…> and <str:…> views, a number for <int:…> ones.
_SLUG_STAND_IN, _INT_STAND_IN = "0stand0in0", 987654321
_PLAIN_ARGUMENT = re.compile(r"[-a-zA-Z0-9_]+")  # what reverse() puts into a path unchanged


def page_path(view_name: str, argument: int | str) -> str:
    """reverse(view_name, args=[argument]) for the current request's URLconf and script prefix."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    text = str(argument)
    if not _PLAIN_ARGUMENT.fullmatch(text):
        return reverse(view_name, args=[argument], urlconf=urlconf)
    head, tail = _path_pattern(view_name, isinstance(argument, int), urlconf, get_script_prefix())
    return head + text + tail


@functools.cache  # a few entries: views × URLconfs × script prefixes
def _path_pattern(view_name: str, int_argument: bool, urlconf: str, script_prefix: str) -> tuple[str, str]:
    """The path of `view_name` before and after its one argument."""
    stand_in = _INT_STAND_IN if int_argument else _SLUG_STAND_IN
    head, _, tail = reverse(view_name, args=[stand_in], urlconf=urlconf).rpartition(str(stand_in))
    return head, tail
