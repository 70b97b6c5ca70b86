"""What the management-command tests share."""

from __future__ import annotations

from io import StringIO


def command_output(*args, **options) -> str:
    """Run a management command in this process and return what it wrote to stdout."""
    from django.core.management import call_command

    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()
