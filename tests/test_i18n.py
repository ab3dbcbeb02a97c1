"""Vietnamese first, English on request (issue 12): the language switch, the catalogue, labels, numbers, months.

The browser side (no Vietnamese left on an English page, and the reverse) is tests/test_web_language.py.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from accounts import FIELD, signed_in
from mediaplan import i18n
from mediaplan.i18n.extract import shown_labels
from mediaplan.vocab import FORMATS, Format, Platform, label
from mediaplan.web.app import create_app
from mediaplan.web.language import COOKIE

# Letters only Vietnamese writes (ă â đ ê ô ơ ư and every tone-marked vowel), both cases.
VIETNAMESE = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)


def visible_words(html: str) -> str:
    """The text of a page outside <head>, scripts and elements marked lang="vi" (Vietnamese data), tags dropped."""
    body = re.sub(r"(?s)<head>.*?</head>|<script\b.*?</script>", "", html)
    body = re.sub(r'(?s)<(\w+)\b[^>]*\blang="vi"[^>]*>.*?</\1>', "", body.replace('<html lang="vi">', "<html>"))
    return re.sub(r"<[^>]+>", " ", body)


def _catalog():
    with i18n.po_path("en").open("rb") as po:
        return read_po(po, locale="en")


def _switch(client: TestClient, lang: str, next: str = "/", **extra):
    token = FIELD.search(client.get("/login").text).group(1)
    return client.post("/language", data={"lang": lang, "next": next, "csrf_token": token, **extra},
                       follow_redirects=False)


# --- the switch ---------------------------------------------------------------------------------------------


def test_the_switch_sets_a_year_long_cookie_and_goes_back_to_the_page(populated_db):
    client = TestClient(create_app(populated_db))
    answer = _switch(client, "en", "/items?month=2026-11")
    assert answer.status_code == 303 and answer.headers["location"] == "/items?month=2026-11"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=en;")
    for part in ("Path=/", f"Max-Age={365 * 24 * 3600}", "HttpOnly", "SameSite=Lax"):
        assert part in cookie
    assert "Secure" not in cookie  # the test deployment is http; https gets Secure (next test)
    assert client.cookies.get(COOKIE) == "en"
    back = _switch(client, "vi")
    assert back.status_code == 303 and client.cookies.get(COOKIE) == "vi"


def test_the_cookie_is_secure_on_an_https_deployment(populated_db, monkeypatch):
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_PUBLIC_URL", "https://mediaplan.example.gov.vn")
    get_settings.cache_clear()
    try:
        client = TestClient(create_app(populated_db), base_url="https://testserver")
        answer = _switch(client, "en")
        assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "evil", "",
                                    "/ok\r\nSet-Cookie: x=1", "/\t/evil.example", "/" + "a" * 3000])
def test_the_switch_only_goes_back_to_a_page_of_this_site(populated_db, target):
    answer = _switch(TestClient(create_app(populated_db)), "en", target)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_an_unknown_language_or_a_missing_token_is_refused(populated_db):
    client = TestClient(create_app(populated_db))
    assert _switch(client, "fr").status_code == 400
    assert _switch(client, "en" * 10).status_code == 422  # longer than any language code
    assert COOKIE not in client.cookies
    assert client.post("/language", data={"lang": "en", "next": "/"}, follow_redirects=False).status_code == 403


def test_vietnamese_is_the_default_whatever_the_browser_asks(populated_db):
    client = TestClient(create_app(populated_db))
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in page.text and "Tên đăng nhập" in page.text
    assert 'id="language-switch">English<' in page.text
    client.cookies.set(COOKIE, "xx")  # an unknown value is Vietnamese too
    assert '<html lang="vi">' in client.get("/login").text


def test_an_english_page_says_so_and_keeps_vietnamese_data_marked(populated_db):
    client = signed_in(populated_db)
    vi = client.get("/?month=2026-11").text
    assert _switch(client, "en", "/?month=2026-11").status_code == 303
    en = client.get("/?month=2026-11").text
    assert '<html lang="en">' in en and '<html lang="vi">' in vi
    assert "Resolution 71 media overview" in en and "Tổng quan truyền thông Nghị quyết 71" not in en
    assert ">Editorial calendar<" in en and ">Sign out<" in en and 'id="language-switch">Tiếng Việt<' in en
    assert "November 2026" in en and "tháng 11/2026" in vi and "November" not in vi
    # the themes are the plan's data: Vietnamese on both pages, marked lang="vi" on the English one
    theme = re.search(r'<tr data-theme="exemplary"><td><a href="[^"]+"( lang="vi")?>([^<]+)</a>', en)
    assert theme and theme.group(1) and VIETNAMESE.search(theme.group(2))
    assert 'lang="vi"' not in vi.replace('<html lang="vi">', "")  # a Vietnamese page needs no marks


def test_the_month_picker_names_months_in_the_pages_language(populated_db):
    client = signed_in(populated_db)
    vi = client.get("/items?month=2026-11").text
    assert re.search(r'<option value="2026-11" selected>tháng 11/2026</option>', vi)
    assert 'type="month"' not in vi  # the browser would name the months in its own language
    _switch(client, "en")
    en = client.get("/items?month=2026-11").text
    assert re.search(r'<option value="2026-11" selected>November 2026</option>', en)


def test_validation_errors_and_error_pages_follow_the_language(populated_db):
    client = signed_in(populated_db)
    vi = client.get("/items?after=abc")
    assert vi.status_code == 422 and "phải là một số nguyên" in vi.json()["detail"][0]["msg"]
    missing = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "Không tìm thấy" in missing.text and "Not Found" not in missing.text
    _switch(client, "en")
    en = client.get("/items?after=abc")
    assert en.status_code == 422 and en.json()["detail"][0]["msg"] == "after: must be a whole number"
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "Not found" in page.text and not VIETNAMESE.search(visible_words(page.text))
    bad = client.get("/calendar/gaps?month=2026-13")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("invalid month '2026-13'")


def test_the_gaps_warnings_name_themes_platforms_and_formats_never_codes(populated_db):
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Theme

    with session_scope() as session:
        codes = {t.code: t.name for t in session.query(Theme)}
    client = signed_in(populated_db)
    for lang in ("vi", "en"):
        _switch(client, lang)
        page = client.get("/calendar/gaps?month=2026-11").text
        warnings = re.search(r'<ul id="flags">(.*?)</ul>', page, re.S).group(1)
        texts = [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li\b.*?</li>", warnings, re.S)]
        assert texts and all(any(name in text for name in codes.values()) for text in texts), texts
        for text in texts:
            assert not re.search(r"\b(%s)\b" % "|".join(map(re.escape, codes)), text), text
            assert not re.search(r"\b(facebook|tv|online|short_video|talk_show)\b", text), text
        if lang == "en":
            assert any("nothing planned for the next 4 weeks" in t or "published against the target" in t for t in texts)


# --- the catalogue ------------------------------------------------------------------------------------------


def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy():
    catalog = _catalog()
    entries = [m for m in catalog if m.id]
    assert len(entries) > 400
    for m in entries:
        assert not m.fuzzy, m.id
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        assert strings and all(s.strip() for s in strings), f"untranslated: {m.id!r}"
        ids = m.id if isinstance(m.id, (list, tuple)) else [m.id]
        wanted = set(re.findall(r"%\(\w+\)[sdr]|\{\w+\}", ids[0]))
        for s in strings:
            if "%(num)s" not in ids[0]:  # an English singular may say "one week" where Vietnamese counts
                assert set(re.findall(r"%\(\w+\)[sdr]|\{\w+\}", s)) == wanted, (m.id, s)
            assert not VIETNAMESE.search(s) or "Sơn Hà" in s or "Sở Nội vụ" in s, (m.id, s)


def test_the_catalogue_is_up_to_date_with_the_code():
    """Every msgid extracted from the code and templates (what `make messages` would add) has its entry."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
    catalog = _catalog()
    missing = []
    for _file, _line, message, _comments, context in extract_from_dir(str(root / "mediaplan"), method_map, options_map,
                                                                      keywords=keywords):
        key = message[0] if isinstance(message, tuple) else message
        if key and catalog.get(key, context) is None:
            missing.append(key)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"


