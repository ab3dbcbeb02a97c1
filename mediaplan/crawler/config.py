"""One configuration path for a crawl: the Scrapy settings, built from mediaplan's `Settings`.

The spider, the middlewares and the pipelines read their values from
`crawler.settings`, never from `get_settings()`, so what a crawl runs with is
this one dict (a test or a second crawler changes it in one place). Scrapy logs
only the overridden *standard* settings, so the `MEDIAPLAN_*` keys, the Graph API
token among them, never reach the log.
"""

from __future__ import annotations

from mediaplan.settings import Settings


def scrapy_settings(settings: Settings, snapshot_url: str | None = None, validators: dict | None = None) -> dict:
    """Scrapy settings for one crawl; `snapshot_url` overrides the configured snapshot server."""
    delay = settings.download_delay
    snapshot = snapshot_url if snapshot_url is not None else settings.snapshot_url
    scrapy = {
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.01),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrent_per_site,
        "DOWNLOAD_MAXSIZE": settings.max_body_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": settings.download_timeout,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "ITEM_PIPELINES": {"mediaplan.crawler.pipelines.StorePipeline": 300},
        # RetryAfter sits before Scrapy's RetryMiddleware (550) on the way back, so it sees 429/503 first.
        "DOWNLOADER_MIDDLEWARES": {"mediaplan.crawler.middlewares.RetryAfter": 560,
                                   "mediaplan.crawler.middlewares.ConditionalGet": 900,
                                   "mediaplan.crawler.middlewares.SnapshotRoute": 950},
        "MEDIAPLAN_DATA_DIR": str(settings.data_dir),
        "MEDIAPLAN_SNAPSHOT_URL": snapshot,
        "MEDIAPLAN_VALIDATORS": validators or {},
        "MEDIAPLAN_RETRY_AFTER_MAX": 120.0,  # seconds: a site asking for longer is recorded as failing
        "MEDIAPLAN_MAX_LISTING_PAGES": settings.max_listing_pages,
        "MEDIAPLAN_FACEBOOK_TOKEN": settings.facebook_token,
        "MEDIAPLAN_GRAPH_MAX_PAGES": settings.graph_max_pages,
    }
    if settings.redis_url:
        # One queue and one dupefilter for every crawler of the group, on any machine: each URL is fetched once.
        group = settings.crawl_group
        scrapy.update(
            SCHEDULER="scrapy_redis.scheduler.Scheduler",
            DUPEFILTER_CLASS="scrapy_redis.dupefilter.RFPDupeFilter",
            SCHEDULER_PERSIST=True,
            SCHEDULER_QUEUE_KEY=f"mediaplan:{group}:requests",
            SCHEDULER_DUPEFILTER_KEY=f"mediaplan:{group}:dupefilter",
            REDIS_URL=settings.redis_url,
        )
    if snapshot:  # the snapshot server is our own process on loopback: no need to pace requests to it
        scrapy.update(DOWNLOAD_DELAY=0, AUTOTHROTTLE_START_DELAY=0.01, AUTOTHROTTLE_MAX_DELAY=0.5)
    return scrapy
