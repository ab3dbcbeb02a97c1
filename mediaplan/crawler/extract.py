"""Turn an article page into fields: profile first, then JSON-LD/OpenGraph, then trafilatura.

Dates are looked for inside the article node only: every news site prints
"today" in its header, and generic date finders pick that up (field notes).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin
from dataclasses import dataclass, field
from datetime import datetime

import extruct
import htmldate
import trafilatura
from parsel import Selector

from mediaplan.crawler.dates import parse_iso, parse_vi_date
from mediaplan.crawler.profiles import Profile

_TEMPLATE_BODY = re.compile(r"""\$\(\s*['"]#content['"]\s*\)\s*\.html\(\s*`((?:\\.|[^`\\])*)`\s*\)""", re.S)
_QUOTED_BODY = re.compile(r"""\$\(\s*['"]#content['"]\s*\)\s*\.html\(\s*("(?:\\.|[^"\\])*")\s*\)""", re.S)
_OUTPUT_DATA = re.compile(r"""outputData\s*=\s*("(?:\\.|[^"\\])*")""", re.S)
_BLOCKS = "p, h2, h3, h4, li, blockquote, td"  # not figcaption: a caption is not the story


@dataclass
class Article:
    url: str
    title: str = ""
    sapo: str = ""
    body: str = ""
    author: str | None = None
    category: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    canonical: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    extractor: str = ""  # which step produced the body: profile | script | jsonld | trafilatura
    media: list[str] = field(default_factory=list)  # audio/video URLs found in the article
    transcript_url: str | None = None
    duration_seconds: int | None = None  # broadcasts: from JSON-LD or the printed "Thời lượng"


def script_body(html: str) -> str | None:
    """The article HTML that an inline script injects into #content, if the page does that."""
    if m := _TEMPLATE_BODY.search(html):
        raw = m.group(1)
        return re.sub(r"\\([`\\$])", r"\1", raw)
    for pattern in (_OUTPUT_DATA, _QUOTED_BODY):
        if m := pattern.search(html):
            try:
                return json.loads(m.group(1))
            except json.JSONDecodeError:
                continue
    return None


def _text(sel: Selector, css: str | None) -> str:
    if not css:
        return ""
    node = sel.css(css)
    if not node:
        return ""
    return " ".join(" ".join(node[0].css("::text").getall()).split())


def _paragraphs(node: Selector) -> str:
    blocks = node.css(_BLOCKS)
    texts = []
    for block in blocks:
        # Skip a block nested in another block we already take (li > p).
        if block.xpath("ancestor::p | ancestor::li | ancestor::blockquote"):
            continue
        text = " ".join(" ".join(block.css("::text").getall()).split())
        if text:
            texts.append(text)
    if not texts:
        text = " ".join(" ".join(node.css("::text").getall()).split())
        return text
    return "\n\n".join(texts)


def _jsonld(html: str, url: str) -> dict:
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True, errors="ignore")
    except Exception:  # extruct raises a zoo of parser errors on broken markup
        return {}
    found: dict = {}
    for obj in data.get("json-ld", []):
        for node in obj.get("@graph", [obj]):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(k in ("NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "VideoObject") for k in kinds):
                found.setdefault("headline", node.get("headline") or node.get("name"))
                found.setdefault("description", node.get("description"))
                found.setdefault("datePublished", node.get("datePublished") or node.get("uploadDate"))
                found.setdefault("dateModified", node.get("dateModified"))
                author = node.get("author")
                if isinstance(author, list):
                    author = ", ".join(a.get("name", "") if isinstance(a, dict) else str(a) for a in author)
                elif isinstance(author, dict):
                    author = author.get("name")
                found.setdefault("author", author)
                found.setdefault("articleBody", node.get("articleBody"))
                found.setdefault("duration", node.get("duration"))
    for og in data.get("opengraph", []):
        found.setdefault("og", og)
    return found


def extract_article(html: str, url: str, profile: Profile, fetched_at: datetime | None = None) -> Article:
    sel = Selector(text=html)
    art = Article(url=url)
    meta = lambda name: sel.css(f'meta[property="{name}"]::attr(content), meta[name="{name}"]::attr(content)').get()  # noqa: E731
    art.canonical = sel.css('link[rel="canonical"]::attr(href)').get() or meta("og:url")
    ld = _jsonld(html, url)

    article_node = sel.css(profile.article)[0] if profile.article and sel.css(profile.article) else sel

    art.title = _text(sel, profile.title) or meta("og:title") or ld.get("headline") or _text(sel, "title")
    art.sapo = _text(sel, profile.sapo) or ld.get("description") or meta("description") or meta("og:description") or ""
    art.author = _text(sel, profile.author) or ld.get("author") or meta("author") or None
    art.category = _text(sel, profile.category) or meta("article:section") or None
    art.image = meta("og:image")
    if profile.tags:
        art.tags = [" ".join(t.split()) for t in sel.css(f"{profile.tags}::text").getall() if t.strip()]
    if not art.tags and meta("keywords"):
        art.tags = [t.strip() for t in meta("keywords").split(",") if t.strip()]

    body_node = sel.css(profile.body) if profile.body else []
    body = _paragraphs(body_node[0]) if body_node else ""
    art.extractor = "profile" if body else ""
    if profile.inline_script and len(body) < 200:
        injected = script_body(html)
        if injected:
            body = _paragraphs(Selector(text=f"<div>{injected}</div>"))
            art.extractor = "script"
    if not body and ld.get("articleBody"):
        body, art.extractor = ld["articleBody"], "jsonld"
    if not body:
        body = trafilatura.extract(article_node.get() if article_node is not sel else html,
                                   include_comments=False, include_tables=False, favor_precision=True) or ""
        art.extractor = "trafilatura" if body else ""
    # The sapo is often repeated as the body's first paragraph.
    if art.sapo and body.startswith(art.sapo):
        body = body[len(art.sapo):].lstrip()
    art.body = body

    art.published_at = (
        parse_iso(meta("article:published_time"))
        or parse_iso(ld.get("datePublished"))
        or parse_vi_date(_text(sel, profile.date), fetched_at)
        or _htmldate(article_node, sel)
    )
    art.modified_at = parse_iso(meta("article:modified_time")) or parse_iso(ld.get("dateModified"))
    art.media = [urljoin(url, u) for u in article_node.css(
        "video source::attr(src), video::attr(src), audio source::attr(src), audio::attr(src)").getall()]
    art.media += [u for u in (meta("og:video"), meta("og:audio")) if u and u not in art.media]
    transcript = article_node.css('track[kind="captions"]::attr(src), track[kind="subtitles"]::attr(src), a[rel="transcript"]::attr(href)').get()
    art.transcript_url = urljoin(url, transcript) if transcript else None
    art.duration_seconds = parse_duration(ld.get("duration")) or parse_duration(
        (re.search(r"[Tt]hời lượng:?\s*([\d:]+)", " ".join(article_node.css("::text").getall())) or [None, None])[1])
    return art


def _htmldate(node: Selector, page: Selector) -> datetime | None:
    if node is page:  # no article node: a page-wide guess would pick the header's "today"
        return None
    found = htmldate.find_date(node.get(), original_date=True, extensive_search=False, outputformat="%Y-%m-%dT%H:%M:%S")
    return parse_iso(found) if found else None


def parse_duration(value: str | None) -> int | None:
    """ISO 8601 ("PT18M40S") or clock form ("18:40", "1:02:30") into seconds."""
    if not value:
        return None
    value = value.strip()
    if m := re.fullmatch(r"P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", value, re.I):
        h, mnt, sec = (int(x or 0) for x in m.groups())
        return h * 3600 + mnt * 60 + sec or None
    if re.fullmatch(r"\d{1,2}(:\d{2}){1,2}", value):
        seconds = 0
        for part in value.split(":"):
            seconds = seconds * 60 + int(part)
        return seconds or None
    return None


def transcript_text(raw: str) -> str:
    """Plain text of a WebVTT/SRT caption file or a transcript: cues joined, timings and numbers dropped."""
    lines = []
    for line in raw.splitlines():
        line = line.strip()
        if not line or line == "WEBVTT" or line.isdigit() or "-->" in line or line.startswith(("NOTE", "STYLE")):
            continue
        lines.append(re.sub(r"<[^>]+>", "", line))
    return "\n".join(lines)
