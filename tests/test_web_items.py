"""The item list (filters, search, paging in SQL) and the item page with its evidence."""

import re

import pytest
import uuid
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from accounts import signed_in
from mediaplan.db import get_engine, session_scope
from mediaplan.db.schema import Item, Outlet
from mediaplan.web.app import create_app
from mediaplan.web.items import PAGE_SIZE

ROW = re.compile(r'<tr data-id="(\d+)"')


def ids(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


def next_link(html: str) -> str | None:
    m = re.search(r'<a href="(\?[^"]*)" id="next-page"', html)
    return "/items" + m.group(1).replace("&amp;", "&") if m else None


def add_items(titles_and_times, outlet_key: str = "baoquangngai") -> list[int]:
    """Stored items with just what the list shows (no classification)."""
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == outlet_key))
        made = []
        for n, (title, published) in enumerate(titles_and_times):
            url = f"https://example.vn/{uuid.uuid4().hex}.html"
            made.append(Item(outlet_id=outlet.id, kind="article", url=url, canonical_url=url, content_hash=f"{n:064d}",
                             title=title, sapo="", body="", published_at=published, channel="online", format="news"))
        session.add_all(made)
        session.flush()
        return [i.id for i in made]


def expected_order(id_times: dict[int, datetime | None]) -> list[int]:
    """Newest first, undated last, ties by id descending."""
    return sorted(id_times, key=lambda i: (id_times[i] is None, -(id_times[i].timestamp() if id_times[i] else 0), -i))


def walk(client: TestClient, url: str) -> list[list[int]]:
    """Every page of a list, following the "next page" links."""
    pages = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        pages.append(ids(page.text))
        url = next_link(page.text)
    return pages


def test_filter_by_month_and_education(populated_db):
    client = signed_in(populated_db)
    page = client.get("/items?month=2026-11&education=1")
    assert page.status_code == 200 and len(ids(page.text)) == 2
    assert len(ids(client.get("/items?month=2026-10").text)) == 0


def test_filter_by_theme_ignores_removed_labels(populated_db):
    client = signed_in(populated_db)
    assert len(ids(client.get("/items?theme=exemplary").text)) == 1
    with session_scope() as session:
        item_id = session.scalar(select(Item.id).where(Item.title.like("Tuyên dương%")))
    client.post(f"/items/{item_id}/labels", data={"theme": "exemplary", "action": "remove"})
    assert len(ids(client.get("/items?theme=exemplary").text)) == 0


def test_filter_by_outlet(populated_db):
    client = signed_in(populated_db)
    with session_scope() as session:
        commune = session.scalar(select(Outlet.key).join(Item, Item.outlet_id == Outlet.id)
                                 .where(Item.title.like("Hội Khuyến học%")))
    assert len(ids(client.get(f"/items?outlet={commune}").text)) == 1
    assert len(ids(client.get("/items?outlet=baoquangngai").text)) == 2


def test_accented_search_means_what_it_says(populated_db):
    exact = signed_in(populated_db).get("/items", params={"q": "Sơn Hạ"}).text
    assert len(ids(exact)) == 1 and "Sơn Hạ" in exact
    assert 'id="ambiguous"' not in exact


def test_unaccented_search_finds_both_and_says_it_is_ambiguous(populated_db):
    loose = signed_in(populated_db).get("/items", params={"q": "son ha"}).text
    assert len(ids(loose)) == 2
    assert 'id="ambiguous"' in loose and "Sơn Hà hoặc Sơn Hạ" in loose


def test_like_wildcards_in_a_query_are_literal(db):
    made = add_items([("Tăng 50% học bổng", datetime(2026, 11, 2, tzinfo=timezone.utc)),
                      ("Tăng 50 suất học bổng", datetime(2026, 11, 3, tzinfo=timezone.utc))])
    client = signed_in(db)
    assert ids(client.get("/items", params={"q": "50%"}).text) == [made[0]]
    assert ids(client.get("/items", params={"q": "_"}).text) == []


