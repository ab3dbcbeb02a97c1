"""Reporting periods: "YYYY-MM" months and the quarters, half-years, years and since-start made of them,
their UTC bounds and arithmetic, written once.

A month is a local calendar month (the Department reports in local time), so its
bounds are local midnights converted to UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from mediaplan.i18n import _
from mediaplan.localtime import local_midnight_utc, to_local

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The one range of days a user may name: planning dates, days and months of the pages, reporting periods. The plan
# runs to 2030 and its milestones to 2045; 2000–2100 leaves room on both sides and keeps every accepted value far
# from the ends of Python's dates (years 1 and 9999). What pages and feeds derive from an accepted value (the
# month before it for a comparison, the week around it, the month after it as a bound, a time-zone shift, an
# event's end) is computed without this check and stays representable: a move to 9999-12-31 once made the iCal
# feed fail for everyone. Crawled dates outside it are not kept either (`crawler.store`).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
RANGE_TEXT = f"từ năm {FIRST_DAY.year} đến năm {LAST_DAY.year}"


def range_text() -> str:
    """RANGE_TEXT in the current language (mediaplan.i18n: Vietnamese but on a page shown in English)."""
    return _("từ năm %(first)s đến năm %(last)s") % {"first": FIRST_DAY.year, "last": LAST_DAY.year}


class PeriodError(ValueError):
    """A period that is not a real "YYYY-MM" month; the message is for users."""


def shown(value: object, limit: int = 40) -> str:
    """A user's value quoted in a message, cut short: a 10,000-character input is not echoed back whole."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def _year_month(period: str) -> tuple[int, int] | None:
    """(year, month) of a well-formed "YYYY-MM" of any year, or None: for arithmetic on months derived from
    an accepted one, which may lie just outside the range (the month after 2100-12)."""
    m = _MONTH.fullmatch((period or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        return None
    return int(m.group(1)), int(m.group(2))


def _ym(period: str) -> tuple[int, int]:
    found = _year_month(period)
    if found is None:
        raise PeriodError(_("tháng không hợp lệ %(value)s: dùng dạng YYYY-MM, ví dụ 2026-11") % {"value": shown(period)})
    return found


def parse_month(period: str) -> tuple[int, int]:
    """(year, month) of a "YYYY-MM" a user gave, within the range, or a PeriodError in Vietnamese."""
    found = _year_month(period)
    if found is None or not FIRST_DAY.year <= found[0] <= LAST_DAY.year:
        raise PeriodError(_("tháng không hợp lệ %(value)s: dùng dạng YYYY-MM, ví dụ 2026-11, %(range)s")
                          % {"value": shown(period), "range": range_text()})
    return found


def check_month(period: str) -> str:
    """The period itself, normalised, once it is known to be valid."""
    year, month = parse_month(period)
    return f"{year:04d}-{month:02d}"


def parse_day(value: str) -> date:
    """A "YYYY-MM-DD" day within the range, or a PeriodError in Vietnamese."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        day = None
    if day is None or not in_range(day):
        raise PeriodError(_("ngày không hợp lệ %(value)s: dùng dạng YYYY-MM-DD, %(range)s")
                          % {"value": shown(value), "range": range_text()})
    return day


def shift_month(period: str, months: int) -> str:
    year, month = _ym(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(period: str) -> str:
    return shift_month(period, -1)


def next_month(period: str) -> str:
    return shift_month(period, 1)


def first_day(period: str) -> date:
    year, month = _ym(period)
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


# --- reporting periods of any length ------------------------------------------------------------------------
# "2026-11" (a month), "2026-Q4" (a quarter), "2026-H2" (a half-year), "2026" (a year) or "since-start" (from the
# plan's first day to the end of the current month: progress towards the 2030 milestones). Each is a run of whole
# local months, so everything said above about months holds for them.

SINCE_START = "since-start"
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})|-Q([1-4])|-H([12]))?")


@dataclass(frozen=True)
class Period:
    key: str  # as normalised: "2026-11", "2026-Q4", "2026-H2", "2026", "since-start"
    first: str  # its first month
    months: int  # how many months it spans

    @property
    def last(self) -> str:
        return shift_month(self.first, self.months - 1)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """UTC bounds [start, end) of the whole period."""
        return month_bounds(self.first)[0], month_bounds(self.last)[1]

    @property
    def kind(self) -> str:
        if self.key == SINCE_START:
            return "since-start"
        if ".." in self.key:
            return "span"  # the months before a since-start period, for its comparison
        return {1: "month", 3: "quarter", 6: "half", 12: "year"}[self.months]

    @property
    def label(self) -> str:
        """How the report names it: "tháng 11/2026", "quý IV năm 2026", "6 tháng cuối năm 2026", "năm 2026"."""
        year, month = _ym(self.first)
        if self.kind in ("since-start", "span"):
            last_year, last_month = _ym(self.last)
            return f"từ {month}/{year} đến {last_month}/{last_year}"
        return {"month": f"tháng {month}/{year}", "quarter": f"quý {('I', 'II', 'III', 'IV')[(month - 1) // 3]} năm {year}",
                "half": f"6 tháng {'đầu' if month == 1 else 'cuối'} năm {year}", "year": f"năm {year}"}[self.kind]

    def previous(self) -> Period:
        """The period of the same length just before (for since-start: the same span ending a month earlier)."""
        first = shift_month(self.first, -self.months)
        if self.key == SINCE_START:
            return Period(f"{first}..{shift_month(self.first, -1)}", first, self.months)
        return Period(_key(first, self.months), first, self.months)  # may precede the range: derived, not typed


def _key(first: str, months: int) -> str:
    year, month = _ym(first)
    return {1: first, 3: f"{year}-Q{(month - 1) // 3 + 1}", 6: f"{year}-H{(month - 1) // 6 + 1}", 12: f"{year}"}[months]


def parse_period(text: str, plan_start: date | None = None, today: date | None = None) -> Period:
    """A Period from its text, or a PeriodError in Vietnamese naming the accepted forms."""
    value = (text or "").strip()
    if value == SINCE_START:
        if plan_start is None:
            from mediaplan.plans import current_plan

            plan_start = current_plan().meta.starts
        first = f"{plan_start.year:04d}-{plan_start.month:02d}"
        end = month_of(today) if today else current_month()
        months = max(1, (_ym(end)[0] - plan_start.year) * 12 + _ym(end)[1] - plan_start.month + 1)
        return Period(SINCE_START, first, months)
    m = _PERIOD.fullmatch(value)
    if m and FIRST_DAY.year <= int(m.group(1)) <= LAST_DAY.year:
        year = int(m.group(1))
        if m.group(2):
            return Period(check_month(value), check_month(value), 1) if 1 <= int(m.group(2)) <= 12 else _refuse(value)
        if m.group(3):
            return Period(f"{year}-Q{m.group(3)}", f"{year:04d}-{(int(m.group(3)) - 1) * 3 + 1:02d}", 3)
        if m.group(4):
            return Period(f"{year}-H{m.group(4)}", f"{year:04d}-{(int(m.group(4)) - 1) * 6 + 1:02d}", 6)
        return Period(f"{year}", f"{year:04d}-01", 12)
    return _refuse(value)


def _refuse(value: str):
    raise PeriodError(_("kỳ báo cáo không hợp lệ %(value)s: dùng tháng 2026-11, quý 2026-Q4, nửa năm 2026-H2, "
                        "năm 2026 hoặc since-start, %(range)s") % {"value": shown(value), "range": range_text()})
