"""`classify_items` walks the selection by id in batches and commits each one: a failure keeps the batches done
and a re-run carries on; the counts and labels are those of one pass; a re-run is idempotent; `everything`
re-classifies all and keeps editors' labels. Both backends."""

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme, Outlet
from mediaplan.nlp.pipeline import classify_items
from mediaplan.vocab import ThemeMethod

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
TEACHERS = ("Tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam",
            "Ngành giáo dục tỉnh tuyên dương các thầy cô giáo có thành tích xuất sắc, gương điển hình trong dạy học.",
            "Sáng 20/11, Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương nhà giáo tiêu biểu tại xã Sơn Hà. "
            "Nhiều giáo viên bám trường, bám lớp ở vùng khó khăn.")
STORIES = [
    TEACHERS,
    ("Hội Khuyến học xã Sơn Hạ trao học bổng cho học sinh có hoàn cảnh khó khăn",
     "Hội Khuyến học xã Sơn Hạ trao 50 suất học bổng khuyến học cho học sinh có hoàn cảnh khó khăn.",
     "Học bổng được trao tại Trường Tiểu học Sơn Hạ, góp phần xây dựng xã hội học tập."),
    ("Giá lúa tăng, nông dân phấn khởi", "Giá lúa vụ mùa tăng mạnh.", "Thương lái thu mua lúa tại các xã đồng bằng."),
    ("Quán triệt Nghị quyết số 71-NQ/TW về đột phá phát triển giáo dục",
     "Ban Thường vụ Tỉnh ủy quán triệt Nghị quyết 71-NQ/TW của Bộ Chính trị.",
     "Hội nghị triển khai kế hoạch thực hiện nghị quyết trong các trường học của tỉnh."),
    TEACHERS,  # the same story again: a near-duplicate of the first, in another batch
]


def store(stories=STORIES, kind: str = "article", extra: dict | None = None) -> list[int]:
    """Stored, unclassified items (as the crawler leaves them), in id order."""
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == "baoquangngai"))
        made = []
        for n, (title, sapo, body) in enumerate(stories):
            url = f"https://example.vn/{uuid.uuid4().hex}.html"
            made.append(Item(outlet_id=outlet.id, kind=kind, url=url, canonical_url=url, content_hash=uuid.uuid4().hex,
                             title=title, sapo=sapo, body=body, published_at=NOW, channel="online", extra=extra or {}))
        session.add_all(made)
        session.flush()
        return [i.id for i in made]


def labels() -> dict[int, tuple]:
    """Everything classification writes, by item (not when)."""
    with session_scope() as session:
        themes: dict[int, list] = {}
        for t in session.scalars(select(ItemTheme).order_by(ItemTheme.item_id, ItemTheme.theme_code)):
            themes.setdefault(t.item_id, []).append((t.theme_code, t.score, t.method, t.evidence))
        return {i.id: (i.education, i.education_auto, i.education_rules, i.education_probability, i.education_evidence,
                       i.review_priority, i.nq71, i.format, i.cluster_id, i.minhash, i.classified_at is not None,
                       tuple(themes.get(i.id, ())), tuple(sorted((e.kind, e.key, e.start) for e in i.entities)))
                for i in session.scalars(select(Item).order_by(Item.id))}


def unclassified() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Item).where(Item.classified_at.is_(None)))


def test_a_failure_keeps_the_batches_done_and_a_rerun_finishes(db):
    ids = store(STORIES[:3])
    # A real bad input: a video whose stored duration is text, not seconds (detect_format compares it with 600).
    [bad] = store([("Bản tin chiều", "", "")], kind="video", extra={"duration_seconds": "12 phút"})
    ids += [bad] + store(STORIES[3:4])
    with pytest.raises(TypeError):
        with session_scope() as session:
            classify_items(session, batch_size=2)
    assert unclassified() == 3  # items 1 and 2 were committed; the failed batch (3, 4) was rolled back
    done = labels()
    assert [i for i in ids if done[i][10]] == ids[:2]
    with pytest.raises(TypeError):  # the same run again meets the same item: nothing committed is lost
        with session_scope() as session:
            classify_items(session, batch_size=2)
    assert unclassified() == 3 and labels() == done
    with session_scope() as session:
        session.get(Item, bad).extra = {"duration_seconds": 720}
    with session_scope() as session:
        counts = classify_items(session, batch_size=2)
    assert counts["items"] == 3 and unclassified() == 0
    after = labels()
    assert {i: after[i] for i in ids[:2]} == {i: done[i] for i in ids[:2]}  # the committed batch was not redone
    assert after[bad][7] == "reportage"


