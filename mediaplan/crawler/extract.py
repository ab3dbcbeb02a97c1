"""Turn an article page into fields: profile selectors first, then JSON-LD/OpenGraph, then trafilatura.

`Extractor` holds the generic steps, one method per field (title, sapo, author,
category, tags, body, published_at). A profile whose site needs more than
selectors names a subclass in `profiles/<key>.py` that overrides single steps;
everything else stays generic.

Dates are looked for inside the article node only: every news site prints
"today" in its header, and generic date finders pick that up (field notes).

The generic path (no profile) was measured on 258 real pages of about 250
outlets (`python -m mediaplan.crawler.evaluate`); its rules are general, never
per outlet: the title is the candidate the page's own metadata agree on, and
the body leaves out whatever the markup itself labels as comments, related
links, newsletter boxes, author cards or share bars.

A page is parsed once: the lxml tree behind `Page.sel` is what the JSON-LD
reader, the title and body steps and trafilatura all work on.
"""

from __future__ import annotations

import html as htmllib
from copy import deepcopy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple
import unicodedata
from urllib.parse import urljoin, urlsplit

import htmldate
import trafilatura
from parsel import Selector

from mediaplan.crawler.dates import has_zone, parse_iso, parse_vi_date
from mediaplan.crawler.profiles import GENERIC, Profile, Version

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
    transcript_lang: str | None = None  # the caption track's srclang ("vi"), when the page names it
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


ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|LiveBlogPosting|VideoObject|Report)$")


def _ld_nodes(value):
    """Every object of a JSON-LD document: top level, @graph members and lists, depth first."""
    if isinstance(value, list):
        for item in value:
            yield from _ld_nodes(item)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if isinstance(value.get(key), (list, dict)):
                yield from _ld_nodes(value[key])


def _ld_names(author) -> str | None:
    """Author names of a JSON-LD node; organisations are the outlet, not a byline."""
    names: list[str] = []

    def walk(a) -> None:
        if isinstance(a, list):
            for x in a:
                walk(x)
        elif isinstance(a, dict):
            kind = a.get("@type")
            if kind == "Organization" or (isinstance(kind, list) and "Organization" in kind):
                return
            walk(a.get("name"))
        elif isinstance(a, str) and a.strip():
            names.append(" ".join(htmllib.unescape(a).split()))

    walk(author)
    return ", ".join(dict.fromkeys(names)) or None


def _jsonld(sel: Selector) -> dict:
    """The first article object's fields from the page's JSON-LD scripts (read from the one parsed tree)."""
    found: dict = {}
    for raw in sel.xpath('//script[contains(@type, "ld+json")]/text()').getall():
        try:
            data = json.loads(raw.strip().rstrip(";"), strict=False)
        except ValueError:  # a broken script is skipped, like a browser would
            continue
        for node in _ld_nodes(data):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(isinstance(k, str) and ARTICLE_TYPES.search(k) for k in kinds):
                continue
            for key in ("headline", "name"):
                if isinstance(node.get(key), str) and node[key].strip():
                    found.setdefault("headline", " ".join(htmllib.unescape(node[key]).split()))
                    break
            for key, source in (("description", "description"), ("datePublished", "datePublished"),
                                ("datePublished", "uploadDate"), ("dateModified", "dateModified"),
                                ("articleBody", "articleBody"), ("duration", "duration")):
                if isinstance(node.get(source), str) and node[source].strip():
                    found.setdefault(key, node[source])
            if "author" not in found and (names := _ld_names(node.get("author"))):
                found["author"] = names
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
    def lead_text(self) -> str:
        """The text of the page's paragraphs, where a printed lead (sapo) sits; not menus, meta tags or scripts."""
        return plain(" ".join(self.sel.xpath("//p//text()").getall()))

    @cached_property
    def article_text(self) -> str:
        return " ".join(self.article.css("::text").getall())


# --- generic rules, true of news markup in general (measured on 258 pages of ~250 outlets) -----------

# What the markup itself labels as not the story: words in class, id, role, aria-label or data-* names.
BOILERPLATE_WORDS = ("comment", "related", "newsletter", "subscribe", "signup", "sign-up", "author-bio", "authorbio",
                     "author-box", "author-card", "author-info", "about-author", "share", "social", "recommend",
                     "read-more", "readmore", "more-stories", "outbrain", "taboola", "breadcrumb", "promo")
_BOILERPLATE = re.compile("|".join(re.escape(w) for w in BOILERPLATE_WORDS))
_LABEL_ATTRS = ("class", "id", "role", "aria-label", "data-component", "data-testid")
_FRAME = {"html", "body", "main", "article"}  # never the page's frame: "article has-comments" is still the article
_LOWER = ("translate(concat(' ', @class, ' ', @id, ' ', @role, ' ', @aria-label), "
          "'ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 'abcdefghijklmnopqrstuvwxyz-')")


