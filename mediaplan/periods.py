"""Reporting periods: "YYYY-MM" months, their UTC bounds and arithmetic, written once.

A month is a local calendar month (the Department reports in local time), so its
bounds are local midnights converted to UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

from mediaplan.localtime import local_midnight_utc, to_local

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The years a plan's calendar can name. Outside them date arithmetic (a week around 0001-01-01, a month
# after 9999-12) overflows, so an input there is refused as a user error instead of failing later.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class PeriodError(ValueError):
    """A period that is not a real "YYYY-MM" month; the message is for users."""


def parse_month(period: str) -> tuple[int, int]:
    """(year, month) of "YYYY-MM", or a PeriodError in Vietnamese."""
    m = _MONTH.fullmatch((period or "").strip())
    if not m or not (1 <= int(m.group(2)) <= 12) or not (FIRST_DAY.year <= int(m.group(1)) <= LAST_DAY.year):
        raise PeriodError(f"tháng không hợp lệ {period!r}: dùng dạng YYYY-MM, ví dụ 2026-11")
    return int(m.group(1)), int(m.group(2))


def check_month(period: str) -> str:
    """The period itself, normalised, once it is known to be valid."""
    year, month = parse_month(period)
    return f"{year:04d}-{month:02d}"


def parse_day(value: str) -> date:
    """A "YYYY-MM-DD" day within the calendar's years, or a PeriodError in Vietnamese."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise PeriodError(f"ngày không hợp lệ {value!r}: dùng dạng YYYY-MM-DD, từ năm {FIRST_DAY.year} đến {LAST_DAY.year}")
    return day


def shift_month(period: str, months: int) -> str:
    year, month = parse_month(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(period: str) -> str:
    return shift_month(period, -1)


def next_month(period: str) -> str:
    return shift_month(period, 1)


def first_day(period: str) -> date:
    year, month = parse_month(period)
    return date(year, month, 1)


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of a local calendar month "YYYY-MM"."""
    return local_midnight_utc(first_day(period)), local_midnight_utc(first_day(next_month(period)))


def month_of(value: datetime | date) -> str:
    """The local month "YYYY-MM" a time falls in."""
    if isinstance(value, datetime):
        value = to_local(value)
    return f"{value.year:04d}-{value.month:02d}"


def current_month() -> str:
    return month_of(datetime.now(timezone.utc))
