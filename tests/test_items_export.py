"""The item list's download (`/items/export`, issue 12: "an export button for the current filters").

The export is the list itself, every page of it: the same filters and the same search (`web.items.filter_items`),
in the same order, streamed from a server-side cursor in batches through `tabular` (formulas neutralised, a
CSV with a BOM, an XLSX read back by openpyxl), leaving no file anywhere. Each test runs on SQLite and on
PostgreSQL, where the cursor is a real server-side one."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from accounts import signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme, Outlet, Theme
from mediaplan.i18n import using
from mediaplan.vocab import label
from mediaplan.web.app import create_app
from mediaplan.web.items import EXPORT_BATCH, EXPORT_HEADER, PAGE_SIZE
from test_exports_safe import FORMULAS, assert_inert_csv, assert_inert_xlsx, scratch  # noqa: F401 (a fixture)
from test_web_items import add_items, walk

NOV = datetime(2026, 11, 28, 3, 0, tzinfo=timezone.utc)
ID = EXPORT_HEADER.index("mã tin")


def csv_rows(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads Vietnamese as UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == EXPORT_HEADER
    return rows[1:]


def xlsx_rows(answer) -> list[list]:
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert tuple(rows[0]) == EXPORT_HEADER
    return rows[1:]


def export_link(page_html: str, fmt: str) -> str:
    m = re.search(rf'<a href="([^"]+)" id="export-{fmt}"', page_html)
    assert m, "the list has an export link"
    return unescape(m.group(1))


def test_the_export_is_every_page_of_the_filtered_list_in_its_order(db):
    """A search typed without accents (exact matches first, then the accent-folded ones), a month and an
    outlet: the rows of the download are the ids of every page of the list, in the list's order."""
    base = NOV
    exact = add_items([(f"Hoc bong Son Ha so {n}", base - timedelta(hours=3 * n)) for n in range(PAGE_SIZE + 4)])
    folded = add_items([(f"Học bổng Sơn Hà số {n}", base - timedelta(hours=3 * n + 1)) for n in range(PAGE_SIZE + 9)]
                       + [("Học bổng Sơn Hà, chưa rõ ngày", None)])
    add_items([(f"Học bổng Sơn Hà tháng 10 số {n}", datetime(2026, 10, 5, tzinfo=timezone.utc)) for n in range(3)])
    add_items([(f"Giá lúa tăng {n}", base - timedelta(hours=n)) for n in range(5)])
    other = add_items([("Học bổng Sơn Hà ở tỉnh khác", base)], outlet_key=_another_outlet())
    client = signed_in(db, "viewer")

    query = "/items?q=son+ha&month=2026-11&outlet=baoquangngai"
    pages = walk(client, query)
    assert len(pages) == 3  # the download must reach beyond the first page
    shown = [i for page in pages for i in page]
    assert set(shown) == set(exact + folded[:-1])  # the month leaves out the undated one, the outlet the other's
    assert shown[:len(exact)] == exact  # exact matches first, newest first

    link = export_link(client.get(query).text, "csv")
    assert parse_qs(urlsplit(link).query) == {"format": ["csv"], "q": ["son ha"], "month": ["2026-11"],
                                              "outlet": ["baoquangngai"]}
    rows = csv_rows(client.get(link))
    assert [int(r[ID]) for r in rows] == shown
    xlsx = xlsx_rows(client.get(export_link(client.get(query).text, "xlsx")))
    assert [r[ID] for r in xlsx] == shown

    everything = csv_rows(client.get("/items/export?format=csv&q=son+ha"))  # no month: the undated one, last
    assert [int(r[ID]) for r in everything] == [i for page in walk(client, "/items?q=son+ha") for i in page]
    assert int(everything[-1][ID]) == folded[-1] and everything[-1][0] == "" and other[0] in {int(r[ID]) for r in everything}


def _another_outlet() -> str:
    with session_scope() as session:
        return session.scalar(select(Outlet.key).where(Outlet.key != "baoquangngai").order_by(Outlet.id))