def test_batches_give_the_counts_and_labels_of_one_pass(db):
    ids = store()
    with session_scope() as session:
        batched = classify_items(session, batch_size=2)
        assert len(session.identity_map) == 0  # every batch let go once committed
    by_batches = labels()
    with session_scope() as session:
        one_pass = classify_items(session, everything=True, batch_size=10_000)
    assert batched == one_pass
    assert batched["items"] == 5 and batched["education"] >= 3 and batched["nq71"] == 1
    assert batched["themes"].get("teachers") == 2
    assert labels() == by_batches
    assert by_batches[ids[4]][8] == ids[0]  # the duplicate joined the first item's cluster across batches


def test_a_rerun_is_idempotent(db):
    store()
    with session_scope() as session:
        first = classify_items(session, batch_size=3)
    before = labels()
    with session_scope() as session:
        assert classify_items(session, batch_size=3) == {"items": 0, "education": 0, "nq71": 0, "themes": {}}
    assert labels() == before
    with session_scope() as session:
        assert classify_items(session, everything=True, batch_size=3) == first
    assert labels() == before


def test_everything_reclassifies_all_and_keeps_editors_labels(db):
    ids = store()
    with session_scope() as session:
        classify_items(session, batch_size=2)
    off_topic = ids[2]
    with session_scope() as session:  # an editor says the rice story is education, adds a theme, removes one
        item = session.get(Item, off_topic)
        item.education_manual, item.education = True, True
        item.themes.append(ItemTheme(theme_code="awareness", score=1.0, method=ThemeMethod.MANUAL, set_by="Minh Châu"))
        first = session.get(Item, ids[0])
        assert any(t.theme_code == "teachers" for t in first.themes)
        for t in first.themes:
            if t.theme_code == "teachers":
                t.method, t.removed, t.set_by = ThemeMethod.MANUAL, True, "Minh Châu"
        stamps = dict(session.execute(select(Item.id, Item.classified_at)).all())
    with session_scope() as session:
        counts = classify_items(session, everything=True, batch_size=2)
    assert counts["items"] == 5
    with session_scope() as session:
        again = dict(session.execute(select(Item.id, Item.classified_at)).all())
        assert again.keys() == stamps.keys() and all(again[i] != stamps[i] for i in ids)  # every item, not only new ones
        item = session.get(Item, off_topic)
        assert item.education is True and item.education_manual is True and item.education_auto is False
        assert [(t.theme_code, t.method) for t in item.themes] == [("awareness", ThemeMethod.MANUAL)]
        teachers = [t for t in session.get(Item, ids[0]).themes if t.theme_code == "teachers"]
        assert [(t.method, t.removed) for t in teachers] == [(ThemeMethod.MANUAL, True)]


def test_since_and_the_callers_objects(sqlite_db):
    ids = store()
    with session_scope() as session:
        mine = session.get(Item, ids[1])  # the caller's own object stays usable in its session
        counts = classify_items(session, since=NOW, batch_size=2)
        assert counts["items"] == 5 and mine in session and mine.classified_at is not None
        assert [t.theme_code for t in mine.themes]
    with session_scope() as session:
        assert classify_items(session, since=datetime(2027, 1, 1, tzinfo=timezone.utc)) == \
            {"items": 0, "education": 0, "nq71": 0, "themes": {}}
        with pytest.raises(ValueError):
            classify_items(session, batch_size=0)