def is_boilerplate(el) -> bool:
    """An element whose own labels say it is not the story (and that does not hold the headline)."""
    if not isinstance(el.tag, str) or el.tag in _FRAME:
        return False
    labels = " ".join(el.get(a, "") for a in _LABEL_ATTRS).lower().replace("_", "-")
    return bool(labels.strip()) and bool(_BOILERPLATE.search(labels)) and el.find(".//h1") is None


def pruned(root):
    """A copy of `root` without boilerplate elements: one walk in Python (an XPath with translate() on every
    node cost trafilatura five times its own time). The shared tree is left whole for the other steps."""
    root = deepcopy(root)
    found = [el for el in root.iter() if is_boilerplate(el)]
    if not found:
        return root
    def prose(node) -> int:
        return sum(len(p.text_content()) for p in node.iter("p"))

    whole = prose(root)
    for el in found:
        if el.getparent() is None or any(is_boilerplate(a) for a in el.iterancestors()):
            continue
        # A "share"/"related" label on a wrapper of much of the page's prose is a template's name
        # ("post-share-container" around the story), not a box beside the story.
        if prose(el) * 3 > whole:
            continue
        el.drop_tree()
    return root


# An <h1> that is navigation: inside <nav> or a breadcrumb, or itself (or its parent) the site's logo/name.
_NOT_HEADLINE = ("ancestor-or-self::*[self::nav or contains({0}, 'breadcrumb')] "
                 "| self::*[contains({0}, 'logo') or contains({0}, 'site-title') or contains({0}, 'site-name')] "
                 "| parent::*[contains({0}, 'logo') or contains({0}, 'site-title') or contains({0}, 'site-name')]"
                 ).format(_LOWER)
_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]{1,2}\s+")


def plain(text: str | None) -> str:
    """One line of text as a reader sees it: entities decoded, NFC, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", htmllib.unescape(text or "")).split())


def inline_text(node) -> str:
    """The text of a headline node; inline tags add no space ("LTE-Patent<span>:</span>" is "LTE-Patent:")."""
    return plain("".join(node.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()))


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def strip_site(title: str, page: "Page") -> str:
    """A meta title without its " | Site name" tail (or head), when that part names the site."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    host = _alnum(urlsplit(page.url).hostname or "")
    site = _alnum(plain(page.meta("og:site_name") or page.meta("application-name") or ""))

    def is_site(part: str) -> bool:
        key = _alnum(part)
        return bool(key) and (key == site or (len(key) >= 3 and key in host) or (bool(site) and key in site))

    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    kept = title
    # Rebuild from the original string so the separators inside the headline stay as printed.
    first, last = parts[0], parts[-1]
    start, end = kept.find(first), kept.rfind(last) + len(last)
    return kept[start:end].strip() if start >= 0 and end > start else title


_BY = re.compile(r"^(by|von|par|por|av|door|di|da|autor(in)?|author|tác giả|bài|written by)\s*:?\s+", re.I)
_NOT_NAME = re.compile(r"@|://|^\W|\d{3}")


def names_only(value: str | None) -> str | None:
    """A byline as names: a leading "By"/"Von" cut; an e-mail, a URL or a slug ("chuck-ross") is not a name."""
    kept = []
    for part in re.split(r"\s*,\s*", plain(value)):
        part = _BY.sub("", part).strip(" |·•-")
        if not part or _NOT_NAME.search(part) or len(part) > 60 or (" " not in part and "-" in part and part.islower()):
            continue
        kept.append(part)
    return ", ".join(kept) or None


def find_author(page: "Page") -> str | None:
    """The byline from JSON-LD, then meta tags, then microdata, a rel=author link, or a byline element."""
    for value in (page.ld.get("author"), page.meta("author"), page.meta("article:author"), page.meta("dc.creator"),
                  page.meta("parsely-author"), page.meta("sailthru.author")):
        if found := names_only(value):
            return found
    for xpath in ('//*[@itemprop="author"]//*[@itemprop="name"]', '//*[@itemprop="author"]', '//a[@rel="author"]',
                  '//*[contains(@class, "byline") or contains(@class, "author-name")]'):
        texts = [inline_text(n) for n in page.sel.xpath(xpath)[:5]]
        texts = [t for t in (names_only(t) for t in texts if 0 < len(t) <= 80) if t and len(t.split()) <= 8]
        if texts:
            return ", ".join(dict.fromkeys(texts))
    return None


