"""The one home of the local time zone: times are stored in UTC and shown in the plan's zone.

The zone comes from settings (`MEDIAPLAN_TIMEZONE`, Asia/Ho_Chi_Minh by default), so a
deployment elsewhere changes one setting, not seventeen modules.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_tz() -> ZoneInfo:
    from mediaplan.settings import get_settings

    return _zone(get_settings().timezone)


def to_local(value: datetime) -> datetime:
    """An aware datetime in the local zone (naive ones are taken as UTC, as the database returns them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(local_tz())


def local_now() -> datetime:
    return datetime.now(local_tz())


def local_today() -> date:
    return local_now().date()


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which a local calendar day starts."""
    return datetime.combine(day, time(), local_tz()).astimezone(timezone.utc)


def as_utc(local: datetime) -> datetime:
    """A local wall time (naive = local) as aware UTC, for storing."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=local_tz())
    return local.astimezone(timezone.utc)
