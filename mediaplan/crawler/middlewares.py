"""Downloader middlewares.

SnapshotRoute sends requests for the real outlets to a local snapshot server
(`MEDIAPLAN_SNAPSHOT_URL`), over real HTTP, and hands the response back under the
real URL: spiders, robots.txt rules and canonical URLs behave exactly as online.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request

VALIDATORS_SEEN = "mediaplan/validators_seen"  # stats key: URL → (ETag, Last-Modified, status)


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

    Validators are loaded before the crawl (`MEDIAPLAN_VALIDATORS`) and those seen
    during it are kept in the crawl's stats (`VALIDATORS_SEEN`), from where the
    runner stores them in fetch_state. A 304 reaches the spider as "unchanged".
    """

    ROLES = ("root", "index")

    def __init__(self, validators: dict[str, tuple[str | None, str | None]], seen: dict):
        self.validators = validators
        self.seen: dict[str, tuple[str | None, str | None, int]] = seen

    @classmethod
    def from_crawler(cls, crawler):
        seen: dict = {}
        crawler.stats.set_value(VALIDATORS_SEEN, seen)
        return cls(crawler.settings.getdict("MEDIAPLAN_VALIDATORS"), seen)

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


class RetryAfter:
    """Honour Retry-After on 429 and 503: wait what the site asks (within a cap), then retry.

    Scrapy's RetryMiddleware retries at once; a site that says "come back in 30 s"
    should be left alone for 30 s. Beyond the cap, or after RETRY_TIMES, the error
    goes to the spider and is recorded on the source's health.
    """

    CODES = (429, 503)

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("MEDIAPLAN_RETRY_AFTER_MAX")
        self.max_retries = crawler.settings.getint("RETRY_TIMES", 2)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @staticmethod
    def seconds(value: bytes | None) -> float | None:
        if not value:
            return None
        text = value.decode("latin-1").strip()
        if text.isdigit():
            return float(text)
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            return max(0.0, (parsedate_to_datetime(text) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None

    async def process_response(self, request: Request, response):
        if response.status not in self.CODES or request.meta.get("snapshot_routed"):
            return response
        wait = self.seconds(response.headers.get("Retry-After"))
        tries = request.meta.get("retry_after_times", 0)
        if wait is None or wait > self.max_wait or tries >= self.max_retries:
            return response
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        self.crawler.stats.inc_value("mediaplan/retry_after")
        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        retry = request.replace(dont_filter=True, meta={**request.meta, "retry_after_times": tries + 1})
        retry.meta.pop("snapshot_routed", None)
        return retry
