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
