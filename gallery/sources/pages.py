"""Following an export's pages: an API's next links (json_records), an OAI-PMH harvest's resumption tokens (lido).

Each next page is fetched only when the reader asks for it, so an import with a limit fetches no more than it reads;
a transient failure is tried again (download.fetch_retrying); a page that cannot be fetched ends the pages, reported;
a page linking back to one already read ends them; after MAX_PAGES the next page is reported as not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .download import DownloadError, fetch_retrying, without_secrets
from .records import SkippedRecord

MAX_PAGES = 10_000  # a server that links page after page without end stops here (an import's --limit stops sooner)


def following(first: object, url: str, *, next_url: Callable[[object, str], str],
              load: Callable[[str], object]) -> Iterator[tuple[str, object] | SkippedRecord]:
    """(where, page) for each page after `first`, which was fetched from `url`: `next_url(page, page_url)` gives the
    next page's URL ("" at the last), `load` fetches it; `where` is its URL as messages show it. A page that cannot be
    fetched, or the page past MAX_PAGES, is yielded as a SkippedRecord and ends them."""
    page, page_url, seen = first, url, {url}
    for _ in range(MAX_PAGES - 1):  # the first page counts
        link = next_url(page, page_url)
        if not link or link in seen:
            return
        seen.add(link)
        try:
            page = fetch_retrying(load, link)
        except (DownloadError, ValueError) as error:  # ValueError: the loader could not parse what it fetched
            yield SkippedRecord(where=without_secrets(link), reason=f"cannot fetch the next page: {error}")
            return
        page_url = link
        yield without_secrets(link), page
    if (link := next_url(page, page_url)) and link not in seen:
        yield SkippedRecord(where=without_secrets(link), reason=f"not read: the import stops after {MAX_PAGES:,} "
                                                                f"pages; import from this page to go on")
