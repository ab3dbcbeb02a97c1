"""One spider, one strategy per source kind: feeds, sitemaps, listing pages, broadcast programmes,
YouTube channels, social feeds (RSSHub/RSS-Bridge) and the Facebook Graph API.

Each source's first request is its "root": if that fails, the source's health
records it. Articles already stored are not fetched again unless the feed or
sitemap says they changed, so a re-crawl of an unchanged site downloads only
its feeds, sitemaps and listing pages.

Every value the spider needs comes from the crawl's Scrapy settings
(`crawler/config.py`), and what it counts goes to the crawl's stats
(`crawler/counts.py`): the runner reads both ends, the spider keeps no tally of its own.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import feedparser
import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap

from mediaplan.crawler import counts
from mediaplan.crawler.dates import parse_iso
from mediaplan.crawler.encoding import decode_html, looks_html
from mediaplan.crawler.extract import extract_article, transcript_text
from mediaplan.crawler.profiles import get_profile
from mediaplan.crawler.store import Fetched
from mediaplan.crawler.urls import canonical_url, site_host
from mediaplan.vocab import Channel, ItemKind, Platform, SourceKind

SOURCE_OK = object()  # signal: a source's root (feed, sitemap, first listing page) answered
SOURCE_ERROR = object()  # signal: a fetch or parse failed; root=True marks the source as failing
# The strategy of each source kind: the method that parses its root (feed, sitemap, listing, API page).
STRATEGIES: dict[SourceKind, str] = {
    SourceKind.RSS: "parse_feed",
    SourceKind.SITEMAP: "parse_sitemap",
    SourceKind.PAGE: "parse_listing",
    SourceKind.YOUTUBE: "parse_youtube",
    SourceKind.SOCIAL_FEED: "parse_social",
    SourceKind.BROADCAST: "parse_listing",
    SourceKind.FACEBOOK_GRAPH: "parse_graph",
}
AUDIO = (".mp3", ".m4a", ".aac", ".ogg")
HTML_TYPES = ("html", "xml")  # an article must be a page; PDFs, images and videos are not extracted
GRAPH_FIELDS = "id,message,created_time,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count)"


def _redact(url: str) -> str:
    """Never write an access token into health records or logs."""
    return re.sub(r"(access_token=)[^&]+", r"\1…", url)


def _news_publication_dates(body: bytes) -> dict[str, str]:
    """Google News sitemaps nest the date in <news:news>, which Scrapy's sitemap parser flattens away."""
    sel = Selector(body=body, type="xml")
    dates = {}
    for url in sel.xpath('//*[local-name()="url"]'):
        loc = url.xpath('./*[local-name()="loc"]/text()').get()
        date = url.xpath('.//*[local-name()="publication_date"]/text()').get()
        if loc and date:
            dates[loc.strip()] = date.strip()
    return dates


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    return datetime(*value[:6], tzinfo=timezone.utc)


