"""JSON text of an export parsed, with a document nested deeper than the parser goes refused like invalid JSON."""

from __future__ import annotations

import json


def loads(text: str) -> object:
    """json.loads; a value nested too deeply for Python's parser (a RecursionError, which no caller expects from bad
    input) raises json.JSONDecodeError, so that it is reported with the rest of the export's invalid JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