def test_keyset_pages_cover_every_row_once_in_order(db):
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    # Ties, and undated items that straddle the second page's end (so page 3 starts inside them).
    times = [base - timedelta(hours=n // 3) for n in range(2 * PAGE_SIZE - 1)] + [None] * 3
    made = add_items([(f"Tin số {n}", t) for n, t in enumerate(times)])
    expected = expected_order(dict(zip(made, times)))
    client = signed_in(db)
    first = client.get("/items")
    assert f'id="total">({len(made)})<' in first.text and 'id="first-page"' not in first.text
    pages = walk(client, "/items")
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 2]
    assert [i for p in pages for i in p] == expected
    assert ids(client.get("/items?page=2").text) == pages[1]  # old offset links still work
    last = client.get(f"/items?after={pages[1][-1]}").text
    assert 'id="next-page"' not in last and 'id="first-page"' in last
    assert client.get("/items?after=999999").status_code == 400


def test_search_pages_keep_exact_matches_first(db):
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    rows = [(f"Tin Son Ha {n}" if n % 2 else f"Tin Sơn Hà {n}", base - timedelta(hours=n)) for n in range(120)]
    made = add_items(rows)
    exact = [i for i, (title, _) in zip(made, rows) if "Son Ha" in title]
    accented = [i for i in made if i not in exact]
    client = signed_in(db)

    def newest_first(chosen: list[int]) -> list[int]:
        return expected_order({i: t for i, (_, t) in zip(made, rows) if i in chosen})

    pages = walk(client, "/items?q=son+ha")
    assert [i for p in pages for i in p] == newest_first(exact) + newest_first(accented)
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 20]
    assert [i for p in walk(client, "/items?q=S%C6%A1n+H%C3%A0") for i in p] == newest_first(accented)  # Sơn Hà
    no_exact = walk(client, "/items?q=S%C6%A1n+H%E1%BA%A1")  # Sơn Hạ: no exact match, so the folded ones
    assert [i for p in no_exact for i in p] == newest_first(made)


LISTS = ["/items", "/items?q=son+ha", "/items?q=S%C6%A1n+H%C3%A0&month=2026-11", "/items?page=2",
         "/items?theme=teachers&outlet=baoquangngai&education=1"]


def test_a_list_request_costs_the_same_statements_at_any_size(db):
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    client = signed_in(db)
    statements: list[str] = []
    event.listen(get_engine(db), "before_cursor_execute", lambda *args: statements.append(args[2]))

    def costs() -> dict[str, int]:
        out = {}
        for url in LISTS:
            statements.clear()
            assert client.get(url).status_code == 200
            out[url] = len(statements)
        return out

    def grow(n: int) -> None:
        add_items([(f"Tin Sơn Hà {k}" if k % 2 else f"Tin Son Ha {k}", base - timedelta(minutes=k)) for k in range(n)])

    grow(2 * PAGE_SIZE + 5)
    costs()  # warm up what a first request loads once
    small = costs()
    grow(4 * PAGE_SIZE)
    assert costs() == small
    # At most: the exact-match check, the count, up to four runs of ids (exact/folded x dated/undated),
    # the page's items, their themes, their outlets, and the two filter lists. Never one per item.
    assert max(small.values()) <= 11


def test_item_page_shows_evidence(populated_db):
    client = signed_in(populated_db)
    page = client.get("/items/1")
    assert page.status_code == 200
    assert "<mark" in page.text and 'data-theme="exemplary"' in page.text and "gương điển hình" in page.text
    assert client.get("/items/999").status_code == 404


# --- the item page: the education flag's evidence (issue 10) ------------------------------------------------

SHORT_NEWS = ("Xã Trà Bồng tặng xe đạp cho học sinh nghèo",
              "Các em học sinh vượt khó đến trường nhận 50 chiếc xe đạp mới trước năm học.")


def add_short_item(title: str, sapo: str, url: str | None = None) -> int:
    """A stored headline + lead (no body): a short item, whose flag the rules and the model decide together."""
    [item_id] = add_items([(title, datetime(2026, 11, 12, 1, 30, tzinfo=timezone.utc))])
    with session_scope() as session:
        item = session.get(Item, item_id)
        item.sapo = sapo
        if url:
            item.url = url
    return item_id