def test_the_columns_are_vietnamese_local_and_only_http_links(db):
    [item] = add_items([("Tuyên dương nhà giáo", datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))])
    [bad] = add_items([("Liên kết lạ", datetime(2026, 11, 19, 2, 0, tzinfo=timezone.utc))])
    with session_scope() as session:
        session.get(Item, bad).url = "javascript:alert(1)"
        themes = session.scalars(select(Theme).order_by(Theme.position).limit(2)).all()
        for t in themes:
            session.add(ItemTheme(item_id=item, theme_code=t.code, score=1.0, method="rule"))
        session.add(ItemTheme(item_id=bad, theme_code=themes[0].code, score=1.0, method="manual", removed=True))
        names = [t.name for t in sorted(themes, key=lambda t: t.code)]
        outlet = session.scalar(select(Outlet.name).where(Outlet.key == "baoquangngai"))
    client = signed_in(db, "viewer")
    answer = client.get("/items/export?format=csv&month=2026-11")
    assert answer.headers["content-disposition"] == 'attachment; filename="tin-bai-2026-11.csv"'
    first, second = csv_rows(answer)
    with using("vi"):
        channel, fmt = label("channel", "online"), label("format", "news")
    assert first[:6] == ["2026-11-20 09:00", "Tuyên dương nhà giáo", outlet, channel, fmt, "; ".join(names)]
    assert re.fullmatch(r"https://example\.vn/[0-9a-f]{32}\.html", first[6]) and first[7] == str(item)
    assert second[5] == "" and second[6] == "" and second[ID] == str(bad)  # a removed theme, a javascript: link
    sheet = client.get("/items/export?format=xlsx&month=2026-11")
    assert sheet.headers["content-disposition"] == 'attachment; filename="tin-bai-2026-11.xlsx"'
    rows = xlsx_rows(sheet)
    assert rows[0][0] == datetime(2026, 11, 20, 9, 0) and rows[0][5] == "; ".join(names)  # local time, a real date
    assert rows[1][6] is None and rows[1][ID] == bad
    whole = client.get("/items/export?format=csv")
    assert whole.headers["content-disposition"] == 'attachment; filename="tin-bai.csv"'


def test_formulas_come_out_inert_and_no_file_is_left(db, scratch):  # noqa: F811
    made = add_items([(title, NOV - timedelta(hours=n)) for n, title in enumerate(FORMULAS)])
    client = signed_in(db, "viewer")
    answer = client.get("/items/export?format=csv&month=2026-11")
    assert [int(r[ID]) for r in csv_rows(answer)] == made
    assert_inert_csv(answer.content.decode("utf-8-sig"), FORMULAS)
    assert "'=HYPERLINK" in answer.content.decode("utf-8-sig")
    assert list(scratch.iterdir()) == []
    sheet = client.get("/items/export?format=xlsx&month=2026-11")
    assert_inert_xlsx(sheet.content, FORMULAS)
    assert xlsx_rows(sheet)[0][1] == "'" + FORMULAS[0]
    assert list(scratch.iterdir()) == []


def test_more_rows_than_a_batch_stream_with_each_rows_own_themes(db):
    """Three batches of the server-side cursor: every row once, in order, each with its own themes (the
    themes are read per batch)."""
    n = 2 * EXPORT_BATCH + 37
    with session_scope() as session:
        outlet = session.scalar(select(Outlet.id).where(Outlet.key == "baoquangngai"))
        code = session.scalar(select(Theme.code).order_by(Theme.position))
        name = session.scalar(select(Theme.name).where(Theme.code == code))
        items = []
        for k in range(n):
            url = f"https://example.vn/{uuid.uuid4().hex}.html"
            items.append(Item(outlet_id=outlet, kind="article", url=url, canonical_url=url, content_hash=f"{k:064d}",
                              title=f"Tin {k}", sapo="", body="", published_at=NOV - timedelta(minutes=k),
                              channel="online", format="news"))
        session.add_all(items)
        session.flush()
        ids = [i.id for i in items]
        session.add_all(ItemTheme(item_id=i, theme_code=code, score=1.0, method="rule") for i in ids[::7])
    client = signed_in(db, "viewer")
    rows = csv_rows(client.get("/items/export?format=csv"))
    assert [int(r[ID]) for r in rows] == ids
    assert [r[1] for r in rows] == [f"Tin {k}" for k in range(n)]
    assert {int(r[ID]) for r in rows if r[5] == name} == set(ids[::7])
    assert {r[5] for r in rows} == {name, ""}
    assert [r[ID] for r in xlsx_rows(client.get("/items/export?format=xlsx"))] == ids


def test_a_viewer_may_export_and_an_anonymous_user_is_sent_to_login(db):
    add_items([("Tin một", NOV)])
    assert len(csv_rows(signed_in(db, "viewer").get("/items/export?format=csv"))) == 1
    anonymous = TestClient(create_app(db))
    answer = anonymous.get("/items/export?format=csv", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert b"Tin m" not in answer.content


def test_bad_filters_are_refused_like_on_the_page(db):
    add_items([("Tin một", NOV)])
    client = signed_in(db, "viewer", raise_server_exceptions=False)
    vietnamese = re.compile(r"[ạảãáàâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ]")
    for query, status in (("month=2026-13", 400), ("month=tháng", 400), ("format=pdf", 400),
                          ("theme=" + "x" * 41, 422), ("q=a%00b", 422), ("outlet=" + "o" * 81, 422)):
        page = client.get(f"/items?{query}") if not query.startswith("format") else None
        answer = client.get(f"/items/export?format=csv&{query}" if not query.startswith("format")
                            else f"/items/export?{query}")
        assert answer.status_code == status, (query, answer.status_code, answer.text[:200])
        assert vietnamese.search(answer.text), (query, answer.text[:200])
        assert "text/csv" not in answer.headers.get("content-type", "")
        if page is not None:
            assert page.status_code == status, query  # the page refuses the same filter the same way
