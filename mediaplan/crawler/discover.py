"""Finding a portal's feeds, sitemaps and news listing from its home page (`mediaplan sources discover`).

What is read, in this order, all over real HTTP (the snapshot server stands in for the real hosts when
`MEDIAPLAN_SNAPSHOT_URL` or `--snapshot` is set, exactly as `SnapshotRoute` does for a crawl):

- robots.txt: its `Sitemap:` lines (or, when it names none, `/sitemap.xml` if that is a sitemap), and its rules,
  obeyed for every other page read here;
- the home page: `<link rel="alternate" type="application/rss+xml|atom+xml">`, and the markup of the portal
  platform it runs on (`PLATFORMS`: DotNetNuke → profile gov-portal, Liferay → profile liferay-portal);
- the platform's news listing (linked from the home page, or at the platform's usual address), kept only when it
  links articles the profile recognises; its own rel=alternate feeds are taken too;
- each feed and sitemap found, kept only when it is one (an HTML page where a feed was expected is a note).

Nothing here touches the database: `services.discovery` decides which units, leaves out the URLs already known
and stores the outcome. An unreachable portal (refused, timeout, 5xx, robots.txt forbidding the home page) is a
`Discovery.error`, one Vietnamese line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
import requests
from parsel import Selector
from protego import Protego

from mediaplan.crawler.encoding import decode_html, looks_html
from mediaplan.crawler.urls import canonical_url, site_host


@dataclass(frozen=True)
class Platform:
    """A portal platform: how its home page gives it away, where its news listing is, and its profile."""

    profile: str
    name: str
    markers: tuple[str, ...]  # regular expressions over the home page's HTML; two or more hits recognise it
    listing: re.Pattern  # the path of the news listing, as linked from the home page
    usual_listing: str  # where the listing is when the home page does not link it
    article: re.Pattern  # article paths (the profile's article_url_patterns)
    next_page: str  # the listing's "next page" link (CSS)


PLATFORMS = (
    Platform("gov-portal", "DotNetNuke",
             (r"/Portals/_default/", r"/Portals/\d+/", r"/DesktopModules/", r"\bdnn_", r"DotNetNuke"),
             re.compile(r"^/tin-tuc/?$"), "/tin-tuc/", re.compile(r"/tin-tuc/[a-z0-9-]+-\d+\.html$"),
             "a.next, a[rel=next]"),
    Platform("liferay-portal", "Liferay",
             (r"Liferay\.", r"/o/portal-theme/|/o/frontend-js", r"asset_publisher", r"portlet-boundary", r"lfr-"),
             re.compile(r"^/web/[a-z0-9_-]+/tin-tuc/?$"), "/web/guest/tin-tuc",
             re.compile(r"/-/asset_publisher/[A-Za-z0-9_]+/content/[a-z0-9-]+/?$"),
             ".lfr-pagination-buttons a[rel=next], .pager li.next a"),
)
FEED_TYPES = ("application/rss+xml", "application/atom+xml")


@dataclass
class Proposal:
    """A source the portal offers: `kind` is a SourceKind code (rss, sitemap, page)."""

    kind: str
    url: str
    found: str  # how it was found, in Vietnamese
    profile: str | None = None
    article_pattern: str | None = None
    next_page: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Discovery:
    """What one portal offers; `error` set when it could not be read at all."""

    homepage: str
    platform: str | None = None  # the profile key of the platform recognised
    proposals: list[Proposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # candidates left out, and why
    error: str | None = None


class FetchError(Exception):
    """A page that could not be read; the message is one Vietnamese line."""


# --- pure parsing ------------------------------------------------------------------------------------------


def same_url(url: str) -> str:
    """The identity two addresses share when they name the same resource: the crawler's canonical URL (courlan;
    http/https, www./m. and default ports folded) without a trailing slash."""
    canonical = canonical_url(url.strip())
    parts = urlsplit(canonical)
    return canonical.rstrip("/") if not parts.query else canonical


def detect_platform(html: str) -> Platform | None:
    """The platform whose markers appear on the page (at least two of them), the one with most hits first."""
    scored = [(sum(bool(re.search(m, html)) for m in p.markers), p) for p in PLATFORMS]
    scored = [(n, p) for n, p in scored if n >= 2]
    return max(scored, key=lambda s: s[0])[1] if scored else None


def alternate_feeds(html: str, base: str) -> list[str]:
    """The RSS/Atom feeds a page announces with link rel=alternate, absolute, in page order, once each."""
    sel = Selector(text=html)
    urls: list[str] = []
    for link in sel.xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        href = link.attrib["href"].strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = urljoin(base, href)
            if url.startswith(("http://", "https://")) and url not in urls:
                urls.append(url)
    return urls


def robots_sitemaps(robots_txt: str, base: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, absolute, once each."""
    urls: list[str] = []
    for line in robots_txt.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            url = urljoin(base, value.strip())
            if url.startswith(("http://", "https://")) and url not in urls:
                urls.append(url)
    return urls


