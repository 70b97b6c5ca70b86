"""Year ranges from dates as catalogues display them ("c. 1665–67", "1870s", "late 16th century").

`year_range(text)` reads what the text allows and returns (start, end), None for what it does not say: "before 1500"
is (None, 1500), "after 1754" is (1754, None), "n.d." is (None, None). Years BC are negative.
`resolve_years(text, begin, end)` lets an export's own begin/end years win over the text.
"""

from __future__ import annotations

import re

# Offsets inside a century for the words cataloguers put before it. "early" is the first third, as the Met counts it
# ("early 15th century" has objectBeginDate 1400, objectEndDate 1433).
_CENTURY_PARTS = {
    "first half": (0, 49), "second half": (50, 99),
    "first quarter": (0, 24), "second quarter": (25, 49), "third quarter": (50, 74), "fourth quarter": (75, 99),
    "last quarter": (75, 99), "first third": (0, 32), "last third": (67, 99),
    "early": (0, 32), "beginning": (0, 32), "mid": (33, 66), "middle": (33, 66), "late": (67, 99), "end": (67, 99),
}
_DECADE_PARTS = {"first half": (0, 4), "second half": (5, 9), "early": (0, 3), "mid": (3, 7), "late": (7, 9)}
_PART = re.compile(r"first half|second half|(?:first|second|third|fourth|last) quarter|first third|last third"
                   r"|\bearly\b|\bbeginning\b|\bmid(?:dle)?\b|\blate\b|\bend\b")
_TOKEN = re.compile(
    r"(?P<iso>\b\d{4})-\d{2}-\d{2}\b"  # 2021-04-30: a year, not "2021–04"
    r"|(?P<ordinal>\b\d{1,2})(?:st|nd|rd|th)\b"  # 16th (a century when "century" follows)
    r"|(?P<decade>\b\d{2,3})0\s?'?s\b"  # 1870s, 1880's
    r"|(?P<first>\b\d{3,4})\s*[-/]\s*(?P<short>\d{1,2})\b(?![-/]?\d)"  # 1892–93, 1707-8, 1457/58
    r"|(?P<year>\b\d{3,4})\b(?!\s?'?s\b)"
)
_ERA = re.compile(r"\bb\.?\s?c\.?(?:e\.?)?(?![a-z])|\ba\.?\s?d\.?(?![a-z])|\bc\.?e\.(?![a-z])|\bce\b")
_BEFORE_PREFIX = re.compile(r"\b(before|until|by)\s*$")
_AFTER_PREFIX = re.compile(r"\b(after|from|since)\s*$")
_BEFORE_SUFFIX = re.compile(r"^\s*(or\s+(slightly\s+)?(before|earlier)|before)\b")
_AFTER_SUFFIX = re.compile(r"^\s*(or\s+(slightly\s+)?(after|later)|after)\b")

Interval = tuple[int | None, int | None]


def _normalise(text: str) -> str:
    text = text.lower()
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)  # hyphen, figure dash, en and em dash, minus
    return re.sub(r"(?<=[a-z])(?=\d)", " ", text)  # "the14th" (a real Met date) -> "the 14th"