class Marked(HTMLParser):
    """The text of an element as a person reads it, and the spans of it inside <mark>, with their classes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.marks, self._open = "", [], None

    def handle_starttag(self, tag, attrs):
        if tag == "mark":
            self._open = (len(self.text), dict(attrs).get("class", "").split())

    def handle_endtag(self, tag):
        if tag == "mark" and self._open:
            self.marks.append((self._open[0], len(self.text), set(self._open[1])))
            self._open = None

    def handle_data(self, data):
        self.text += data

    def covered(self, start: int, end: int, kind: str) -> bool:
        """Whether every character of [start, end) is inside a mark of this kind."""
        return all(any(s <= i < e and kind in k for s, e, k in self.marks) for i in range(start, end))


def element(html: str, pattern: str) -> Marked:
    m = re.search(pattern + r"(.*?)</(?:h1|p)>", html, re.S)
    assert m, pattern
    parsed = Marked()
    parsed.feed(m.group(1))
    return parsed


def test_item_page_shows_the_model_terms_highlighted_at_their_offsets(db):
    from mediaplan.nlp.pipeline import classify_items

    item_id = add_short_item(*SHORT_NEWS)
    with session_scope() as session:
        classify_items(session, everything=True)
        item = session.get(Item, item_id)
        terms, title, sapo = list(item.education_evidence), item.title, item.sapo
        rule_evidence = [e for t in item.themes for e in t.evidence]
        assert item.education and item.education_probability >= 0.42  # the model, with "rules OR model"
    assert terms and {t["field"] for t in terms} == {"title", "sapo"}
    page = signed_in(db).get(f"/items/{item_id}").text
    assert 'data-decided="or"' in page and "quy tắc hoặc mô hình" in page and "tin ngắn" in page
    probability = re.search(r'id="edu-probability">([^<]+)<', page).group(1)
    assert re.fullmatch(r"0,\d\d+", probability)  # Vietnamese decimal comma
    assert 'id="edu-threshold">0,42<' in page
    shown = {"title": element(page, r'<h1 id="title">'), "sapo": element(page, r'<p class="sapo">')}
    assert shown["title"].text == title and shown["sapo"].text == sapo  # the text itself is intact
    for t in terms:
        assert shown[t["field"]].covered(t["start"], t["end"], "model"), t
        assert {"title": title, "sapo": sapo}[t["field"]][t["start"]:t["end"]] == t["text"]
        assert f'data-field="{t["field"]}" data-start="{t["start"]}" data-end="{t["end"]}"' in page  # listed with offsets
    for e in rule_evidence:  # the rules' matches beside them, marked as such
        assert shown[e["field"]].covered(e["start"], e["end"], "rule"), e
    top = terms[0]
    weight = f"{top['weight']:.2f}".replace(".", ",")
    assert re.search(rf'<mark class="model">{re.escape(top["text"])}</mark> <span class="weight">{weight}</span>', page)
    assert 'id="mark-legend"' in page


def test_item_page_shows_an_editors_decision_and_themes_by_model_and_editor(db):
    from mediaplan.db.schema import ItemTheme
    from mediaplan.nlp.pipeline import classify_items

    item_id = add_short_item(*SHORT_NEWS)
    with session_scope() as session:
        classify_items(session, everything=True)
        item = session.get(Item, item_id)
        item.education_manual, item.education = False, False
        item.reviewed_by, item.reviewed_at = "Nguyễn Thị Lan", datetime(2026, 11, 13, 2, 5, tzinfo=timezone.utc)
        item.themes.append(ItemTheme(theme_code="teachers", score=0.81, method="model", evidence=[]))
    client = signed_in(db, "editor", "tranminh")
    client.post(f"/items/{item_id}/labels", data={"theme": "exemplary", "action": "add"})
    page = client.get(f"/items/{item_id}").text
    decided = re.search(r'<dd id="edu-decided">(.*?)</dd>', page, re.S).group(1)
    assert "biên tập viên" in decided and "Nguyễn Thị Lan" in decided and "13/11/2026 09:05" in decided  # local time
    assert 'data-decided="editor"' in page and 'id="flag-education">không<' in page
    assert re.search(r'<dd id="edu-auto">có</dd>', page)  # what the classifier had said stays in view
    model_theme = re.search(r'<li data-theme="teachers" data-method="model">(.*?)</li>', page, re.S).group(1)
    assert '<span class="method model">mô hình</span>' in model_theme and "0,81" in model_theme
    manual = re.search(r'<li data-theme="exemplary" data-method="manual">(.*?)</li>', page, re.S).group(1)
    assert '<span class="method manual">biên tập viên</span>' in manual and "tranminh" in manual


def test_item_page_escapes_crawled_text_and_links_only_http(db):
    title = 'Trường <script>alert("x")</script> & học sinh'
    item_id = add_short_item(title, "Lời dẫn <b>in đậm</b>", url="javascript:alert(1)")
    start = title.index("script")
    with session_scope() as session:
        item = session.get(Item, item_id)
        item.education_probability, item.education_rules, item.education_auto = 0.9, False, True
        item.education = True
        item.education_evidence = [
            {"text": "script", "field": "title", "start": start, "end": start + 6, "weight": 0.5},
            {"text": "<img src=x onerror=alert(2)>", "field": "sapo", "start": 0, "end": 28, "weight": 0.4},  # stale
        ]
    page = signed_in(db).get(f"/items/{item_id}").text
    assert "<script>alert" not in page and "<b>in đậm" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;in đậm&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    shown = element(page, r'<h1 id="title">')
    assert shown.text == title and shown.covered(start, start + 6, "model")
    assert "văn bản đã đổi" in page  # evidence that no longer stands where it says is listed, not highlighted
    assert 'href="javascript:' not in page and "không mở được" in page


def test_a_long_list_says_more_than_the_cap_and_the_export_still_has_every_row(db, monkeypatch):
    """The list counts up to COUNT_CAP (at 1M items counting every match of a common word took seconds a page);
    past it, the page and the API say "more than", and what the export downloads is still every row."""
    from mediaplan.web import items as module

    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    made = add_items([(f"Giáo viên vùng cao {n}", base - timedelta(hours=n)) for n in range(5)])
    client = signed_in(db)
    monkeypatch.setattr(module, "COUNT_CAP", 5)
    page = client.get("/items", params={"q": "giao vien"}).text
    assert 'id="total">(5)<' in page and "Tải về cả 5 tin, bài" in page
    api = client.get("/api/v1/items", params={"q": "giao vien"}).json()
    assert (api["total"], api["total_exact"]) == (5, True)
    monkeypatch.setattr(module, "COUNT_CAP", 3)
    monkeypatch.setattr(module, "WINDOW", 3)  # the newest rows alone do not say it (see the next test)
    page = client.get("/items", params={"q": "giao vien"}).text
    assert 'id="total">(hơn 3)<' in page and "Tải về mọi tin, bài khớp bộ lọc này (hơn 3)" in page
    assert ids(page) == made  # the page itself is not capped
    api = client.get("/api/v1/items", params={"q": "giao vien"}).json()
    assert (api["total"], api["total_exact"], len(api["items"])) == (3, False, 5)
    export = client.get("/items/export", params={"q": "giao vien", "format": "csv"}).text
    assert all(f"Giáo viên vùng cao {n}" in export for n in range(5))


SEARCHES = ["son ha", "Sơn Hà", "Sơn Hạ", "xyz", "tin"]


@pytest.mark.parametrize("window", [1, 7, 60, 1000])
def test_a_search_finds_the_same_pages_whether_the_newest_rows_or_the_index_answer(db, monkeypatch, window):
    """A search reads the newest WINDOW rows first and asks the search index only when they hold less than a page
    (`web.items._run_ids`): the pages, their order and the exact count are the same whichever answers, on both
    databases (window 1 and 7: the index, after the first rows; 60: the first page from the rows, the next ones
    from the index; 1000: every row read); a common word counted in the newest rows alone is "at least" that many,
    never "more than"."""
    from mediaplan.web import items as module

    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    titles = ["Tin Sơn Hà", "Tin Son Ha", "Tin Sơn Hải", "Tin khác", "Tin Sơn Hà cũ"]
    rows = [(f"{titles[n % 5]} {n}", None if n % 11 == 0 else base - timedelta(hours=n)) for n in range(130)]
    made = add_items(rows)
    titled = dict(zip(made, (t for t, _ in rows)))
    client = signed_in(db)
    expected = {q: [i for p in walk(client, f"/items?q={q}") for i in p] for q in SEARCHES}
    assert set(expected["Sơn Hà"]) == {i for i, t in titled.items() if "Sơn Hà" in t}
    assert set(expected["son ha"]) == {i for i, t in titled.items() if "khác" not in t}  # Sơn Hải folds to it too
    assert {titled[i].split()[2] for i in expected["son ha"][:26]} == {"Ha"}  # the exact ones first
    assert expected["xyz"] == [] and len(expected["tin"]) == len(made)
    monkeypatch.setattr(module, "WINDOW", window)
    for q in SEARCHES:
        assert [i for p in walk(client, f"/items?q={q}") for i in p] == expected[q], (q, window)
    # 130 rows match "tin": the newest `window` rows, when they are not all of them and more than a page (4 in the
    # API here, 50 on the page) of them match, say "at least" that many; else the index counts them all.
    api = client.get("/api/v1/items", params={"q": "tin", "limit": 4}).json()
    assert (api["total"], api["total_exact"]) == ((window, False) if 4 < window < 130 else (130, True))
    page = client.get("/items", params={"q": "tin"}).text
    assert re.search(r'id="total">\(([^)]*)\)<', page).group(1) == ("ít nhất 60" if window == 60 else "130")
    assert ("Tải về mọi tin, bài khớp bộ lọc này (ít nhất 60)" in page) == (window == 60)
