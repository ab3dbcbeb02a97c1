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
