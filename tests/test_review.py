"""The review queue's service and CLI: order, paging by key, decisions kept through re-classification, and the
reviewed precision counted from editors' decisions."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme
from mediaplan.nlp.pipeline import classify_items
from mediaplan.services import NotFound, ServiceError
from mediaplan.services import review
from test_web_items import add_items

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def _queued(priorities: list[float]) -> list[int]:
    ids = add_items([(f"Tin {n}", NOW) for n in range(len(priorities))])
    with session_scope() as session:
        for item_id, p in zip(ids, priorities):
            session.get(Item, item_id).review_priority = p
    return ids


def test_the_queue_is_ordered_by_priority_and_paged_by_key(db):
    ids = _queued([0.5, 1.4, 0.9, 1.4, 0.1])
    with session_scope() as session:
        first, cursor = review.queue(session, limit=2)
        assert [i.id for i in first] == [ids[1], ids[3]]  # ties by id
        second, cursor2 = review.queue(session, limit=2, after=review.Cursor.parse(str(cursor)))
        assert [i.id for i in second] == [ids[2], ids[0]]
        last, end = review.queue(session, limit=2, after=cursor2)
        assert [i.id for i in last] == [ids[4]] and end is None
        assert review.queue_size(session) == 5
    with pytest.raises(ServiceError):
        review.Cursor.parse("not-a-cursor")


def test_a_decision_settles_the_item_and_survives_reclassification(db):
    [item_id] = add_items([("Học sinh Quảng Ngãi vào năm học mới", NOW)])
    with session_scope() as session:
        classify_items(session, everything=True)
        item = session.get(Item, item_id)
        assert item.review_priority is not None and item.education_probability is not None
        auto = item.education_auto
        review.decide(session, item_id, "education", not auto, "Minh Châu")
        review.decide(session, item_id, "teachers", True, "Minh Châu")
    with session_scope() as session:
        classify_items(session, everything=True)
        item = session.get(Item, item_id)
        assert item.education is (not auto) and item.education_manual is (not auto) and item.education_auto is auto
        assert item.review_priority is None and item.reviewed_by == "Minh Châu"
        row = session.scalar(select(ItemTheme).where(ItemTheme.item_id == item_id, ItemTheme.theme_code == "teachers"))
        assert (row.method, row.removed, row.proposed_by) == ("manual", False, None)  # added by the editor
        assert review.queue_size(session) == 0
        labels = list(review.editor_labels(session))
    assert [(x["id"], x["education"], x["themes"]) for x in labels] == [(f"item-{item_id}", not auto, {"teachers": True})]


def test_bad_decisions_are_refused_with_a_reason(db):
    [item_id] = add_items([("Tin", NOW)])
    with session_scope() as session:
        with pytest.raises(NotFound):
            review.decide(session, 10**9, "education", True, "A")
        with pytest.raises(ServiceError, match="chủ đề"):
            review.decide(session, item_id, "khong-co", True, "A")
        with pytest.raises(ServiceError, match="người duyệt"):
            review.decide(session, item_id, "education", True, "  ")


def test_reviewed_precision_counts_what_editors_kept(db):
    ids = add_items([(f"Tin {n}", NOW) for n in range(4)])
    with session_scope() as session:
        for item_id in ids[:3]:  # the classifier proposed `teachers` on three items
            session.add(ItemTheme(item_id=item_id, theme_code="teachers", score=1.0, method="rule", evidence=[]))
        for item_id, auto in zip(ids, (True, True, False, True)):
            session.get(Item, item_id).education_auto = auto
        session.flush()
        review.decide(session, ids[0], "teachers", True, "A")
        review.decide(session, ids[1], "teachers", True, "A")
        review.decide(session, ids[2], "teachers", False, "A")
        review.decide(session, ids[3], "teachers", True, "A")  # one the classifier missed
        review.decide(session, ids[0], "education", True, "A")
        review.decide(session, ids[1], "education", False, "A")
        review.decide(session, ids[2], "education", True, "A")
        figures = review.reviewed_precision(session)
        assert figures["teachers"] == {"reviewed": 3, "kept": 2, "added": 1, "precision": 0.667}
        assert figures["education"] == {"reviewed": 2, "kept": 1, "added": 1, "precision": 0.5}
        later = review.reviewed_precision(session, now=datetime.now(timezone.utc) + timedelta(days=91))
        assert later == {}


def test_the_cli_lists_and_decides(db, cli, acting):
    [item_id] = add_items([("Trường học ở xã Sơn Hà đón học sinh", NOW)])
    with session_scope() as session:
        classify_items(session, everything=True)
    listed = cli("nlp", "review", "--json")
    assert f'"id": {item_id}' in listed.stdout
    assert "cần --keep" in cli("nlp", "review", str(item_id), code=2).stderr
    nobody = cli("nlp", "review", str(item_id), "--keep", "education", code=1).stderr  # who decides is a user
    assert "--by TÊN_ĐĂNG_NHẬP" in nobody and "MEDIAPLAN_USER" in nobody
    acting("editor", "thanhhai")
    cli("nlp", "review", str(item_id), "--drop", "education", "--by", "thanhhai")
    with session_scope() as session:
        assert session.get(Item, item_id).education_manual is False
    assert "0 tin" in cli("nlp", "review").stdout


def test_a_theme_decision_keeps_the_item_queued_for_its_other_labels(db):
    [item_id] = _queued([0.7])
    with session_scope() as session:
        review.decide(session, item_id, "teachers", True, "A")
        assert review.queue_size(session) == 1
        review.done(session, item_id, "A")
        assert review.queue_size(session) == 0
        with pytest.raises(ServiceError):
            review.decide(session, item_id, "teachers", True, "x" * 81)
