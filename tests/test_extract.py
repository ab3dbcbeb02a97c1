"""Extraction against one fixture folder per outlet, expected JSON beside each page (as Fundus does)."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mediaplan.crawler.extract import extract_article, script_body
from mediaplan.crawler.profiles import get_profile
from mediaplan.crawler.urls import canonical_url

OUTLETS = Path(__file__).parent / "fixtures" / "outlets"
CASES = sorted(OUTLETS.glob("*/*.html"))
FETCHED = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # the page header says "today" is 26/11/2026


@pytest.mark.parametrize("page", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_outlet_page_matches_expected(page: Path):
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    art = extract_article(page.read_text(encoding="utf-8"), expected["url"], get_profile(page.parent.name), FETCHED)
    assert art.title == expected["title"]
    assert art.sapo == expected["sapo"]
    assert art.body.split("\n\n") == expected["paragraphs"]
    assert art.author == expected["author"]
    # The article's own date, never the header's "today".
    assert art.published_at.isoformat() == expected["published_at"]
    assert canonical_url(expected["url"], art.canonical) == expected["canonical"]
    assert art.tags == expected["tags"]
    assert art.extractor == expected["extractor"]


def test_both_inline_script_forms_are_decoded():
    html_form = (OUTLETS / "baoquangngai" / "article-script-html.html").read_text(encoding="utf-8")
    data_form = (OUTLETS / "baoquangngai" / "article-output-data.html").read_text(encoding="utf-8")
    assert script_body(html_form).startswith("<p>Sáng 20/11")
    assert script_body(data_form) == script_body(html_form)


def test_generic_fallback_finds_only_the_sapo_without_the_profile():
    """Why the profile exists: without it the script-rendered body is invisible."""
    html = (OUTLETS / "baoquangngai" / "article-output-data.html").read_text(encoding="utf-8")
    art = extract_article(html, "https://baoquangngai.vn/x/", get_profile(None), FETCHED)
    assert "2.300 giáo viên" not in art.body


def test_page_without_body_gives_no_body_not_an_error():
    art = extract_article("<html><head><title>Trang lỗi</title></head><body><div id='header'>Thứ Năm, 26/11/2026</div></body></html>",
                          "https://baoquangngai.vn/loi/", get_profile("baoquangngai"), FETCHED)
    assert art.body == "" and art.published_at is None


def test_outlet_fixtures_through_a_real_crawl(sqlite_db, tmp_path):
    """The same fixtures, served over HTTP and crawled from a sitemap: what is stored matches the expected JSON."""
    from urllib.parse import urlsplit

    from sqlalchemy import select

    from conftest import run_cli
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item
    from mediaplan.snapshot.server import SnapshotServer

    root = tmp_path / "sites"
    expected = {}
    for page in CASES:
        exp = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        parts = urlsplit(exp["url"])
        target = root / parts.netloc / (parts.path.lstrip("/") + ("index.html" if parts.path.endswith("/") else ""))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.read_bytes())
        (root / parts.netloc / "robots.txt").write_text("User-agent: *\nAllow: /\n")
        expected.setdefault(parts.netloc, []).append(exp)
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    with SnapshotServer(root) as base:
        for host, pages in expected.items():
            urls = "".join(f"<url><loc>{p['url']}</loc></url>" for p in pages)
            (root / host / "sitemap.xml").write_text(
                f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
            outlet = "baoquangngai" if host == "baoquangngai.vn" else "xa-son-ha"
            run_cli("crawl", "--url", f"https://{host}/sitemap.xml", "--kind", "sitemap", "--outlet", outlet,
                    "--snapshot", base, "--no-progress", env=env)
    with session_scope() as session:
        stored = {i.canonical_url: i for i in session.scalars(select(Item))}
    # The three baoquangngai pages carry the same story at three URLs: stored once per outlet and text.
    for exp in [p for pages in expected.values() for p in pages]:
        item = stored.get(exp["canonical"])
        if item is None:  # one of the three copies of the same story
            continue
        assert item.title == exp["title"] and item.sapo == exp["sapo"] and item.author == exp["author"]
        assert item.body.split("\n\n") == exp["paragraphs"]
        assert item.published_at.isoformat() == exp["published_at"]
    assert len(stored) == 2 and {urlsplit(u).netloc for u in stored} == set(expected)