def listing_links(html: str, base: str, platform: Platform) -> list[str]:
    """Links of the page, on its own site, to the platform's news listing."""
    host = site_host(base)
    urls: list[str] = []
    for href in Selector(text=html).css("a::attr(href)").getall():
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and site_host(url) == host and platform.listing.match(parts.path) \
                and not parts.query and url.split("#")[0] not in urls:
            urls.append(url.split("#")[0])
    return urls


def article_links(html: str, base: str, platform: Platform) -> int:
    """How many distinct links of a listing page the platform's profile takes for articles."""
    host = site_host(base)
    found = set()
    for href in Selector(text=html).css("a::attr(href)").getall():
        url = urljoin(base, href.strip())
        if site_host(url) == host and platform.article.search(urlsplit(url).path):
            found.add(url)
    return len(found)


def feed_problem(url: str, body: bytes, content_type: str) -> str | None:
    """Why this answer is not an RSS/Atom feed, or None when it is one."""
    if looks_html(body, content_type):
        return f"{url}: là trang HTML, không phải RSS/Atom"
    parsed = feedparser.parse(body)
    if not parsed.get("version"):
        return f"{url}: không đọc được như RSS/Atom"
    return None


def sitemap_problem(url: str, body: bytes, content_type: str) -> str | None:
    """Why this answer is not an XML sitemap (or sitemap index), or None when it is one."""
    if body[:2] == b"\x1f\x8b":  # a gzipped sitemap (sitemap.xml.gz): the crawler reads those
        return None
    if looks_html(body, content_type):
        return f"{url}: là trang HTML, không phải sitemap"
    if not re.search(rb"<(?:\w+:)?(?:urlset|sitemapindex)\b", body[:4096]):
        return f"{url}: không phải sitemap XML"
    return None


# --- fetching ----------------------------------------------------------------------------------------------


