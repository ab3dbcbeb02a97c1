"""An item's near-duplicate cluster on its page (issue 12: "which outlets carried the same story"): the other
items of `items.cluster_id`, each with its outlet, its page, its original link (http(s) only) and its local
time, earliest first, the first publication marked, at most CLUSTER_SHOWN listed and the total counted."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from accounts import signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Outlet
from mediaplan.web.items import CLUSTER_SHOWN

LI = re.compile(r'<li data-id="(\d+)"( class="first")?>(.*?)</li>', re.S)
DAY = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 09:00 in Quảng Ngãi


def outlets(n: int) -> list[Outlet]:
    with session_scope() as session:
        return session.scalars(select(Outlet).order_by(Outlet.id).limit(n)).all()


def add(outlet: Outlet, title: str, published: datetime | None, cluster: int | None, url: str | None = None) -> int:
    with session_scope() as session:
        link = url or f"https://example.vn/{uuid.uuid4().hex}.html"
        item = Item(outlet_id=outlet.id, kind="article", url=link, canonical_url=f"https://example.vn/{uuid.uuid4().hex}",
                    content_hash=uuid.uuid4().hex, title=title, sapo="", body="", published_at=published,
                    channel="online", format="news", cluster_id=cluster)
        session.add(item)
        session.flush()
        return item.id


def section(html: str) -> str:
    m = re.search(r'<div class="cluster" id="same-story">(.*?)</div>', html, re.S)
    assert m, "the page has the cluster section"
    return m.group(1)


def test_the_same_story_on_other_outlets_earliest_first_with_the_first_publication_marked(db):
    a, b, c = outlets(3)
    shown = add(a, "Tuyên dương nhà giáo (bản của A)", DAY + timedelta(hours=5), 7)
    later = add(b, "Tuyên dương nhà giáo (bản của B)", DAY + timedelta(hours=8), 7)
    first = add(c, "Tuyên dương nhà giáo (bản của C)", DAY, 7, url="javascript:alert(1)")
    undated = add(b, "Tuyên dương nhà giáo (không rõ ngày)", None, 7)
    add(c, "Một tin khác", DAY - timedelta(days=1), 8)
    add(c, "Tin không thuộc cụm nào", DAY - timedelta(days=2), None)
    page = signed_in(db, "viewer").get(f"/items/{shown}")
    assert page.status_code == 200
    part = section(page.text)
    assert "Cùng một tin trên các đơn vị khác" in part
    rows = LI.findall(part)
    assert [int(i) for i, _, _ in rows] == [first, later, undated]  # earliest first, the undated one last
    assert [bool(mark) for _, mark, _ in rows] == [True, False, False]
    assert "đăng đầu tiên" in rows[0][2] and "đăng đầu tiên" not in rows[1][2]
    assert "20/11/2026 09:00" in rows[0][2] and "20/11/2026 17:00" in rows[1][2]  # local time
    assert c.name in rows[0][2] and b.name in rows[1][2]
    assert f'href="/items/{first}"' in rows[0][2] and f'href="/items/{later}"' in rows[1][2]
    assert 'class="origin"' not in rows[0][2] and "javascript:" not in page.text  # only http(s) becomes a link
    assert re.search(r'href="https://example\.vn/[0-9a-f]{32}\.html" class="origin"', rows[1][2])
    count = re.search(r'id="same-story-count">(.*?)</p>', part, re.S).group(1)
    assert "3 tin, bài khác" in count and "3 đơn vị" in count and 'id="this-first"' not in count
    assert "Một tin khác" not in part and "same-story-more" not in part


def test_the_first_publication_itself_says_so(db):
    a, b = outlets(2)
    first = add(a, "Khai giảng năm học mới", DAY, 3)
    add(b, "Khai giảng năm học mới (đăng lại)", DAY + timedelta(minutes=30), 3)
    part = section(signed_in(db, "viewer").get(f"/items/{first}").text)
    assert 'id="this-first"' in part
    assert not [i for i, mark, _ in LI.findall(part) if mark]  # no other item is marked first
    assert "2 đơn vị" in part


def test_a_large_cluster_lists_the_earliest_and_counts_them_all(db):
    a, b = outlets(2)
    shown = add(a, "Tin gốc", DAY + timedelta(days=3), 11)
    others = [add(b if n % 2 else a, f"Đăng lại số {n}", DAY + timedelta(minutes=n), 11) for n in range(CLUSTER_SHOWN + 10)]
    part = section(signed_in(db, "viewer").get(f"/items/{shown}").text)
    assert [int(i) for i, _, _ in LI.findall(part)] == others[:CLUSTER_SHOWN]
    assert f"{CLUSTER_SHOWN + 10} tin, bài khác" in part
    more = re.search(r'id="same-story-more">(.*?)</p>', part, re.S).group(1)
    assert f"{CLUSTER_SHOWN} tin, bài đăng sớm nhất trong {CLUSTER_SHOWN + 10}" in more


def test_an_item_alone_has_no_cluster_section(db):
    [a] = outlets(1)
    alone = add(a, "Một mình một tin", DAY, None)
    single = add(a, "Cụm chỉ có một tin", DAY, 99)
    client = signed_in(db, "viewer")
    for item in (alone, single):
        page = client.get(f"/items/{item}")
        assert page.status_code == 200 and 'id="same-story"' not in page.text
