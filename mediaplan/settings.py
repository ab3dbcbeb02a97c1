"""Runtime settings, read from MEDIAPLAN_* environment variables (or a .env file).

Deployment facts (database, SMTP, recipients, tokens) live here; facts about the
plan itself (themes, outlets, targets) live in the plan data folder, so that a
province can swap plans without touching its deployment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing import Annotated, Literal


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEDIAPLAN_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    # PostgreSQL under load: connections per process (a uvicorn worker), how long a request waits for one before it
    # is told 503 + Retry-After, and how long one web query may run (0: no limit). The CLI and the crawler run long
    # reports and migrations and take no statement limit.
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout: float = 5.0
    web_statement_timeout_ms: int = 15000
    web_request_budget_ms: int = 20000  # all of one web request's queries (web/budget.py; 0: no budget)
    plan: str = "quang-ngai-nq71"
    timezone: str = "Asia/Ho_Chi_Minh"

    # Crawling. The contact URL is part of the User-Agent so site owners can reach us.
    contact_url: str = "https://github.com/mediaplan/mediaplan"
    download_delay: float = 1.0
    concurrent_per_site: int = 1
    max_body_bytes: int = 10 * 1024 * 1024
    download_timeout: float = 30.0
    max_listing_pages: int = 5
    # Facebook Graph API: page posts for facebook_graph sources; without a token they are skipped.
    facebook_token: str | None = None
    graph_max_pages: int = 3
    backoff_after: int = 5  # failures in a row before a source is backed off
    # Several crawler machines: share one request queue and dupefilter in Redis (scrapy-redis).
    redis_url: str | None = None
    crawl_group: str = "default"  # crawlers with the same group share a queue and a dupefilter
    # When set, requests for the real outlets are routed to this local snapshot server.
    snapshot_url: str | None = None

    # Classification. The syllable tokenizer is the measured default (make bench); pyvi segments words.
    tokenizer: Literal["syllable", "pyvi"] = "syllable"
    # The labelled news `mediaplan nlp train` learns from (unset: ../shared/data/training/ beside the repository).
    training_dir: Path | None = None

    # Mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    # Speech-to-text for broadcasts without captions (optional, `crawler.transcribe`): "package.module:factory"
    # returning a transcriber whose model is already on disk; unset, `mediaplan items transcribe` says so.
    transcriber: str | None = None
    transcribe_max_bytes: int = 500 * 1024 * 1024  # a media file larger than this is not downloaded
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "mediaplan <bao-cao@mediaplan.local>"
    report_recipients: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Reports: who reviews a draft (told by e-mail when the scheduler builds one), whether a build is approved
    # without them (off: the scheduler never sends to recipients on its own), and the retries of a failed e-mail
    # (the first after `report_retry_minutes`, doubling each time, at most `report_retry_max` attempts).
    report_analysts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    report_auto_approve: bool = False
    report_retry_minutes: int = 5
    report_retry_max: int = 8

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    public_url: str = "http://127.0.0.1:8000"  # how subscribers reach the web app (iCal feed URLs)
    # Sessions: a signed cookie (no state in the process, so several workers share it). The key signs the
    # cookies; unset, one is generated once into data_dir/secret_key (set it when workers run on several machines).
    secret_key: str | None = None
    session_idle_minutes: int = 60  # a session unused this long ends
    session_max_hours: int = 12  # and none lasts longer than this

    # Editorial calendar: reminders and workload.
    reminder_days: int = 2  # remind coverages due within this many days
    capacity_per_week: int = 5  # coverages one person can deliver in a week, unless their user says otherwise
    desk_emails: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)  # desk=mail,desk=mail

    @field_validator("desk_emails", mode="before")
    @classmethod
    def _split_desks(cls, value):
        if isinstance(value, str):
            pairs = [part.split("=", 1) for part in value.split(",") if "=" in part]
            return {k.strip(): v.strip() for k, v in pairs}
        return value

    @field_validator("report_recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("report_analysts", mode="before")
    @classmethod
    def _split_analysts(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mediaplan.db').resolve()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def user_agent(self) -> str:
        from mediaplan import __version__

        return f"mediaplan/{__version__} (+{self.contact_url}; giám sát truyền thông NQ71)"


@lru_cache
def get_settings() -> Settings:
    return Settings()
