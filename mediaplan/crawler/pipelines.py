"""Item pipelines: where what the spider found is written to the database."""

from __future__ import annotations

from pathlib import Path

from mediaplan.crawler import counts, store
from mediaplan.db import session_scope


class StorePipeline:
    """Writes each item in its own transaction: a killed crawl loses at most the item in flight.

    The outcome (new / updated / unchanged) is counted per source in the crawl's stats. An item the store
    refuses (its link is not http(s)) counts as failed, with the reason among the source's errors, which the
    crawl's summary prints and `run_crawl` keeps as the source's last error.
    """

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.data_dir = Path(crawler.settings.get("MEDIAPLAN_DATA_DIR"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: store.Fetched) -> store.Fetched:
        with session_scope() as session:
            outcome = store.upsert_item(session, item, self.data_dir)
        if outcome == store.REFUSED:
            counts.count(self.stats, item.source_key, "failed")
            counts.note(self.stats, item.source_key, "errors", store.refused_link(item) or outcome)
        else:
            counts.count(self.stats, item.source_key, outcome)
        return item