def _parts(words: str, table: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """Offsets for "late", "mid- to late", "early or mid-" ...: the first word's start, the last word's end."""
    found = [table[match[0]] for match in _PART.finditer(words) if match[0] in table]
    return (found[0][0], found[-1][1]) if found else None


def _is_bc(text: str, position: int) -> bool:
    """A year is BC when the next era marker after it says so: "300–200 B.C.", but "100 B.C.–A.D. 100"."""
    marker = _ERA.search(text, position)
    return bool(marker) and marker[0].startswith("b")


def _interval(match: re.Match, text: str, prefix: str, suffix: str, centuries: bool) -> Interval | None:
    bc = _is_bc(text, match.end())
    if match["ordinal"]:
        century = int(match["ordinal"])
        if not centuries or not 1 <= century <= 30:
            return None  # "August 27th": a day, not a century
        parts = _parts(prefix, _CENTURY_PARTS) or (_parts(suffix, _CENTURY_PARTS) if "(" in suffix else None)
        low, high = parts or (0, 99)
        if bc:  # the 5th century BC runs from 500 to 401 BC; its "early" part is the years nearest 500 BC
            return -century * 100 + low, -century * 100 + high
        return (century - 1) * 100 + low, (century - 1) * 100 + high
    if match["decade"]:
        base = int(match["decade"]) * 10
        low, high = _parts(prefix, _DECADE_PARTS) or (0, 9)
        return (-(base + high), -(base + low)) if bc else (base + low, base + high)
    if match["first"]:
        first, short = int(match["first"]), match["short"]
        modulus = 10 ** len(short)
        second = first - first % modulus + int(short)
        if second < first:  # "1898–02" is 1898–1902
            second += modulus
        return (-first, -second) if bc else (first, second)
    year = int(match["iso"] or match["year"])
    year = -year if bc else year
    if _BEFORE_PREFIX.search(prefix) or _BEFORE_SUFFIX.match(suffix):
        return None, year
    if _AFTER_PREFIX.search(prefix) or _AFTER_SUFFIX.match(suffix):
        return year, None
    return year, year


def year_range(text: str | None) -> tuple[int | None, int | None]:
    """(start, end) years of a displayed date; every year the text names falls inside.

    "1863" -> (1863, 1863); "c. 1665–67" -> (1665, 1667); "1870s" -> (1870, 1879); "18th century" -> (1700, 1799);
    "late 16th century" -> (1567, 1599); "before 1500" -> (None, 1500); "n.d." -> (None, None).
    """
    text = _normalise(text or "")
    matches = list(_TOKEN.finditer(text))
    centuries = "centur" in text
    starts: list[int] = []
    ends: list[int] = []
    for index, match in enumerate(matches):
        prefix = text[matches[index - 1].end() if index else 0:match.start()]
        suffix = text[match.end():matches[index + 1].start() if index + 1 < len(matches) else len(text)]
        interval = _interval(match, text, prefix, suffix, centuries)
        if interval is None:
            continue
        low, high = interval
        if low is not None:
            starts.append(low)
        if high is not None:
            ends.append(high)
    start = min(starts) if starts else None
    end = max(ends) if ends else None
    if start is not None and end is not None and start > end:  # "after 1754 ... 1750": keep what the text names
        start, end = end, start
    return start, end


# An ISO 8601 day or timestamp: "1606-07-15", "1503-01-01T00:00:00Z" (Wikidata's inception, SMK's dates of birth).
_ISO_DATE = re.compile(r"(-?)0*(\d{1,4})-\d\d-\d\d(T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?")


def iso_year(value: object, *, timestamp: bool = False) -> int | None:
    """The year of an ISO 8601 day or timestamp ("-0500-01-01T00:00:00Z" is 500 BCE: -500); with `timestamp`, of a
    timestamp only (a plain day, "1889-05-01", is None). None for anything else."""
    found = _ISO_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or (timestamp and not found[3]):
        return None
    return -int(found[2]) if found[1] else int(found[2])


def year_number(value: object) -> int | None:
    """An export's year field as an int: 1863, "1863", "1863.0", "1840 |1850" (the first); 0, "", None -> None.

    0 means unknown: there is no year 0, and the Met's API uses 0 for "not recorded".
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value or None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value else None
    match = re.match(r"\s*(-?\d{1,4})(?:\.0+)?(?!\d)", str(value))
    return (int(match[1]) or None) if match else None


def resolve_years(text: str | None, begin: object = None, end: object = None) -> tuple[int | None, int | None]:
    """The export's begin/end years where it has them (numbers or strings; empty, 0 and None mean unknown), the years
    read from `text` for the rest."""
    start, stop = year_number(begin), year_number(end)
    if start is None or stop is None:
        parsed_start, parsed_end = year_range(text)
        start = parsed_start if start is None else start
        stop = parsed_end if stop is None else stop
    if start is not None and stop is not None and start > stop:
        start, stop = stop, start
    return start, stop
