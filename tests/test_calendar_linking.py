"""Linking items back to coverages: monitoring marks a slot published through the workflow, an editor confirms or rejects."""

from datetime import date, datetime

from calendar_helpers import at, person
from sqlalchemy import select

from mediaplan.calendar import stories as planning
from mediaplan.calendar.linking import MONITOR, confirm, link_deliveries
from mediaplan.calendar.series import add_column, ensure_stories
from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Story, WorkflowEvent


def _item(session, slug, title, when, tags=()):
    url = f"https://baoquangngai.vn/giao-duc/{slug}.htm"
    upsert_item(session, Fetched(source_key="baoquangngai-rss", kind="article", url=url, canonical_url=url, title=title,
                                 sapo=title, body=title, published_at=when, extra={"tags": list(tags)}))
    return session.scalar(select(Item).where(Item.url == url))


def _events(session, coverage_id):
    return [(e.action, e.from_value, e.to_value, e.by) for e in session.scalars(
        select(WorkflowEvent).where(WorkflowEvent.entity == "coverage", WorkflowEvent.entity_id == coverage_id)
        .order_by(WorkflowEvent.id))]


def test_an_item_tagged_with_its_column_marks_the_slot_published_through_the_workflow(db):
    with session_scope() as session:
        add_column(session, "Đột phá giáo dục", "baoquangngai", "online", "article", "FREQ=WEEKLY;BYDAY=TH",
                   at(2026, 11, 5, 7, 0), ["dissemination"], person(session, "thanhhai", "Thanh Hải"))
        ensure_stories(session, date(2026, 11, 1), date(2026, 11, 13))  # 5 and 12 Nov
        item = _item(session, "dot-pha-1", "Trường học vùng cao đổi mới dạy và học", at(2026, 11, 5, 8, 0),
                     tags=["Đột phá giáo dục"])
        assert link_deliveries(session) == {"linked": 1, "suggested": 0}
        assert link_deliveries(session) == {"linked": 0, "suggested": 0}  # idempotent
        first, second = session.scalars(select(Story).order_by(Story.occurrence_start)).all()
        coverage = first.coverages[0]
        assert [(d.item_id, d.status, d.matched_by) for d in coverage.deliveries] == [(item.id, "confirmed", "monitor")]
        assert (coverage.status, first.status) == ("published", "published")
        assert second.coverages[0].status == "assigned" and not second.coverages[0].deliveries
        assert _events(session, coverage.id)[-2:] == [("status", "assigned", "published", MONITOR),
                                                      ("link", None, f"item #{item.id}", MONITOR)]


def test_an_editor_confirms_or_rejects_a_link_by_hand(sqlite_db):
    with session_scope() as session:
        story = planning.add_story(session, "Tọa đàm: Ngày Nhà giáo", "Lan", coverages=[
            dict(platform="online", fmt="article", outlet="baoquangngai", publish_at=datetime(2026, 11, 19, 20, 0))])
        coverage = story.coverages[0]
        wrong = _item(session, "sai", "Giá lúa tăng", at(2026, 11, 19, 9, 0))
        right = _item(session, "dung", "Tọa đàm Ngày Nhà giáo Việt Nam", at(2026, 11, 19, 21, 0))
        confirm(session, coverage, wrong.id, "Lan", accept=False)
        assert coverage.status == "idea"  # a rejection changes no state
        confirm(session, coverage, right.id, "Lan")
        assert (coverage.status, story.status) == ("published", "published")  # a fact: from idea straight to published
        assert {d.item_id: d.status for d in coverage.deliveries} == {wrong.id: "rejected", right.id: "confirmed"}
        assert _events(session, coverage.id)[1:] == [
            ("unlink", None, f"item #{wrong.id}", "Lan"), ("link", None, f"item #{right.id}", "Lan"),
            ("status", "idea", "published", "Lan")]
