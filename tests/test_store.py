"""Storage rules: one item per canonical URL, per outlet and text; changes keep their history."""

from datetime import datetime, timezone

from sqlalchemy import func, select

from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemRevision

WHEN = datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)


def _save(source: str, url: str, title: str, body: str) -> str:
    with session_scope() as session:
        return upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url,
                                            title=title, body=body, published_at=WHEN))


def test_same_text_same_outlet_is_one_item_other_outlet_is_another(db):
    body = "Học sinh xã Sơn Hà được tặng 200 bộ sách giáo khoa."
    assert _save("baoquangngai-rss", "https://baoquangngai.vn/a-1.htm", "Tặng sách", body) == "new"
    assert _save("baoquangngai-sitemap", "https://baoquangngai.vn/tag/a-1.htm", "Tặng sách", body) == "unchanged"
    assert _save("xa-son-ha-tin-tuc", "https://sonha.quangngai.gov.vn/tin-tuc/a-1.html", "Tặng sách", body) == "new"
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 2


def test_changed_article_keeps_its_previous_version(db):
    url = "https://baoquangngai.vn/xa-hoi/202611/khai-giang-1a2b3c4/"
    assert _save("baoquangngai-rss", url, "Khai giang nam hoc moi", "Bản đầu.") == "new"
    assert _save("baoquangngai-rss", url, "Khai giang nam hoc moi", "Bản đầu.") == "unchanged"
    assert _save("baoquangngai-rss", url, "Khai giảng năm học mới", "Bản đã sửa, thêm số liệu.") == "updated"
    with session_scope() as session:
        item = session.scalar(select(Item))
        revisions = session.scalars(select(ItemRevision)).all()
    assert item.title == "Khai giảng năm học mới" and item.updated_at is not None and item.classified_at is None
    assert [r.title for r in revisions] == ["Khai giang nam hoc moi"]
