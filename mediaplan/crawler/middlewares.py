"""Downloader middlewares.

SnapshotRoute sends requests for the real outlets to a local snapshot server
(`MEDIAPLAN_SNAPSHOT_URL`), over real HTTP, and hands the response back under the
real URL: spiders, robots.txt rules and canonical URLs behave exactly as online.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request


class SnapshotRoute:
    def __init__(self, crawler):
        self.crawler = crawler
        self.base = (crawler.settings.get("MEDIAPLAN_SNAPSHOT_URL") or "").rstrip("/")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def route(self, url: str) -> str:
        parts = urlsplit(url)
        routed = f"{self.base}/{parts.netloc}{parts.path or '/'}"
        return f"{routed}?{parts.query}" if parts.query else routed

    async def process_request(self, request: Request):
        if not self.base or request.meta.get("snapshot_routed") or request.url.startswith(self.base):
            return None
        routed = request.replace(
            url=self.route(request.url),
            meta={**request.meta, "snapshot_routed": True, "dont_obey_robotstxt": True},
            dont_filter=True,
        )
        response = await self.crawler.engine.download_async(routed)
        return response.replace(url=request.url, request=request)


class ConditionalGet:
    """Send If-None-Match / If-Modified-Since for feeds, sitemaps and listing pages.

    Validators are loaded before the crawl and collected during it; the runner
    stores them in fetch_state. A 304 reaches the spider as "unchanged".
    """

    ROLES = ("root", "index")

    def __init__(self, validators: dict[str, tuple[str | None, str | None]]):
        self.validators = validators
        self.seen: dict[str, tuple[str | None, str | None, int]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler.settings.getdict("MEDIAPLAN_VALIDATORS"))
        crawler.conditional_get = mw  # the runner reads what was seen
        return mw

    def process_request(self, request: Request):
        if request.meta.get("role") not in self.ROLES or request.meta.get("snapshot_routed"):
            return None
        etag, modified = self.validators.get(request.url, (None, None))
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if modified:
            request.headers.setdefault("If-Modified-Since", modified)
        request.meta.setdefault("handle_httpstatus_list", [304])
        return None

    def process_response(self, request: Request, response):
        if request.meta.get("role") in self.ROLES and not request.meta.get("snapshot_routed"):
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            if response.status == 200 and (etag or modified):
                self.seen[request.url] = (etag.decode("latin-1") if etag else None,
                                          modified.decode("latin-1") if modified else None, 200)
        return response
