"""Timings go stale in code comments: they belong in bench/README.md, where each has its date and machine."""

from __future__ import annotations

import re

from tests.helpers import BASE_DIR

# A figure in milliseconds or microseconds: "16 ms", "0.45 ms", "17 µs", "~1 ms".
TIMING = re.compile(r"\d(?:[\d.,]*\d)?\s?(?:ms|µs|us)\b")
CODE = [*BASE_DIR.glob("artsearch/**/*.py"), *BASE_DIR.glob("gallery/**/*.py"), *BASE_DIR.glob("templates/**/*.html"),
        BASE_DIR / "docker-compose.yml", BASE_DIR / "Dockerfile"]


def test_no_code_comment_quotes_a_timing():
    quoted = [f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}" for path in CODE if "migrations" not in path.parts
              for number, line in enumerate(path.read_text().splitlines(), 1) if TIMING.search(line)]
    assert not quoted, "move these figures to bench/README.md:\n" + "\n".join(quoted)


def test_the_pattern_finds_what_it_should():
    assert TIMING.search("took 16 ms for a 4 MB photo") and TIMING.search("about 17 µs a call")
    assert TIMING.search("(0.45 ms less a query)") and not TIMING.search("timeout_ms = 5")