def choose_title(page: "Page") -> str:
    """The headline: the <h1> the page's metadata agree with, else the meta title most of them agree on.

    Candidates vote: JSON-LD headline, og:title, twitter:title and <title>, each
    with its site-name tail cut, compared on letters and digits only (an inline
    tag or a typographic quote does not split a vote). An <h1> equal to a meta
    title scores 2, one a meta title contains scores 1; the best-scored <h1>
    wins, the first on ties. The winner is written as a meta title equal to it
    writes it when there is one (it keeps the "Kicker: " separator that a styled
    <h1> only shows with CSS); else as a meta title that is the <h1> with a
    kicker in front writes it (the kicker kept: measured, it is more often part
    of the headline than not). An <h1> in navigation, a breadcrumb or a logo is
    never a candidate: many templates put the section or the site's name in an
    <h1> above the story. With no <h1> agreeing, structured metadata beats the
    first <h1> (measured: it is the headline more often on unknown outlets).
    """
    metas = [plain(v) for v in (page.ld.get("headline"), page.meta("og:title"), page.meta("twitter:title"),
                                page.sel.xpath("//title/text()").get()) if v and plain(v)]
    metas = [strip_site(m, page) for m in metas]
    keys = [_alnum(m) for m in metas]
    best, best_score, first = "", 0, ""
    for node in page.sel.xpath("//h1"):
        if node.xpath(_NOT_HEADLINE):
            continue
        text = inline_text(node)
        key = _alnum(text)
        if not key:
            continue
        first = first or text
        score, same, kicked = 0, None, None
        for meta, meta_key in zip(metas, keys):
            if meta_key == key:
                score, same = score + 2, same or meta
            elif key in meta_key:
                score += 1
                if meta_key.endswith(key):  # "Kicker: headline" in the meta, the headline alone in the <h1>
                    kicked = kicked or meta
        if score > best_score:
            best, best_score = same or kicked or text, score
    if best:
        return best
    if metas:
        return max(metas, key=lambda m: sum(m == o for o in metas))
    return first


def generic_sapo(sapo: str, body: str, page: "Page") -> tuple[str, str]:
    """The sapo and body of a page read without a profile, where the sapo is only the meta description.

    The description is often the lead cut short ("…"): then the lead paragraph
    itself is the sapo. A description printed elsewhere in the body stays there
    only (not twice); one the page never prints is search-engine copy, not the
    story's lead, and is dropped.
    """
    key = _alnum(sapo.rstrip(" .…"))
    first, _, rest = body.partition("\n\n")
    first_key = _alnum(first)
    if key and first_key and (first_key.startswith(key) or key.startswith(first_key)):
        return first, rest
    if not key or key in _alnum(body) or plain(sapo) not in page.lead_text:
        return "", body
    return sapo, body


