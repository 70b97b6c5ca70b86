"""The README is the operator's manual: rewrapping it must not swallow its headings, tables or code blocks."""

from __future__ import annotations

import re

from tests.helpers import BASE_DIR

README = (BASE_DIR / "README.md").read_text()
LINES = README.splitlines()
SECTIONS = ["The two commands", "Using it", "The pages", "JSON API", "Adding artworks: importing a collection",
            "Configuration", "Security and robustness", "Scaling", "Deploying with docker-compose", "Layout",
            "Benchmarks"]


def test_the_sections_are_headings_of_their_own():
    headings = [line[3:] for line in LINES if line.startswith("## ")]
    assert [section for section in SECTIONS if section not in headings] == []
    joined = [line for line in LINES if re.search(r"\S\s+#{2,3} [A-Z]", line) and not line.startswith("|")]
    assert joined == [], "a heading was wrapped into a paragraph"


def test_code_blocks_and_tables_are_whole():
    fences = [line for line in LINES if line.lstrip().startswith("```")]
    assert len(fences) % 2 == 0 and not [line for line in LINES if re.search(r"\S.*```\w", line)]
    rows = [line for line in LINES if "| --- |" in line]
    assert rows and all(line.startswith("|") for line in rows), "a table was wrapped into a paragraph"
