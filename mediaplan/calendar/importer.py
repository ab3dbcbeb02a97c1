"""Import an outside calendar (the Department's meetings and exams) into key dates.

Each event becomes a one-off key date keyed by its UID (and occurrence, for a
recurring event expanded by recurring-ical-events), so importing the same file
again updates rather than duplicates. A broken event is reported and skipped;
a file that is not iCalendar at all is refused with a clear error.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import KeyDate
from mediaplan.localtime import local_today, to_local
from mediaplan.vocab import KeyDateSource


class IcsError(ValueError):
    pass


def import_ics(session: Session, data: bytes, months: int = 12, today: date | None = None) -> dict:
    try:
        cal = Calendar.from_ical(data)
    except ValueError as exc:
        raise IcsError(f"tệp không phải iCalendar hợp lệ: {exc}") from None
    today = today or local_today()
    counts = {"added": 0, "updated": 0, "skipped": 0, "problems": []}
    events = []
    window = (today - timedelta(days=31), today + timedelta(days=31 * months))
    for event in cal.walk("VEVENT"):
        if "RRULE" not in event or event.get("DTSTART") is None:
            if not event.get("RECURRENCE-ID"):
                events.append(event)
            continue
        # A recurring event is expanded on its own, with its overrides, so one broken event cannot stop the rest.
        one = Calendar()
        for component in cal.walk("VTIMEZONE"):
            one.add_component(component)
        for component in cal.walk("VEVENT"):
            if component.get("UID") == event.get("UID"):
                one.add_component(component)
        try:
            events += [e for e in recurring_ical_events.of(one).between(*window)]
        except Exception as exc:  # noqa: BLE001 - a malformed recurrence is reported, the others go on
            counts["problems"].append(f"không mở rộng được sự kiện lặp {event.get('UID')}: {exc}")
    seen = set()
    for event in events:
        uid = str(event.get("UID") or "")
        summary = str(event.get("SUMMARY") or "").strip()
        start = event.get("DTSTART")
        if not uid or not summary or start is None:
            counts["skipped"] += 1
            counts["problems"].append(f"bỏ qua sự kiện thiếu UID, tiêu đề hoặc ngày: {summary or uid or '?'}")
            continue
        when = start.dt
        if isinstance(when, datetime) and when.tzinfo:
            when = to_local(when)  # a floating (naive) time is already a local wall time
        day = when.date() if isinstance(when, datetime) else when
        recurring = any(str(e.get("UID")) == uid and "RRULE" in e for e in cal.walk("VEVENT"))
        key_uid = f"{uid}#{day.isoformat()}" if recurring else uid
        if key_uid in seen:
            continue
        seen.add(key_uid)
        row = session.scalar(select(KeyDate).where(KeyDate.uid == key_uid))
        note = str(event.get("DESCRIPTION") or "")[:2000]
        if isinstance(when, datetime):
            note = f"{when:%H:%M} — {note}" if note else f"{when:%H:%M}"
        if row is None:
            key = "ics-" + hashlib.sha1(key_uid.encode()).hexdigest()[:12]
            session.add(KeyDate(key=key, uid=key_uid, source=KeyDateSource.ICS, name=summary[:300], on=day, themes=[], note=note))
            counts["added"] += 1
        elif (row.name, row.on, row.note) != (summary[:300], day, note):
            row.name, row.on, row.note = summary[:300], day, note
            counts["updated"] += 1
    session.flush()
    return counts
