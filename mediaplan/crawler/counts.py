"""What a crawl reports per source (new / updated / unchanged / failed, and why), in Scrapy's stats.

The spider counts what it skips and what fails, the store pipeline what it writes,
and the runner reads the totals from `crawler.stats` once the crawl has ended. The
counts live where Scrapy keeps every other figure of a crawl, so no component has
to reach into another's fields, and a new component adds to them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapy.statscollectors import StatsCollector

COUNTS = ("new", "updated", "unchanged", "failed")
LISTS = ("errors", "skipped", "discovered")  # errors always reported; the others only when there are some


def _key(source: str, field: str) -> str:
    return f"mediaplan/source/{source}/{field}"


def count(stats: StatsCollector, source: str, field: str, n: int = 1) -> None:
    stats.inc_value(_key(source, field), n)


def note(stats: StatsCollector, source: str, field: str, message: str) -> None:
    """Add a message (an error, a skipped or a discovered URL) to a source's list."""
    key = _key(source, field)
    stats.set_value(key, [*stats.get_value(key, []), message])


def empty_counts() -> dict:
    return {**{field: 0 for field in COUNTS}, "errors": []}


def source_counts(stats: StatsCollector, sources: Iterable[str]) -> dict[str, dict]:
    """The counts of each source, in the shape `run_crawl` returns and the crawl-run row keeps."""
    result = {}
    for source in sources:
        counts = empty_counts()
        for field in COUNTS:
            counts[field] = stats.get_value(_key(source, field), 0)
        for field in LISTS:
            if values := stats.get_value(_key(source, field)):
                counts[field] = list(values)
        result[source] = counts
    return result
