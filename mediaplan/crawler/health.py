"""Source health: is each source collecting, and has any gone silent against its usual volume?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Item, Source, utcnow
from mediaplan.settings import Settings
from mediaplan.vocab import SourceKind

BASELINE_DAYS = 90  # "usual volume" = items per week over the 90 days before the last week


@dataclass
class Health:
    source: Source
    last_7: int
    last_30: int
    usual_per_week: float

    @property
    def silent(self) -> bool:
        """Nothing in a week from a source that usually yields at least one item a week."""
        return self.source.enabled and self.last_7 == 0 and self.usual_per_week >= 1.0


def source_health(session: Session, now: datetime | None = None) -> list[Health]:
    now = now or utcnow()
    when = func.coalesce(Item.published_at, Item.fetched_at)

    def counts(start: datetime, end: datetime) -> dict[int, int]:
        rows = session.execute(select(Item.source_id, func.count(Item.id))
                               .where(when >= start, when < end).group_by(Item.source_id))
        return dict(rows.all())

    week = counts(now - timedelta(days=7), now + timedelta(days=1))
    month = counts(now - timedelta(days=30), now + timedelta(days=1))
    base_start, base_end = now - timedelta(days=BASELINE_DAYS + 7), now - timedelta(days=7)
    base = counts(base_start, base_end)
    # A source followed for less than the whole baseline is judged over the weeks it has been producing.
    first = dict(session.execute(select(Item.source_id, func.min(when))
                                 .where(when >= base_start, when < base_end).group_by(Item.source_id)).all())

    def per_week(source_id: int) -> float:
        if source_id not in first:
            return 0.0
        start = first[source_id] if first[source_id].tzinfo else first[source_id].replace(tzinfo=now.tzinfo)
        weeks = max(1.0, (base_end - start).total_seconds() / (7 * 86400))
        return base.get(source_id, 0) / weeks

    return [Health(s, week.get(s.id, 0), month.get(s.id, 0), per_week(s.id))
            for s in session.scalars(select(Source).order_by(Source.key))]


def held_back(source: Source, settings: Settings, now: datetime) -> tuple[list[str], datetime | None]:
    """Why an enabled source cannot be crawled right now, and when a backed-off one is tried again.

    The one statement of these rules: the crawl (`crawler.run.select_sources`) skips a source for them, and the
    sources page and `sources list` (`services.sources.idle_reasons`) show them. Reasons are Vietnamese.
    """
    reasons: list[str] = []
    if source.kind == SourceKind.FACEBOOK_GRAPH and not settings.facebook_token:
        reasons.append("cần MEDIAPLAN_FACEBOOK_TOKEN để đọc Graph API")
    resume = None
    after = settings.backoff_after
    if source.consecutive_failures >= after and source.last_error_at:
        wait = min(timedelta(minutes=source.interval_minutes * 2 ** min(source.consecutive_failures - after, 5)),
                   timedelta(days=1))
        last = source.last_error_at if source.last_error_at.tzinfo else source.last_error_at.replace(tzinfo=timezone.utc)
        if now - last < wait:
            resume = last + wait
            reasons.append(f"tạm dừng sau {source.consecutive_failures} lần lỗi liên tiếp")
    return reasons, resume