class Extractor:
    """The generic extraction steps, driven by one profile version's selectors (`self.profile`)."""

    def __init__(self, profile: Version):
        self.profile = profile
        # No profile: its selectors ("h1", the first <article>) are guesses that the generic rules below beat
        # on unknown outlets (a teaser <article> or a section <h1> comes first on many pages).
        self.generic = profile is GENERIC.versions[0]

    def page(self, html: str, url: str, fetched_at: datetime | None) -> Page:
        sel = Selector(text=html)  # the one parse of the page
        nodes = sel.css(self.profile.article) if self.profile.article else []
        return Page(html, url, sel, _jsonld(sel), nodes[0] if nodes else sel, fetched_at)

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
        # The headline, then the sapo, are often repeated as the body's first paragraphs.
        first, _, rest = body.partition("\n\n")
        if art.title and plain(first) == plain(art.title):
            body = rest
        # The sapo is often repeated as the body's first paragraph.
        if art.sapo and body.startswith(art.sapo):
            body = body[len(art.sapo):].lstrip()
        if self.generic and art.sapo:
            art.sapo, body = generic_sapo(art.sapo, body, page)
        art.body = body
        art.published_at = self.published_at(page)
        art.modified_at = parse_iso(page.meta("article:modified_time")) or parse_iso(page.ld.get("dateModified"))
        art.media = [urljoin(url, u) for u in page.article.css(
            "video source::attr(src), video::attr(src), audio source::attr(src), audio::attr(src)").getall()]
        art.media += [u for u in (page.meta("og:video"), page.meta("og:audio")) if u and u not in art.media]
        transcript = page.article.css('track[kind="captions"]::attr(src), track[kind="subtitles"]::attr(src), '
                                      'a[rel="transcript"]::attr(href)').get()
        art.transcript_url = urljoin(url, transcript) if transcript else None
        art.transcript_lang = page.article.css('track[kind="captions"]::attr(srclang), track[kind="subtitles"]::attr(srclang)').get()
        art.duration_seconds = parse_duration(page.ld.get("duration")) or parse_duration(
            (re.search(r"[Tt]hời lượng:?\s*([\d:]+)", page.article_text) or [None, None])[1])
        return art

    # --- the steps a profile's class may override ----------------------------------------

    def title(self, page: Page) -> str:
        return (not self.generic and page.text(self.profile.title)) or choose_title(page)

    def sapo(self, page: Page) -> str:
        return (page.text(self.profile.sapo) or page.ld.get("description") or page.meta("description")
                or page.meta("og:description") or "")

    def author(self, page: Page) -> str | None:
        if not self.generic:
            return page.text(self.profile.author) or page.ld.get("author") or page.meta("author") or None
        return find_author(page)

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
        """The profile's body node, else JSON-LD's articleBody, else trafilatura's guess.

        With no profile, JSON-LD's articleBody is often a teaser (paywalls, "read more" pages), so the longer
        of it and trafilatura's text is kept.
        """
        if self.generic:
            found, ld = self.fallback_body(page), self.jsonld_body(page)
            if ld and (found is None or len(found.text) * 2 < len(ld.text)):
                return ld
            return found or ld or NO_BODY
        return self.selected_body(page) or self.jsonld_body(page) or self.fallback_body(page) or NO_BODY

    def published_at(self, page: Page) -> datetime | None:
        """A machine date first, one that states its zone before a naive one (the outlet's zone is unknown
        without a profile: a naive time is read as Vietnamese time); then the printed date line; then htmldate."""
        raw = [page.meta("article:published_time"), page.ld.get("datePublished")]
        if self.generic:
            raw += machine_dates(page)
        raw = [r for r in raw if r]
        for value in [r for r in raw if has_zone(r)] + raw:
            if found := parse_iso(value):
                return found
        return parse_vi_date(page.text(self.profile.date), page.fetched_at) or _htmldate(page, self.generic)

    # --- the body's fallbacks, for overrides that add a step of their own --------------------

    def selected_body(self, page: Page) -> Body | None:
        node = page.first(self.profile.body)
        text = paragraphs(node) if node is not None else ""
        return Body(text, "profile") if text else None

    def jsonld_body(self, page: Page) -> Body | None:
        return Body(page.ld["articleBody"], "jsonld") if page.ld.get("articleBody") else None

    def fallback_body(self, page: Page) -> Body | None:
        """trafilatura on the parsed tree (it works on its own copy), boilerplate the markup labels pruned first."""
        # No profile: trafilatura finds the story better than a guessed node, with its balanced default (its
        # precision mode returned nothing on 1 real page in 6). A profile's page is read in precision mode: when
        # the profile's article node is missing, the page is most likely not an article (an error page).
        node = page.sel if self.generic else page.article
        text = trafilatura.extract(pruned(node.root), include_comments=False, include_tables=False,
                                   favor_precision=not self.generic)
        # One paragraph a line from trafilatura; blank lines between paragraphs, as every other step gives.
        text = "\n\n".join(line.strip() for line in (text or "").splitlines() if line.strip())
        return Body(text, "trafilatura") if text else None


def extract_article(html: str, url: str, profile: Profile, fetched_at: datetime | None = None) -> Article:
    """Extract a page with the profile version valid when it was fetched (see `profiles`)."""
    version = profile.version_at(fetched_at)
    return profile.extractor(version)(version).extract(html, url, fetched_at)


# Other machine-readable publication dates that CMSs print (Dublin Core, Parse.ly, Sailthru, microdata).
DATE_METAS = ("pubdate", "publishdate", "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created",
              "parsely-pub-date", "sailthru.date", "og:published_time", "article:published")


def machine_dates(page: Page) -> list[str]:
    """The other publication dates a page states for machines, in the order they are trusted."""
    found = [page.meta(name) for name in DATE_METAS]
    found += page.sel.xpath('//*[@itemprop="datePublished"]/@content | //*[@itemprop="datePublished"]/@datetime').getall()
    return [f for f in found if f]


def _htmldate(page: Page, whole_page: bool = False) -> datetime | None:
    """htmldate on the profile's article node; with no profile, on the whole page (its head's meta tags are
    the best source) but from markup only: a free-text search would pick up the header's "today"."""
    if whole_page:
        found = htmldate.find_date(page.sel.root, url=page.url, original_date=True, extensive_search=False,
                                   outputformat="%Y-%m-%dT%H:%M:%S")
    elif page.has_article_node:
        found = htmldate.find_date(page.article.root, original_date=True, extensive_search=False,
                                   outputformat="%Y-%m-%dT%H:%M:%S")
    else:  # a profile's page without its article node: a page-wide guess would pick the header's "today"
        return None
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