def test_vocabulary_labels_translate_and_stay_vietnamese_by_default():
    assert label("format", "news") == "tin" and FORMATS["news"] == "tin"
    with i18n.using("en"):
        assert label("format", "news") == "news item"
        assert label("platform", "tv") == "television"
        assert Format.labels()["short_video"] == "short video"
        assert label("format", "no-such-code") == "no-such-code" and label("format", None) == "—"
        assert Platform.FACEBOOK.label == "Facebook"  # the member keeps its Vietnamese name; label() translates
    assert label("platform", "tv") == "truyền hình"
    catalog = _catalog()
    for where, text in shown_labels():
        entry = catalog.get(text)
        assert entry is not None and entry.string, f"{where}: {text!r} has no English"


def test_numbers_use_each_languages_separators():
    assert i18n.number(1234567) == "1.234.567" and i18n.number(1234.5, 1) == "1.234,5" and i18n.number(3.0, 1) == "3"
    assert i18n.decimal(0.875, 2) == "0,88" and i18n.percent(45.5) == "45,5%" and i18n.number(None) == "—"
    with i18n.using("en"):
        assert i18n.number(1234567) == "1,234,567" and i18n.number(1234.5, 1) == "1,234.5"
        assert i18n.decimal(0.875, 2) == "0.88" and i18n.percent(45.5) == "45.5%"
    from mediaplan.reports.narrative import vi_number

    for value, places in ((1234567, 0), (1234.5, 1), (0.25, 2), (100.0, 1), (999999.95, 1)):
        assert i18n.number(value, places) == vi_number(value, places)  # the page says what the report says


def test_months_and_periods_are_named_in_the_current_language():
    assert i18n.month_name("2026-11") == "tháng 11/2026" and i18n.period_name("2026-Q4") == "quý IV năm 2026"
    with i18n.using("en"):
        assert i18n.month_name("2026-11") == "November 2026"
        assert [i18n.period_name(p) for p in ("2026-11", "2026-Q4", "2026-H1", "2026-H2", "2026")] == [
            "November 2026", "Q4 2026", "first half of 2026", "second half of 2026", "2026"]
        assert i18n.period_name("not a period") == "not a period"
    assert i18n.current() == "vi"  # `using` gives the language back


def test_the_report_built_from_an_english_page_is_vietnamese(populated_db, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIAPLAN_DATA_DIR", str(tmp_path))
    from mediaplan.settings import get_settings

    get_settings.cache_clear()
    try:
        client = signed_in(populated_db, "analyst")
        _switch(client, "en")
        built = client.post("/reports/build", data={"period": "2026-11"})
        assert built.status_code == 200 and "Built version 1 (draft)." in built.text
        version = re.search(r'href="(/reports/\d+/files/report.html)', built.text).group(1)
        report = client.get(version).text
        assert "tháng 11/2026" in report and "November" not in report and "news item" not in report
    finally:
        get_settings.cache_clear()
