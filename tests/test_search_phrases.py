"""Phrases in search: a match starts a word, and PostgreSQL's index of word pairs (migration 0018) narrows a search
of two words or more without ever hiding an item that matches (`db.search_index`)."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from accounts import signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import Item
from mediaplan.db.search_index import OVERFLOW, query_pairs, word_start
from mediaplan.nlp.normalize import fold, normalize
from test_web_items import add_items, walk

TEXTS = [
    "Học sinh xã Sơn Hà đến trường",
    "(Sơn Hà) — “Sơn Hạ”, sơn hải; SƠN HÀNG",
    "json hash và con hai",
    "Tăng 50% học bổng cho giáo-viên Đăk Lăk",
    "Giáo viên 2026: 1.234,5 triệu đồng/người",
    "x" * 150 + " " + "y" * 60 + " cuối",  # a pair of 211 characters: indexed by its first 200
    "Tin không dấu:“Son Ha”giao vien-mầm non",  # typed without accents, between signs that are not ASCII
]
NEEDLES = ["son ha", "Sơn Hà", "on ha", "ha, son", "giao-vien", "giáo viên", "dak lak", "50% hoc", "2026: 1.234",
           "(son ha)", "ha) —", "son hang", "đăk", "x" * 150 + " " + "y" * 40, "x" * 140 + " " + "y" * 58 + "!", "y cuoi",
           "json hash va con", "giao vien", "son ha”giao", "ha gia"]


def matches(needle: str, body: str) -> bool:
    """The search's own definition, in Python: the folded needle in the folded text, starting a word."""
    folded, haystack = fold(normalize(needle).lower()), fold(normalize(body).lower())
    pattern = word_start(folded)
    return folded in haystack and (pattern is None or re.search(pattern, haystack) is not None)


def test_a_match_starts_a_word():
    assert matches("son ha", "Xã Sơn Hà") and matches("son ha", "(Sơn Hà)") and matches("son ha", "sơn hải")
    assert not matches("son ha", "json hash") and not matches("on ha", "Sơn Hà")
    assert matches("50%", "Tăng 50% học bổng") and not matches("0%", "Tăng 50% học bổng")
    assert matches("%", "Tăng 50% học bổng")  # a needle that starts with a sign has no word to start
    assert query_pairs("giao") is None and query_pairs("50%") is None
    assert query_pairs("son ha") == f"('son_ha':*) | '{OVERFLOW}'"
    assert query_pairs("(son ha) ") == f"('son_ha') | '{OVERFLOW}'"  # it ends with a sign: the last word is whole
    assert query_pairs("dak lak nong") == f"('dak_lak' & 'lak_nong':*) | '{OVERFLOW}'"


def test_the_list_finds_matches_that_start_a_word_on_both_databases(db):
    base = datetime(2026, 11, 30, tzinfo=timezone.utc)
    made = add_items([(t, base - timedelta(hours=n)) for n, t in enumerate(TEXTS)])
    client = signed_in(db)
    for needle in NEEDLES:
        found = {i for page in walk(client, "/items?" + _q(needle)) for i in page}
        wanted = {i for i, t in zip(made, TEXTS) if matches(needle, t)}
        if fold(normalize(needle).lower()) != normalize(needle).lower():  # accented: the exact ones when there are
            exact = {i for i, t in zip(made, TEXTS) if normalize(needle).lower() in normalize(t).lower()} & wanted
            wanted = exact or wanted
        assert found == wanted, needle


def _q(needle: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": needle})


@pytest.mark.pg
def test_every_match_has_the_pairs_postgresql_indexes(db, backend):
    """The index can only narrow: for every text and needle that match, PostgreSQL's pairs of the text hold the
    needle's query (`query_pairs`), so the index hands the item back. An item of more pairs than the index takes
    is a candidate for every query."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's index")
    huge = " ".join(f"w{n}" for n in range(20_002))  # 20,001 distinct pairs
    with session_scope() as session:
        for body in TEXTS + [huge]:
            haystack = fold(normalize(body).lower())
            for needle in NEEDLES + ["w1 w2", "w20000 w20001"]:
                query = query_pairs(fold(normalize(needle).lower()))
                if query is None or not matches(needle, body):
                    continue
                held = session.scalar(text("SELECT mediaplan_search_pairs(:t) @@ CAST(:q AS tsquery)"),
                                      {"t": haystack, "q": query})
                assert held, (needle, body[:40])
            exact_text = normalize(body).lower()  # the exact column (0019): an unaccented needle typed as it is there
            for needle in NEEDLES:
                typed = normalize(needle).lower()
                query = query_pairs(typed)
                if query is None or fold(typed) != typed or typed not in exact_text or not matches(needle, body):
                    continue
                held = session.scalar(text("SELECT mediaplan_search_pairs(:t) @@ CAST(:q AS tsquery)"),
                                      {"t": exact_text, "q": query})
                assert held, ("exact", needle, body[:40])
        assert session.scalar(text("SELECT mediaplan_search_pairs(:t)::text"), {"t": fold(huge)}) == f"'{OVERFLOW}'"
        # An accented word is parted into fragments there: "Sơn Hà" holds no "son_ha" in the exact column.
        assert not session.scalar(text("SELECT mediaplan_search_pairs('sơn hà') @@ CAST(:q AS tsquery)"),
                                  {"q": query_pairs("son ha")})
        assert not session.scalar(text("SELECT mediaplan_search_pairs('json hash') @@ CAST(:q AS tsquery)"),
                                  {"q": query_pairs("son ha")})


@pytest.mark.pg
def test_postgresql_plans_a_phrase_on_the_pairs_index(db, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's index")
    add_items([("Xã Sơn Hà", datetime(2026, 11, 30, tzinfo=timezone.utc))])
    with session_scope() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(session.scalars(text(
            "EXPLAIN SELECT id FROM items WHERE mediaplan_search_pairs(search_folded) @@ CAST(:q AS tsquery)"),
            {"q": query_pairs("son ha")}))
        assert "ix_items_search_pairs" in plan
        exact = "\n".join(session.scalars(text(
            "EXPLAIN SELECT id FROM items WHERE mediaplan_search_pairs(search_text) @@ CAST(:q AS tsquery)"),
            {"q": query_pairs("son ha")}))
        assert "ix_items_search_text_pairs" in exact  # the exact run of a search typed without accents (0019)
        assert session.scalar(select(Item.title).where(Item.search_folded.like("%son ha%"))) == "Xã Sơn Hà"