class SourceSpider(scrapy.Spider):
    name = "mediaplan"

    def __init__(self, sources: list[dict], known: dict[str, datetime | None], **kwargs):
        super().__init__(**kwargs)
        self.sources = {s["key"]: s for s in sources}
        self.known = known
        self.queued: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_listing_pages = crawler.settings.getint("MEDIAPLAN_MAX_LISTING_PAGES")
        spider.graph_max_pages = crawler.settings.getint("MEDIAPLAN_GRAPH_MAX_PAGES")
        spider.facebook_token = crawler.settings.get("MEDIAPLAN_FACEBOOK_TOKEN")
        crawler.signals.connect(spider.on_dropped, signal=scrapy.signals.request_dropped)
        crawler.signals.connect(spider.on_scraped, signal=scrapy.signals.item_scraped)
        return spider

    def on_scraped(self, item: Fetched, **_):
        """A stored item is known from now on: a later link to its canonical URL is not fetched again."""
        self.known[item.canonical_url] = item.published_at

    def on_dropped(self, request, spider=None):
        """A redirect back to a URL already asked for is a loop; without this it would vanish silently."""
        if request.meta.get("redirect_times") and "source" in request.meta:
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            self._error(request.meta["source"], f"{_redact(first)}: redirect loop ({request.meta['redirect_times']} redirects)",
                        root=request.meta.get("role") == "root")

    # --- entry ------------------------------------------------------------------------

    async def start(self):
        for source in self.sources.values():
            callback = getattr(self, STRATEGIES[source["kind"]])
            url = source["url"]
            if source["kind"] == SourceKind.FACEBOOK_GRAPH:
                url = f"{url}?{urlencode({'fields': GRAPH_FIELDS, 'limit': 25, 'access_token': self.facebook_token})}"
            yield self._request(url, callback, source, role="root", page=1)

    def _request(self, url: str, callback, source: dict, role: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, dont_filter=role == "root",
            meta={"source": source["key"], "role": role, **meta},
        )

    def _error(self, key: str, message: str, root: bool) -> None:
        counts.count(self.crawler.stats, key, "failed")
        counts.note(self.crawler.stats, key, "errors", message)
        self.crawler.signals.send_catch_log(signal=SOURCE_ERROR, source=key, message=message, root=root)

    def _ok(self, response) -> None:
        if response.meta.get("role") == "root" and response.meta.get("page", 1) == 1:
            self.crawler.signals.send_catch_log(signal=SOURCE_OK, source=response.meta["source"])

    def on_error(self, failure):
        request = failure.request
        key = request.meta["source"]
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and "robots.txt" in str(failure.value):
            # Forbidden by robots.txt: a policy decision, not a fault.
            counts.note(self.crawler.stats, key, "skipped", f"{request.url}: {failure.value}")
            return
        value = failure.value
        status = getattr(getattr(value, "response", None), "status", None)
        reason = f"HTTP {status}" if status else f"{type(value).__name__}: {value}"
        self._error(key, f"{_redact(request.url)}: {reason}", root=request.meta.get("role") == "root")
        if request.meta.get("item") is not None:  # a transcript that failed: keep the episode without it
            yield request.meta["item"]
            return
        source = self.sources.get(key, {})
        if (status in (404, 410) and request.meta.get("role") == "root" and source.get("kind") == SourceKind.RSS
                and source.get("homepage") and not request.meta.get("discovering")):
            # The configured feed is gone: look for the site's current feeds on its home page.
            yield self._request(source["homepage"], self.parse_discover, source, role="discover", discovering=True)

    # --- article links ----------------------------------------------------------------

    def _follow_article(self, url: str, source: dict, updated: datetime | None = None, callback=None, **meta: Any):
        """Queue an article unless it is stored and not reported as changed since."""
        canon = canonical_url(url)
        if canon in self.queued:
            return None
        self.queued.add(canon)
        refetch = False
        if canon in self.known:
            stored = self.known[canon]
            if updated is None or (stored is not None and updated <= stored):
                counts.count(self.crawler.stats, source["key"], "unchanged")
                return None
            refetch = True  # the feed says it changed: a shared dupefilter must not hide it
        request = self._request(url, callback or self.parse_article, source, role="article", **meta)
        return request.replace(dont_filter=True) if refetch else request

    # --- strategies -------------------------------------------------------------------

    def _not_modified(self, response) -> bool:
        """A 304 to a conditional GET: the feed or listing has nothing new, and the source is healthy."""
        if response.status != 304:
            return False
        self._ok(response)
        return True

    def _feed(self, response, source: dict):
        """Parse a feed; a malformed one is recorded, and whatever entries it still yields are used."""
        if self._not_modified(response):
            return None
        if looks_html(response.body):  # by its bytes alone: some CMSs label real feeds text/html
            # A feed tool's error page (RSSHub, RSS-Bridge), a login wall or a moved feed: say so, not "malformed XML".
            self._error(source["key"], f"{_redact(response.url)}: trả về một trang HTML, không phải RSS/Atom", root=True)
            return None
        feed = feedparser.parse(response.body)
        if feed.bozo:
            # A broken feed is a failing source even when some entries survive; those are still used.
            self._error(source["key"], f"{response.url}: malformed feed: {feed.get('bozo_exception')}", root=True)
            return feed if feed.entries else None
        self._ok(response)
        return feed

    def parse_feed(self, response):
        source = self.sources[response.meta["source"]]
        feed = self._feed(response, source)
        if feed is None:
            return
        # A listing source is the articles its pattern names: a site-wide feed its page announces (the home feed
        # every page of a site links) yields only those, so the e-paper's source does not collect the whole site.
        pattern = (re.compile(source["article_pattern"]) if source.get("article_pattern")
                   and source["kind"] in (SourceKind.PAGE, SourceKind.BROADCAST) else None)
        callback = self.parse_episode if source["kind"] == SourceKind.BROADCAST else None
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                continue
            url = urljoin(response.url, link)
            if pattern and not pattern.search(urlsplit(url).path):
                continue
            published = _struct_time(entry.get("published_parsed"))
            updated = _struct_time(entry.get("updated_parsed"))
            req = self._follow_article(url, source, callback=callback,
                                       updated=updated if updated and updated != published else None,
                                       feed_published=published, feed_title=entry.get("title"))
            if req:
                yield req

    def _alternate_feeds(self, response) -> list[str]:
        """Feeds a page announces, other than those already configured as sources of this crawl."""
        hrefs = response.xpath('//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href').getall()
        configured = {canonical_url(s["url"]) for s in self.sources.values()}
        urls = [urljoin(response.url, h.strip()) for h in hrefs if h.strip()]
        return [u for u in urls if canonical_url(u) not in configured]

    def parse_discover(self, response):
        """Feeds announced by link[rel=alternate] on a home or section page, crawled as the source's feeds."""
        source = self.sources[response.meta["source"]]
        feeds = self._alternate_feeds(response)
        if not feeds:
            self._error(source["key"], f"{response.url}: không tìm thấy RSS/Atom (link rel=alternate)", root=False)
        for url in feeds:
            counts.note(self.crawler.stats, source["key"], "discovered", url)
            yield self._request(url, self.parse_feed, source, role="index", discovering=True)

    def parse_youtube(self, response):
        """A YouTube channel's Atom feed carries everything we keep about a video."""
        source = self.sources[response.meta["source"]]
        feed = self._feed(response, source)
        if feed is None:
            return
        for entry in feed.entries:
            video_id = entry.get("yt_videoid")
            if not video_id:
                continue
            url = f"https://www.youtube.com/watch?v={video_id}"
            thumb = (entry.get("media_thumbnail") or [{}])[0].get("url")
            stats = entry.get("media_statistics") or {}
            description = entry.get("media_description") or entry.get("summary") or ""
            yield Fetched(
                source_key=source["key"], kind=ItemKind.VIDEO, url=url, canonical_url=canonical_url(url),
                title=entry.get("title", ""), sapo="", body=description,
                author=entry.get("author"), published_at=_struct_time(entry.get("published_parsed")),
                channel=source["channel"],
                extra={"video_id": video_id, "thumbnail": thumb, "views": int(stats["views"]) if stats.get("views") else None,
                       "platform": Platform.YOUTUBE},
            )

    def parse_social(self, response):
        """RSSHub / RSS-Bridge feeds of Facebook, TikTok or Zalo pages: each entry is the post itself."""
        source = self.sources[response.meta["source"]]
        feed = self._feed(response, source)
        if feed is None:
            return
        for entry in feed.entries:
            link = entry.get("link") or entry.get("id")
            if not link:
                continue
            # RSSHub puts the post in <description>; RSS-Bridge's Atom in <content>. A video post (TikTok) carries only
            # the player there, and its caption is the title.
            html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or entry.get("description") or ""
            post = Selector(text=f"<div>{html}</div>")
            text = "\n".join(t.strip() for t in post.css("::text").getall() if t.strip())
            title = entry.get("title") or text[:120]
            extra = {"platform": source.get("platform") or Channel.SOCIAL}  # a platform left unnamed
            if tags := [t.get("term") for t in entry.get("tags", []) if t.get("term")]:
                extra["tags"] = tags
            if media := post.css("video source::attr(src), video::attr(src)").getall():
                extra["media"] = media
            yield Fetched(
                source_key=source["key"], kind=ItemKind.SOCIAL_POST, url=link, canonical_url=canonical_url(link),
                title=title, body=text or title, author=entry.get("author"),
                published_at=_struct_time(entry.get("published_parsed") or entry.get("updated_parsed")),
                channel=source["channel"], extra=extra,
            )

    def parse_graph(self, response):
        """Facebook Graph API page posts: message, created_time, permalink, shares and reactions."""
        source = self.sources[response.meta["source"]]
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self._error(source["key"], f"Graph API: phản hồi không phải JSON ({exc})", root=True)
            return
        if "error" in data:
            self._error(source["key"], f"Graph API: {data['error'].get('message', data['error'])}", root=True)
            return
        self._ok(response)
        for post in data.get("data", []):
            message = post.get("message") or ""
            link = post.get("permalink_url") or f"https://www.facebook.com/{post.get('id', '')}"
            if not message:
                continue
            first_line = message.strip().splitlines()[0]
            yield Fetched(
                source_key=source["key"], kind=ItemKind.SOCIAL_POST, url=link, canonical_url=canonical_url(link),
                title=first_line[:200], body=message, published_at=parse_iso(post.get("created_time")),
                channel=source["channel"],
                extra={"platform": Platform.FACEBOOK, "post_id": post.get("id"),
                       "shares": (post.get("shares") or {}).get("count"),
                       "reactions": ((post.get("reactions") or {}).get("summary") or {}).get("total_count"),
                       "comments": ((post.get("comments") or {}).get("summary") or {}).get("total_count")},
            )
        page = response.meta.get("page", 1)
        nxt = (data.get("paging") or {}).get("next")
        if nxt and page < self.graph_max_pages:
            yield self._request(nxt, self.parse_graph, source, role="root", page=page + 1)

    def parse_sitemap(self, response):
        source = self.sources[response.meta["source"]]
        if self._not_modified(response):
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises on a truncated sitemap
            self._error(source["key"], f"{response.url}: malformed sitemap: {exc}", root=True)
            return
        self._ok(response)
        news_dates = _news_publication_dates(body) if b"publication_date" in body else {}
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self._request(loc, self.parse_sitemap, source, role="index")
                continue
            lastmod = entry.get("lastmod")
            req = self._follow_article(loc, source, updated=parse_iso(lastmod) if lastmod else None,
                                       feed_published=parse_iso(news_dates.get(loc)))
            if req:
                yield req

    def parse_listing(self, response):
        source = self.sources[response.meta["source"]]
        profile = get_profile(source.get("profile"))
        pattern = re.compile(source["article_pattern"]) if source.get("article_pattern") else None
        if self._not_modified(response):
            return
        self._ok(response)
        host = site_host(response.url)
        if response.meta.get("page", 1) == 1:
            for url in self._alternate_feeds(response):
                yield self._request(url, self.parse_feed, source, role="index", discovering=True)
        for href in response.css("a::attr(href)").getall():
            url = urljoin(response.url, href.strip())
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or site_host(url) != host:
                continue
            if (pattern and pattern.search(parts.path)) or (not pattern and profile.is_article_url(parts.path)):
                episode = source["kind"] == SourceKind.BROADCAST
                req = self._follow_article(url, source, callback=self.parse_episode if episode else None)
                if req:
                    yield req
        page = response.meta.get("page", 1)
        next_css = source.get("next_page")
        if next_css and page < self.max_listing_pages:
            nxt = response.css(f"{next_css}").xpath("@href").get()
            if nxt:
                yield self._request(urljoin(response.url, nxt), self.parse_listing, source, role="root", page=page + 1)

    def parse_episode(self, response):
        """A programme episode (TV or radio): air time, duration, media URL, and its transcript when linked."""
        source = self.sources[response.meta["source"]]
        html, _ = decode_html(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        art = extract_article(html, response.url, get_profile(source.get("profile")), datetime.now(timezone.utc))
        if not art.title:
            self._error(source["key"], f"{response.url}: no episode title found", root=False)
            return
        audio_only = bool(art.media) and all(urlsplit(m).path.lower().endswith(AUDIO) for m in art.media)
        if not art.media:  # kept, on the source's channel; the note says why the channel was not told from the media
            counts.note(self.crawler.stats, source["key"], "errors",
                        f"{response.url}: kỳ phát sóng không có tệp video/âm thanh; kênh lấy theo nguồn ({source['channel']})")
        item = Fetched(
            source_key=source["key"], kind=ItemKind.BROADCAST, url=response.url,
            canonical_url=canonical_url(response.url, art.canonical), title=art.title, sapo=art.sapo, body=art.body,
            author=art.author, category=art.category, published_at=art.published_at,
            channel=Channel.RADIO if audio_only else (Channel.TV if art.media else source["channel"]),
            extra={"program": art.category, "duration_seconds": art.duration_seconds, "media": art.media,
                   "air_time": art.published_at.isoformat() if art.published_at else None, "extractor": art.extractor},
            raw=response.body,
        )
        if art.transcript_url:
            yield self._request(art.transcript_url, self.parse_transcript, source, role="transcript", item=item,
                                transcript_lang=art.transcript_lang)
        else:
            yield item

    def parse_transcript(self, response):
        """Captions or a transcript file: its text joins the episode's body so the words can be classified."""
        item: Fetched = response.meta["item"]
        raw = response.body.decode(response.encoding if hasattr(response, "encoding") else "utf-8", errors="replace")
        text = "" if looks_html(response.body) else transcript_text(raw)  # an error page is not a transcript
        if text:
            item.body = f"{item.body}\n\n{text}".strip()
            item.extra = {**(item.extra or {}), "transcript": response.url}
            if lang := response.meta.get("transcript_lang"):
                item.extra["transcript_lang"] = lang
        else:  # the episode is kept without it
            counts.note(self.crawler.stats, response.meta["source"], "errors",
                        f"{response.url}: phụ đề/lời thoại rỗng hoặc sai định dạng")
        yield item

    def parse_article(self, response):
        source = self.sources[response.meta["source"]]
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not hasattr(response, "text") or (content_type and not any(t in content_type.lower() for t in HTML_TYPES)):
            self._error(source["key"], f"{response.url}: not an HTML page ({content_type})", root=False)
            return
        fetched_at = datetime.now(timezone.utc)
        html, encoding = decode_html(response.body, content_type)
        art = extract_article(html, response.url, get_profile(source.get("profile")), fetched_at)
        if not art.title or not (art.body or art.sapo):
            self._error(source["key"], f"{response.url}: no article title or body found", root=False)
            return
        extra = {"extractor": art.extractor}
        if encoding not in ("utf-8", "ascii"):
            extra["encoding"] = encoding
        if art.image:
            extra["image"] = art.image
        if art.media:
            extra["media"] = art.media
        if art.tags:
            extra["tags"] = art.tags
        yield Fetched(
            source_key=source["key"], kind=ItemKind.ARTICLE, url=response.url,
            canonical_url=canonical_url(response.url, art.canonical),
            title=art.title, sapo=art.sapo, body=art.body, author=art.author, category=art.category,
            published_at=art.published_at or response.meta.get("feed_published"),
            channel=source["channel"], extra=extra, raw=response.body,
        )

