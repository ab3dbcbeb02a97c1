"""Link published items back to the coverages that planned them.

A candidate must come from the coverage's outlet, on a compatible platform, and be
published in a window around its slot. Theme overlap, the column's name among the
item's tags or in its title, headline similarity, the format and the distance in
time make up the score. A confident, unambiguous match marks the coverage published
with the item as evidence; a plausible one is offered to an editor as a suggestion;
a published education item that matches nothing counts as unplanned coverage. Only an
item with a decisive sign (the column's tag, or the planned format) is linked without asking.
"""

from __future__ import annotations

from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.calendar.workflow import change_status, log
from mediaplan.db.schema import Coverage, Delivery, Item, Story
from mediaplan.nlp.normalize import fold
from mediaplan.reports.counts import platform_clause
from mediaplan.vocab import CoverageStatus, LinkStatus, MatchedBy, WorkflowAction

WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER = timedelta(days=3)
CONFIDENT = 0.6
SUGGEST = 0.35
MARGIN = 0.15  # the best candidate must beat the second by this much to be linked without asking
MONITOR = "giám sát"  # the name the audit log gives to automatic links


def score(coverage: Coverage, item: Item) -> tuple[float, bool]:
    """The match score, and whether the item carries a decisive sign (its column's tag, or the planned format)."""
    story = coverage.story
    s = 0.0
    decisive = False
    item_themes = {t.theme_code for t in item.themes if not t.removed}
    if story.themes:
        s += 0.4 * len(item_themes & set(story.themes)) / len(set(story.themes))
    elif item.education:
        s += 0.2
    title = fold(item.title or "")
    if story.column is not None:
        tags = [fold(t) for t in (item.extra or {}).get("tags", [])]
        if fold(story.column.name) in tags or fold(story.column.name) in title:
            s += 0.5
            decisive = True
    elif story.title:
        s += 0.4 * SequenceMatcher(None, fold(story.title), title).ratio()
    if coverage.format and coverage.format == item.format:
        s += 0.2
        decisive = True
    elif coverage.format and story.column is None:
        s -= 0.2  # a one-off coverage planned as an infographic is not delivered by an article
    if coverage.platform:  # every candidate is on the planned platform (`reports.counts.platform_clause`)
        s += 0.1
    if coverage.publish_at and item.published_at:
        hours = abs((item.published_at - coverage.publish_at).total_seconds()) / 3600
        s += 0.2 * max(0.0, 1 - hours / 72)
    return s, decisive


def link_deliveries(session: Session) -> dict:
    """Match open coverages to items; idempotent. Returns counts of linked and suggested."""
    taken = set(session.scalars(select(Delivery.item_id).where(Delivery.status != LinkStatus.REJECTED)))
    rejected = set(session.execute(select(Delivery.coverage_id, Delivery.item_id).where(Delivery.status == LinkStatus.REJECTED)))
    coverages = session.scalars(
        select(Coverage).join(Story).options(selectinload(Coverage.story).selectinload(Story.column), selectinload(Coverage.deliveries))
        .where(Coverage.status.not_in([CoverageStatus.CANCELLED, CoverageStatus.PUBLISHED]), Coverage.publish_at.is_not(None))
        .order_by(Coverage.publish_at)
    ).all()
    counts = {"linked": 0, "suggested": 0}
    for coverage in coverages:
        if any(d.status in {LinkStatus.CONFIRMED, LinkStatus.SUGGESTED} for d in coverage.deliveries):
            continue
        query = select(Item).options(selectinload(Item.themes)).where(
            Item.published_at >= coverage.publish_at - WINDOW_BEFORE,
            Item.published_at <= coverage.publish_at + WINDOW_AFTER,
        )
        if coverage.outlet_id:
            query = query.where(Item.outlet_id == coverage.outlet_id)
        if coverage.platform:
            query = query.where(platform_clause(coverage.platform))
        candidates = [i for i in session.scalars(query) if i.id not in taken and (coverage.id, i.id) not in rejected]
        scored = sorted(((*score(coverage, i), i) for i in candidates), key=lambda x: -x[0])
        if not scored or scored[0][0] < SUGGEST:
            continue
        best, decisive, item = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        if best >= CONFIDENT and decisive and best - runner_up >= MARGIN:
            coverage.deliveries.append(Delivery(item_id=item.id, matched_by=MatchedBy.MONITOR, status=LinkStatus.CONFIRMED,
                                                 score=round(best, 3)))
            session.flush()
            change_status(session, coverage, CoverageStatus.PUBLISHED, MONITOR, f"đã đăng: {item.url}", force=True)
            log(session, coverage, WorkflowAction.LINK, None, f"item #{item.id}", MONITOR, f"điểm {best:.2f}")
            taken.add(item.id)
            counts["linked"] += 1
        else:
            coverage.deliveries.append(Delivery(item_id=item.id, matched_by=MatchedBy.MONITOR, status=LinkStatus.SUGGESTED,
                                                 score=round(best, 3)))
            log(session, coverage, WorkflowAction.SUGGEST, None, f"item #{item.id}", MONITOR, f"điểm {best:.2f}, cần biên tập viên xác nhận")
            counts["suggested"] += 1
    session.flush()
    return counts


def confirm(session: Session, coverage: Coverage, item_id: int, by: str, accept: bool = True) -> Delivery:
    """An editor confirms (or rejects) a suggested link, or links an item by hand."""
    delivery = next((d for d in coverage.deliveries if d.item_id == item_id), None)
    if delivery is None:
        if session.get(Item, item_id) is None:
            raise ValueError(f"không có tin, bài #{item_id}")
        delivery = Delivery(item_id=item_id, matched_by=MatchedBy.MANUAL, score=1.0)
        coverage.deliveries.append(delivery)
    delivery.status = LinkStatus.CONFIRMED if accept else LinkStatus.REJECTED
    session.flush()
    log(session, coverage, WorkflowAction.LINK if accept else WorkflowAction.UNLINK, None, f"item #{item_id}", by)
    if accept and coverage.status != CoverageStatus.PUBLISHED:
        change_status(session, coverage, CoverageStatus.PUBLISHED, by, "biên tập viên xác nhận đã đăng", force=True)
    return delivery


def unplanned_items(session: Session, start, end) -> list[Item]:
    """Education items published in [start, end) that deliver no coverage: unplanned coverage."""
    linked = select(Delivery.item_id).where(Delivery.status == LinkStatus.CONFIRMED)
    return list(session.scalars(
        select(Item).options(selectinload(Item.themes), selectinload(Item.outlet))
        .where(Item.education.is_(True), Item.published_at >= start, Item.published_at < end, Item.id.not_in(linked))
        .order_by(Item.published_at)
    ))
