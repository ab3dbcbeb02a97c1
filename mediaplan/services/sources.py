"""Sources as an administrator manages them: their health, adding one without editing YAML, turning one off.

What an administrator decides here survives `mediaplan init`: a source added here is
not in the plan files and is left alone by the plan refresh, and a source turned off
is marked `disabled_manually`, which `plans.sync` honours.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.crawler.health import Health, source_health
from mediaplan.db.schema import Outlet, Source
from mediaplan.services import NotFound, ServiceError
from mediaplan.vocab import Channel, Platform, SourceKind


def list_sources(session: Session) -> list[Health]:
    """Every source, by key, with its volume in the last 7 and 30 days and whether it has gone silent."""
    return source_health(session)


def get_source(session: Session, key: str) -> Source:
    source = session.scalar(select(Source).where(Source.key == key))
    if source is None:
        raise NotFound(f"không có nguồn {key!r}")
    return source


def _code(vocabulary, value: str | None, field: str):
    try:
        return None if value is None else vocabulary.parse(value)
    except ValueError as exc:
        raise ServiceError(str(exc), field=field) from None


def add_source(session: Session, key: str, *, outlet: str, kind: str, url: str, channel: str,
               platform: str | None = None, interval: int = 60, article_pattern: str | None = None,
               next_page: str | None = None, added_by: str = "cli") -> Source:
    """Add a source to an outlet; `article_pattern` (a regular expression) and `next_page` (a CSS selector)
    are for listing pages; `added_by` says which interface added it. Refuses an unknown outlet, a key already taken and a malformed URL or pattern."""
    kind, channel = _code(SourceKind, kind, "kind"), _code(Channel, channel, "channel")
    platform = _code(Platform, platform, "platform")
    if not url.startswith(("http://", "https://")):
        raise ServiceError(f"{url!r}: cần địa chỉ http(s)", field="url")
    if article_pattern:
        try:
            re.compile(article_pattern)
        except re.error as exc:
            raise ServiceError(f"không hợp lệ: {exc}", field="article_pattern") from None
    owner = session.scalar(select(Outlet).where(Outlet.key == outlet))
    if owner is None:
        raise NotFound(f"không có cơ quan {outlet!r}")
    if session.scalar(select(Source).where(Source.key == key)):
        raise ServiceError(f"đã có nguồn {key!r}")
    config = {k: v for k, v in {"article_pattern": article_pattern, "next_page": next_page, "added_by": added_by}.items() if v}
    source = Source(key=key, outlet_id=owner.id, kind=kind, url=url, channel=channel, platform=platform,
                    interval_minutes=interval, config=config)
    session.add(source)
    session.flush()
    return source


def set_enabled(session: Session, key: str, enabled: bool) -> Source:
    """Turn a source on or off, remembered across plan refreshes (`init` does not undo an administrator)."""
    source = get_source(session, key)
    source.enabled = enabled
    source.config = {**(source.config or {}), "disabled_manually": not enabled}
    return source
