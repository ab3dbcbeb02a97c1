"""Extraction against one fixture folder per profile and version, expected JSON beside each page (as Fundus does).

Layout: tests/fixtures/outlets/<profile>/<version>/<page>.html and <page>.json, where
<version> is the version's valid_from day, or `initial` for the one valid from the
beginning. The JSON names the outlet the page belongs to.
"""

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from mediaplan.crawler.extract import Extractor, extract_article
from mediaplan.crawler.profiles import INITIAL, ProfileError, available, get_profile, load_profile
from mediaplan.crawler.urls import canonical_url

OUTLETS = Path(__file__).parent / "fixtures" / "outlets"
PROFILES = available()
VERSIONS = [(key, v.name) for key in PROFILES for v in get_profile(key).versions]
CASES = sorted(OUTLETS.glob("*/*/*.html"))
FETCHED = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # the page header says "today" is 26/11/2026


def _expected(page: Path) -> dict:
    return json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("key, version", VERSIONS, ids=lambda v: v)
def test_every_profile_version_has_a_fixture(key, version):
    pages = sorted((OUTLETS / key / version).glob("*.html"))
    assert pages, f"no fixture for profile {key}, version {version}: add {OUTLETS / key / version}/<page>.html and .json"
    assert all(p.with_suffix(".json").exists() for p in pages)


def test_every_fixture_folder_is_a_profile_version():
    folders = {(p.parent.name, p.name) for p in OUTLETS.glob("*/*") if p.is_dir()}
    assert folders - set(VERSIONS) == set(), "fixtures of a profile or version that does not exist"


@pytest.mark.parametrize("page", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}")
def test_outlet_page_matches_expected(page: Path):
    from mediaplan.plans import current_plan

    expected = _expected(page)
    profile = get_profile(page.parent.parent.name)
    fetched = datetime.fromisoformat(expected["fetched_at"]) if "fetched_at" in expected else FETCHED
    assert profile.version_at(fetched).name == page.parent.name, "the page must be fetched while its version is valid"
    outlet = next((o for o in current_plan().outlets.outlets if o.key == expected["outlet"]), None)
    if outlet is not None:  # an outlet of the bundled plan: the fixture is filed under its profile
        assert outlet.profile == profile.key
    art = extract_article(page.read_text(encoding="utf-8"), expected["url"], profile, fetched)
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
    from mediaplan.crawler.profiles.baoquangngai import script_body

    html_form = (OUTLETS / "baoquangngai" / INITIAL / "article-script-html.html").read_text(encoding="utf-8")
    data_form = (OUTLETS / "baoquangngai" / INITIAL / "article-output-data.html").read_text(encoding="utf-8")
    assert script_body(html_form).startswith("<p>Sáng 20/11")
    assert script_body(data_form) == script_body(html_form)


def test_generic_extractor_finds_only_the_sapo_of_a_script_rendered_page():
    """Why baoquangngai has its own class: the generic steps cannot see a script-rendered body."""
    html = (OUTLETS / "baoquangngai" / INITIAL / "article-output-data.html").read_text(encoding="utf-8")
    art = extract_article(html, "https://baoquangngai.vn/x/", get_profile(None), FETCHED)
    assert "2.300 giáo viên" not in art.body
    with_selectors_only = Extractor(get_profile("baoquangngai").versions[-1]).extract(html, "https://baoquangngai.vn/x/")
    assert "2.300 giáo viên" not in with_selectors_only.body


def test_page_without_body_gives_no_body_not_an_error():
    art = extract_article("<html><head><title>Trang lỗi</title></head><body><div id='header'>Thứ Năm, 26/11/2026</div></body></html>",
                          "https://baoquangngai.vn/loi/", get_profile("baoquangngai"), FETCHED)
    assert art.body == "" and art.published_at is None


