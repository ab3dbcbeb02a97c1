"""Vietnamese dates as printed by news sites, parsed by dateparser into UTC.

dateparser needs a little help: the prefixes ("Cập nhật:", "Đăng lúc") must go,
and a leading zero in "tháng 09" is misread, so both are cleaned first.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
import dateparser

from mediaplan.localtime import local_tz

_PREFIX = re.compile(r"^\s*(cập nhật|đăng lúc|ngày đăng|đăng ngày|ngày|thời gian|posted|published)\s*:?\s*", re.I)
_LEADING_ZERO_MONTH = re.compile(r"(tháng)\s+0(\d)", re.I)
_WEEKDAY = re.compile(r"^\s*(thứ\s+\w+|chủ\s+nhật)\s*,?\s*", re.I)
# A numeric date (and time) inside noisy text: "Ngày đăng: 05/09/2026 08:15 | Lượt xem: 120".
_NUMERIC = re.compile(
    r"(\d{1,2}:\d{2}\s*[-,|]?\s*)?\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(\s*[-,|]?\s*\d{1,2}:\d{2}(:\d{2})?)?"
)
_GMT = re.compile(r"\(?\s*GMT\s*\+\s*7\s*\)?", re.I)


def parse_vi_date(text: str | None, relative_to: datetime | None = None) -> datetime | None:
    if not text:
        return None
    cleaned = " ".join(text.split())
    cleaned = _PREFIX.sub("", cleaned)
    cleaned = _WEEKDAY.sub("", cleaned)
    cleaned = _LEADING_ZERO_MONTH.sub(r"\1 \2", cleaned)
    cleaned = _GMT.sub("", cleaned).strip(" -|,")
    if m := _NUMERIC.search(cleaned):
        cleaned = m.group(0).replace("|", " ").strip(" -,")
    tz = local_tz()
    settings = {
        "DATE_ORDER": "DMY",
        "TIMEZONE": tz.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    if relative_to is not None:
        # dateparser reads RELATIVE_BASE as a naive time in TIMEZONE.
        settings["RELATIVE_BASE"] = relative_to.astimezone(tz).replace(tzinfo=None)
    parsed = dateparser.parse(cleaned, languages=["vi", "en"], settings=settings)
    return parsed.astimezone(timezone.utc) if parsed else None


def parse_iso(text: str | None) -> datetime | None:
    """Machine dates (meta tags, JSON-LD, feeds); a date without zone is taken as local time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return parse_vi_date(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value.astimezone(timezone.utc)


_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.I)


def has_zone(text: str | None) -> bool:
    """Whether a machine date states its UTC offset ("…T10:00:00+07:00", "…Z"); a naive one has to be guessed."""
    return bool(text and "T" in text.upper() and _ZONE.search(text.strip()))
