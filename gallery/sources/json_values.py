"""JSON text of an export parsed, with a document nested deeper than the parser goes refused like invalid JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def loads(text: str) -> object:
    """json.loads; a value nested too deeply for Python's parser (a RecursionError, which no caller expects from bad
    input) raises json.JSONDecodeError, so that it is reported with the rest of the export's invalid JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, value) for each non-blank line of a JSON Lines file, as it is read; the value is a ValueError
    saying why for a line that is not UTF-8 or not JSON. Each line is decoded alone, so that one bad byte costs its
    line only, wherever it is in the file."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                yield number, ValueError(f"not UTF-8 (byte {error.start})")
                continue
            if not line.strip():
                continue
            try:
                yield number, loads(line)
            except json.JSONDecodeError as error:
                yield number, ValueError(f"invalid JSON: {error.msg}")