def test_vnexpress_date_line_is_read_when_the_page_has_no_machine_date():
    page = OUTLETS / "vnexpress" / INITIAL / "article.html"
    html = page.read_text(encoding="utf-8")
    html = html[:html.index('<meta content="2024')] + html[html.index("</head>"):]  # no pubdate, no JSON-LD
    art = extract_article(html, _expected(page)["url"], get_profile("vnexpress"), FETCHED)
    assert art.published_at.isoformat() == "2024-12-02T03:00:00+00:00"  # "Thứ hai, 2/12/2024, 10:00 (GMT+7)"
    assert art.author == "Phạm Linh"  # the byline, not the meta tag's "VnExpress"


# --- dated versions ---------------------------------------------------------------------------

REDESIGNED = """\
key: example
versions:
  - valid_from: 2026-03-01
    extractor: NewTitle
    title: h1.title-detail
    body: article.detail
  - title: h1.old
    body: '#content'
"""
CLASS = """\
from mediaplan.crawler.extract import Extractor


class NewTitle(Extractor):
    def title(self, page):
        return super().title(page).upper()
"""
PAGE = ("<html><body><h1 class='old'>Bản cũ</h1><div id='content'><p>Thân bài cũ.</p></div>"
        "<h1 class='title-detail'>Bản mới</h1><article class='detail'><p>Thân bài mới.</p></article></body></html>")


def test_a_redesign_adds_a_version_chosen_by_the_fetch_day(tmp_path):
    (tmp_path / "example.yaml").write_text(REDESIGNED, encoding="utf-8")
    (tmp_path / "example.py").write_text(CLASS, encoding="utf-8")
    profile = load_profile(tmp_path / "example.yaml")
    assert [v.name for v in profile.versions] == [INITIAL, "2026-03-01"]
    # 2026-02-28 at 17:30 UTC is already 1 March in Vietnam: the fetch day is a local day.
    cases = [(datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc), "Bản cũ", "Thân bài cũ."),
             (datetime(2026, 2, 28, 17, 30, tzinfo=timezone.utc), "BẢN MỚI", "Thân bài mới."),
             (None, "BẢN MỚI", "Thân bài mới.")]  # no fetch time: the newest version
    for fetched, title, body in cases:
        art = extract_article(PAGE, "https://example.vn/a.html", profile, fetched)
        assert (art.title, art.body) == (title, body), fetched


def test_a_file_without_versions_is_one_version_valid_from_the_beginning():
    profile = get_profile("gov-portal")
    assert [v.name for v in profile.versions] == [INITIAL]
    assert profile.version_at(datetime(2001, 1, 1, tzinfo=timezone.utc)) is profile.versions[0]


@pytest.mark.parametrize("text, code, message", [
    ("key: other\ntitle: h1\n", None, "khác tên tệp"),
    ("versions:\n  - title: h1\n  - title: h2\n", None, "valid_from"),
    ("title: h1\nversions:\n  - title: h2\n", None, "thừa: title"),
    ("extractor: Missing\ntitle: h1\n", CLASS, "không có lớp Missing"),
    ("titel: h1\n", None, "titel"),
])
def test_a_broken_profile_is_refused_with_its_file(tmp_path, text, code, message):
    (tmp_path / "example.yaml").write_text(text, encoding="utf-8")
    if code:
        (tmp_path / "example.py").write_text(code, encoding="utf-8")
    with pytest.raises(ProfileError, match=message) as exc:
        load_profile(tmp_path / "example.yaml")
    assert "example.yaml" in str(exc.value)


# --- the plan names profiles ------------------------------------------------------------------


def _plan_copy(tmp_path: Path) -> Path:
    from mediaplan.plans import resolve_folder

    folder = tmp_path / "plan"
    shutil.copytree(resolve_folder("quang-ngai-nq71"), folder)
    return folder


