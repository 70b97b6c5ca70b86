"""Build the vector indexes of the kind GALLERY_VECTOR_INDEX names (vector, halfvec or binary) and drop the others.

    manage.py vector_index               # concurrently: searches go on meanwhile
    manage.py vector_index --keep-others # build, but keep the other kinds' (processes not yet restarted use them)
    manage.py vector_index --status      # which indexes exist, their kind and size

The stored vectors are never touched; only the index changes. Set GALLERY_INDEX_BUILD_MEMORY (maintenance_work_mem)
large enough for the graph (about 4 GB for 1M rows of "vector", half that for "halfvec"): README "Compact vectors".
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from gallery import vector_index
from gallery.services import vector_indexes


class Command(BaseCommand):
    help = __doc__.strip().splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true", help="list the vector indexes and change nothing")
        parser.add_argument("--keep-others", action="store_true",
                            help="keep the other kinds' indexes (drop them later by running this without it)")

    def handle(self, *args, status: bool, keep_others: bool, **options):
        kind = vector_index.configured_kind()
        if not status:
            start = time.monotonic()
            built = vector_indexes.build(kind, keep_others=keep_others, report=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(
                f"Built {', '.join(built)} in {time.monotonic() - start:.0f} s." if built else
                f"The {kind} indexes exist already."))
        for state in vector_indexes.existing():
            flag = "" if state.valid else " (INVALID: run this command again)"
            self.stdout.write(f"{state.name}: {state.kind} on {state.table}, {state.megabytes:.1f} MB{flag}")
        if missing := vector_indexes.missing(kind):
            self.stdout.write(self.style.WARNING(f"Missing for GALLERY_VECTOR_INDEX={kind}: {', '.join(missing)}"))
