"""Turn an article page into fields: profile selectors first, then JSON-LD/OpenGraph, then trafilatura.

`Extractor` holds the generic steps, one method per field (title, sapo, author,
category, tags, body, published_at). A profile whose site needs more than
selectors names a subclass in `profiles/<key>.py` that overrides single steps;
everything else stays generic.

Dates are looked for inside the article node only: every news site prints
"today" in its header, and generic date finders pick that up (field notes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple
from urllib.parse import urljoin

import extruct
import htmldate
import trafilatura
from parsel import Selector

from mediaplan.crawler.dates import parse_iso, parse_vi_date
from mediaplan.crawler.profiles import Profile, Version

BLOCKS = "p, h2, h3, h4, li, blockquote, td"  # not figcaption: a caption is not the story


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


class Body(NamedTuple):
    text: str
    extractor: str  # the step that found it, kept on the item (extra.extractor)


NO_BODY = Body("", "")


def squash(texts: list[str]) -> str:
    """Text nodes joined with single spaces, as a reader sees them."""
    return " ".join(" ".join(texts).split())


def node_text(node: Selector) -> str:
    return squash(node.css("::text").getall())


def paragraphs(node: Selector) -> str:
    """The blocks of a body node as paragraphs separated by blank lines."""
    texts = []
    for block in node.css(BLOCKS):
        # Skip a block nested in another block we already take (li > p).
        if block.xpath("ancestor::p | ancestor::li | ancestor::blockquote"):
            continue
        if text := node_text(block):
            texts.append(text)
    if not texts:
        return node_text(node)
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


@dataclass
class Page:
    """One fetched page as every step sees it: the parsed HTML, its meta tags, JSON-LD and article node."""

    html: str
    url: str
    sel: Selector
    ld: dict
    article: Selector  # the profile's article node, or the whole page when there is none
    fetched_at: datetime | None

    @property
    def has_article_node(self) -> bool:
        return self.article is not self.sel

    def meta(self, name: str) -> str | None:
        return self.sel.css(f'meta[property="{name}"]::attr(content), meta[name="{name}"]::attr(content)').get()

    def first(self, css: str | None) -> Selector | None:
        """The first node a selector matches on the page, if any."""
        if not css:
            return None
        nodes = self.sel.css(css)
        return nodes[0] if nodes else None

    def text(self, css: str | None) -> str:
        node = self.first(css)
        return node_text(node) if node is not None else ""

    @cached_property
    def article_text(self) -> str:
        return " ".join(self.article.css("::text").getall())


class Extractor:
    """The generic extraction steps, driven by one profile version's selectors (`self.profile`)."""

    def __init__(self, profile: Version):
        self.profile = profile

    def page(self, html: str, url: str, fetched_at: datetime | None) -> Page:
        sel = Selector(text=html)
        nodes = sel.css(self.profile.article) if self.profile.article else []
        return Page(html, url, sel, _jsonld(html, url), nodes[0] if nodes else sel, fetched_at)

    def extract(self, html: str, url: str, fetched_at: datetime | None = None) -> Article:
        page = self.page(html, url, fetched_at)
        art = Article(url=url)
        art.canonical = page.sel.css('link[rel="canonical"]::attr(href)').get() or page.meta("og:url")
        art.title = self.title(page)
        art.sapo = self.sapo(page)
        art.author = self.author(page)
        art.category = self.category(page)
        art.image = page.meta("og:image")
        art.tags = self.tags(page)
        body, art.extractor = self.body(page)
        # The sapo is often repeated as the body's first paragraph.
        if art.sapo and body.startswith(art.sapo):
            body = body[len(art.sapo):].lstrip()
        art.body = body
        art.published_at = self.published_at(page)
        art.modified_at = parse_iso(page.meta("article:modified_time")) or parse_iso(page.ld.get("dateModified"))
        art.media = [urljoin(url, u) for u in page.article.css(
            "video source::attr(src), video::attr(src), audio source::attr(src), audio::attr(src)").getall()]
        art.media += [u for u in (page.meta("og:video"), page.meta("og:audio")) if u and u not in art.media]
        transcript = page.article.css('track[kind="captions"]::attr(src), track[kind="subtitles"]::attr(src), '
                                      'a[rel="transcript"]::attr(href)').get()
        art.transcript_url = urljoin(url, transcript) if transcript else None
        art.duration_seconds = parse_duration(page.ld.get("duration")) or parse_duration(
            (re.search(r"[Tt]hời lượng:?\s*([\d:]+)", page.article_text) or [None, None])[1])
        return art

    # --- the steps a profile's class may override ----------------------------------------

    def title(self, page: Page) -> str:
        return page.text(self.profile.title) or page.meta("og:title") or page.ld.get("headline") or page.text("title")

    def sapo(self, page: Page) -> str:
        return (page.text(self.profile.sapo) or page.ld.get("description") or page.meta("description")
                or page.meta("og:description") or "")

    def author(self, page: Page) -> str | None:
        return page.text(self.profile.author) or page.ld.get("author") or page.meta("author") or None

    def category(self, page: Page) -> str | None:
        return page.text(self.profile.category) or page.meta("article:section") or None

    def tags(self, page: Page) -> list[str]:
        if self.profile.tags:
            tags = [" ".join(t.split()) for t in page.sel.css(f"{self.profile.tags}::text").getall() if t.strip()]
            if tags:
                return tags
        keywords = page.meta("keywords")
        return [t.strip() for t in keywords.split(",") if t.strip()] if keywords else []

    def body(self, page: Page) -> Body:
        """The profile's body node, else JSON-LD's articleBody, else trafilatura's guess."""
        return self.selected_body(page) or self.jsonld_body(page) or self.fallback_body(page) or NO_BODY

    def published_at(self, page: Page) -> datetime | None:
        return (parse_iso(page.meta("article:published_time"))
                or parse_iso(page.ld.get("datePublished"))
                or parse_vi_date(page.text(self.profile.date), page.fetched_at)
                or _htmldate(page))

    # --- the body's fallbacks, for overrides that add a step of their own --------------------

    def selected_body(self, page: Page) -> Body | None:
        node = page.first(self.profile.body)
        text = paragraphs(node) if node is not None else ""
        return Body(text, "profile") if text else None

    def jsonld_body(self, page: Page) -> Body | None:
        return Body(page.ld["articleBody"], "jsonld") if page.ld.get("articleBody") else None

    def fallback_body(self, page: Page) -> Body | None:
        text = trafilatura.extract(page.article.get() if page.has_article_node else page.html,
                                   include_comments=False, include_tables=False, favor_precision=True)
        return Body(text, "trafilatura") if text else None


def extract_article(html: str, url: str, profile: Profile, fetched_at: datetime | None = None) -> Article:
    """Extract a page with the profile version valid when it was fetched (see `profiles`)."""
    version = profile.version_at(fetched_at)
    return profile.extractor(version)(version).extract(html, url, fetched_at)


def _htmldate(page: Page) -> datetime | None:
    if not page.has_article_node:  # no article node: a page-wide guess would pick the header's "today"
        return None
    found = htmldate.find_date(page.article.get(), original_date=True, extensive_search=False,
                               outputformat="%Y-%m-%dT%H:%M:%S")
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