def test_a_plan_naming_a_missing_profile_is_refused_at_init_with_file_and_line(tmp_path):
    from conftest import run_cli

    folder = _plan_copy(tmp_path)
    outlets = folder / "outlets.yaml"
    lines = outlets.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "profile: baoquangngai")
    lines[line - 1] = lines[line - 1].replace("baoquangngai", "baoquangngaii")
    outlets.write_text("".join(lines), encoding="utf-8")
    proc = run_cli("init", env={"MEDIAPLAN_PLAN": str(folder), "MEDIAPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
                   check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]  # one line
    assert f"{outlets}:{line}:" in proc.stderr and "không có hồ sơ trích xuất 'baoquangngaii'" in proc.stderr
    assert not (tmp_path / "x.db").exists()  # refused before anything was written


@pytest.mark.slow
def test_outlet_fixtures_through_a_real_crawl(sqlite_db, tmp_path):
    """The same fixtures, served over HTTP and crawled from a sitemap under the outlet each JSON names.

    An outlet that is not in the bundled plan (a new one, like vnexpress) is added to a copy of the plan
    with one entry, its key, homepage and profile: nothing else is needed to crawl it.
    """
    from urllib.parse import urlsplit

    from sqlalchemy import select

    from conftest import run_cli
    from mediaplan.db import session_scope
    from mediaplan.db.schema import Item
    from mediaplan.plans import current_plan
    from mediaplan.snapshot.server import SnapshotServer

    root = tmp_path / "sites"
    by_host: dict[str, list[dict]] = {}
    for page in CASES:
        exp = {**_expected(page), "profile": page.parent.parent.name}
        parts = urlsplit(exp["url"])
        target = root / parts.netloc / (parts.path.lstrip("/") + ("index.html" if parts.path.endswith("/") else ""))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.read_bytes())
        (root / parts.netloc / "robots.txt").write_text("User-agent: *\nAllow: /\n")
        by_host.setdefault(parts.netloc, []).append(exp)
    folder = _plan_copy(tmp_path)
    plan = yaml.safe_load((folder / "outlets.yaml").read_text(encoding="utf-8"))
    planned = {o.key for o in current_plan().outlets.outlets}
    for host, pages in by_host.items():
        for exp in pages:
            if exp["outlet"] not in planned:
                planned.add(exp["outlet"])
                plan["outlets"].append({"key": exp["outlet"], "name": exp["outlet"], "kind": "press",
                                        "homepage": f"https://{host}/", "profile": exp["profile"]})
    (folder / "outlets.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"), "MEDIAPLAN_PLAN": str(folder)}
    run_cli("init", env=env)
    with SnapshotServer(root) as base:
        for host, pages in by_host.items():
            urls = "".join(f"<url><loc>{p['url']}</loc></url>" for p in pages)
            (root / host / "sitemap.xml").write_text(
                f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
            for outlet in sorted({p["outlet"] for p in pages}):
                run_cli("crawl", "--url", f"https://{host}/sitemap.xml", "--kind", "sitemap", "--outlet", outlet,
                        "--snapshot", base, "--no-progress", env=env)
    with session_scope() as session:
        stored = {i.canonical_url: (i.outlet.key, i) for i in session.scalars(select(Item))}
    # Pages with the same text for one outlet (baoquangngai's three renderings of one story) are one item.
    stories: dict[tuple, list[dict]] = {}
    for pages in by_host.values():
        for exp in pages:
            stories.setdefault((exp["outlet"], tuple(exp["paragraphs"])), []).append(exp)
    for copies in stories.values():
        found = [(exp, stored[exp["canonical"]]) for exp in copies if exp["canonical"] in stored]
        assert len(found) == 1, [c["url"] for c in copies]
        exp, (outlet, item) = found[0]
        assert outlet == exp["outlet"]
        assert item.title == exp["title"] and item.sapo == exp["sapo"] and item.author == exp["author"]
        assert item.body.split("\n\n") == exp["paragraphs"]
        assert item.published_at.isoformat() == exp["published_at"]
    assert len(stored) == len(stories)