class Fetcher:
    """GET over HTTP with the project's User-Agent, a timeout and a size cap, through the snapshot server when
    one is set. Hosts that are IP addresses or `localhost` are never routed: they are not real outlets."""

    def __init__(self, user_agent: str, timeout: float = 30.0, snapshot_url: str | None = None,
                 max_bytes: int = 10 * 1024 * 1024):
        self.snapshot = (snapshot_url or "").rstrip("/") or None
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.session = requests.Session()
        # As Scrapy sends it: UTF-8 bytes (the project's User-Agent says what it is for, in Vietnamese).
        self.session.headers.update({"User-Agent": user_agent.encode("utf-8"),
                                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        self.user_agent = user_agent

    def close(self) -> None:
        self.session.close()

    def route(self, url: str) -> str:
        parts = urlsplit(url)
        if not self.snapshot or url.startswith(self.snapshot) or _not_routed(parts.hostname or ""):
            return url
        routed = f"{self.snapshot}/{parts.netloc}{parts.path or '/'}"
        return f"{routed}?{parts.query}" if parts.query else routed

    def get(self, url: str) -> tuple[int, bytes, str, str]:
        """(status, body, content type, final URL as the real site names it); FetchError when nothing answered."""
        host = urlsplit(url).netloc
        try:
            with self.session.get(self.route(url), timeout=self.timeout, stream=True,
                                  allow_redirects=not self.snapshot) as answer:
                body = b""
                for chunk in answer.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: lớn quá {self.max_bytes // (1024 * 1024)} MB")
                final = url if self.snapshot else answer.url
                return answer.status_code, body, answer.headers.get("Content-Type", ""), final
        except requests.exceptions.Timeout:
            raise FetchError(f"{host} không trả lời trong {self.timeout:g} giây") from None
        except requests.exceptions.SSLError:
            raise FetchError(f"{host}: lỗi chứng chỉ TLS") from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc).lower()
            why = ("từ chối kết nối" if "refused" in text else
                   "không phân giải được tên miền" if "resolve" in text or "name or service" in text
                   else "mất kết nối")
            raise FetchError(f"không kết nối được tới {host} ({why})") from None
        except requests.exceptions.RequestException as exc:
            raise FetchError(f"{url}: {type(exc).__name__}") from None


def _not_routed(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def discover_portal(homepage: str, fetcher: Fetcher, profile_hint: str | None = None) -> Discovery:
    """Read one portal and say which feeds, sitemaps and listing it offers (nothing else is fetched).

    `profile_hint` is the outlet's profile when the plan names one: it stands for the platform when the home
    page's markup does not give it away.
    """
    found = Discovery(homepage)
    parts = urlsplit(homepage)
    root = f"{parts.scheme}://{parts.netloc}/"
    # robots.txt: missing (4xx) means everything is allowed; a 5xx means the site is failing, as for a crawler.
    try:
        status, body, _, _ = fetcher.get(urljoin(root, "/robots.txt"))
    except FetchError as exc:
        found.error = str(exc)
        return found
    if status >= 500:
        found.error = f"{urljoin(root, '/robots.txt')} trả về HTTP {status}"
        return found
    robots_txt = decode_html(body)[0] if status == 200 else ""
    rules = Protego.parse(robots_txt)

    def allowed(url: str) -> bool:
        return rules.can_fetch(url, fetcher.user_agent)

    def read(url: str) -> tuple[int, bytes, str, str] | None:
        """A page other than robots.txt, if robots.txt allows it; a note otherwise."""
        if not allowed(url):
            found.notes.append(f"{url}: robots.txt không cho phép đọc")
            return None
        try:
            return fetcher.get(url)
        except FetchError as exc:
            found.notes.append(str(exc))
            return None

    if not allowed(homepage):
        found.error = f"robots.txt của {parts.netloc} không cho phép đọc trang chủ"
        return found
    try:
        status, body, content_type, base = fetcher.get(homepage)
    except FetchError as exc:
        found.error = str(exc)
        return found
    if status != 200:
        found.error = f"trang chủ {homepage} trả về HTTP {status}"
        return found
    html = decode_html(body, content_type)[0]
    platform = detect_platform(html) or next((p for p in PLATFORMS if p.profile == profile_hint), None)
    found.platform = platform.profile if platform else None
    profile = found.platform or profile_hint

    seen: set[str] = set()

    def propose(proposal: Proposal) -> None:
        key = same_url(proposal.url)
        if key not in seen:
            seen.add(key)
            found.proposals.append(proposal)

    candidates: list[tuple[str, str, str]] = []  # (kind, url, how found)
    candidates += [("rss", u, "link rel=alternate trên trang chủ") for u in alternate_feeds(html, base)]
    named = robots_sitemaps(robots_txt, root)
    candidates += [("sitemap", u, "dòng Sitemap: trong robots.txt") for u in named]
    guessed = urljoin(root, "/sitemap.xml") if not named else None  # where most CMSs serve it when robots.txt is silent
    if guessed:
        candidates.append(("sitemap", guessed, "địa chỉ sitemap thường gặp (/sitemap.xml); robots.txt không nêu"))
    if platform:
        linked = listing_links(html, base, platform)
        listings = [(u, f"chuyên mục tin tức của nền tảng {platform.name}, liên kết trên trang chủ") for u in linked]
        if not linked:
            listings = [(urljoin(root, platform.usual_listing),
                         f"địa chỉ chuyên mục tin tức thường gặp của nền tảng {platform.name}")]
        for url, how in listings:
            if same_url(url) in seen:
                continue
            answer = read(url)
            if answer is None:
                continue
            l_status, l_body, l_type, l_base = answer
            if l_status != 200:
                found.notes.append(f"{url}: trả về HTTP {l_status}")
                continue
            if not looks_html(l_body, l_type):
                found.notes.append(f"{url}: không phải trang HTML")
                continue
            l_html = decode_html(l_body, l_type)[0]
            if not article_links(l_html, l_base, platform):
                found.notes.append(f"{url}: không có liên kết bài viết nào theo mẫu của hồ sơ {platform.profile}")
                continue
            propose(Proposal("page", url, how, platform.profile, platform.article.pattern, platform.next_page))
            candidates += [("rss", u, "link rel=alternate trên trang chuyên mục") for u in alternate_feeds(l_html, l_base)]
    for kind, url, how in candidates:
        if same_url(url) in seen:
            continue
        answer = read(url)
        if answer is None:
            continue
        c_status, c_body, c_type, _ = answer
        if c_status in (404, 410) and url == guessed:
            continue  # a guess that is not there is no finding
        if c_status != 200:
            found.notes.append(f"{url}: trả về HTTP {c_status}")
            continue
        problem = (feed_problem if kind == "rss" else sitemap_problem)(url, c_body, c_type)
        if problem:
            found.notes.append(problem)
            continue
        propose(Proposal(kind, url, how, profile))
    found.proposals.sort(key=lambda p: ("rss", "sitemap", "page").index(p.kind))  # feeds first, then the rest
    return found
