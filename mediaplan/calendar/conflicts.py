"""Conflicts an editor must see before they happen.

- a platform slot booked twice: two live coverages of one outlet on one platform whose
  air times overlap (the weekly TV talk-show slot is one hour, not two programmes);
- an assignee with more coverages due in a week than their capacity, or two deadlines
  within the same hour;
- a key date with nothing planned on it or in the days before it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar.month import coverages_between, key_dates_in
from mediaplan.db.schema import User
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.settings import get_settings
from mediaplan.vocab import CoverageStatus, Platform, StoryStatus

BROADCAST = {Platform.TV, Platform.RADIO}  # platforms with a fixed air slot; online items can share a minute
KEY_DATE_LEAD = timedelta(days=7)  # a coverage in the week before a key date covers it


def find_conflicts(session: Session, first: date, last: date) -> list[dict]:
    start, end = local_midnight_utc(first), local_midnight_utc(last)
    live = [c for c in coverages_between(session, start - KEY_DATE_LEAD, end + KEY_DATE_LEAD)
            if c.status != CoverageStatus.CANCELLED and c.story.status not in {StoryStatus.CANCELLED, StoryStatus.POSTPONED}]
    in_range = [c for c in live if start <= c.publish_at < end]
    found: list[dict] = []

    by_slot = defaultdict(list)
    for c in in_range:
        if c.platform in BROADCAST:
            by_slot[(c.outlet_id, c.platform)].append(c)
    for (_, platform), rows in by_slot.items():
        rows.sort(key=lambda c: c.publish_at)
        for a, b in zip(rows, rows[1:]):
            if b.publish_at < a.publish_at + timedelta(minutes=a.duration_minutes or 60):
                found.append({"kind": "double_booked", "coverages": [a.id, b.id], "platform": platform,
                              "at": to_local(b.publish_at), "titles": [a.story.title, b.story.title],
                              "message": f"Trùng khung giờ {Platform(platform).label} lúc {to_local(b.publish_at):%d/%m %H:%M}: "
                                         f"“{a.story.title}” (#{a.id}) và “{b.story.title}” (#{b.id})"})

    capacity = {u.username: u.capacity_per_week for u in session.scalars(select(User))}
    default = get_settings().capacity_per_week
    weekly = defaultdict(list)
    deadlines = defaultdict(list)
    for c in in_range:
        if c.assignee and c.due_at:
            due = to_local(c.due_at)
            weekly[(c.assignee, due.isocalendar()[:2])].append(c)
            deadlines[c.assignee].append(c)
    for (person, (year, week)), rows in sorted(weekly.items()):
        limit = capacity.get(person, default)
        if len(rows) > limit:
            found.append({"kind": "overloaded", "assignee": person, "coverages": [c.id for c in rows],
                          "count": len(rows), "week": week, "year": year, "limit": limit,
                          "message": f"{person} có {len(rows)} phần thực hiện đến hạn trong tuần {week}/{year}, vượt mức {limit}"})
    for person, rows in deadlines.items():
        rows.sort(key=lambda c: c.due_at)
        for a, b in zip(rows, rows[1:]):
            if b.due_at - a.due_at < timedelta(hours=1):
                found.append({"kind": "deadline_clash", "assignee": person, "coverages": [a.id, b.id],
                              "at": to_local(b.due_at),
                              "message": f"{person} có hai hạn nộp cùng lúc {to_local(b.due_at):%d/%m %H:%M}: "
                                         f"#{a.id} và #{b.id}"})

    months = sorted({(d.year, d.month) for d in (first + timedelta(days=n) for n in range((last - first).days + 1))})
    for year, month in months:
        for day, kds in key_dates_in(session, year, month).items():
            if not first <= day < last:
                continue
            window = (local_midnight_utc(day) - KEY_DATE_LEAD, local_midnight_utc(day + timedelta(days=1)))
            for kd in kds:
                covered = [c for c in live if window[0] <= c.publish_at < window[1]
                           and (c.story.key_date == kd.key or set(kd.themes or []) & set(c.story.themes or []))]
                if not covered:
                    found.append({"kind": "key_date_empty", "key_date": kd.key, "day": day, "name": kd.name,
                                  "message": f"Mốc {day:%d/%m}: {kd.name} — chưa có tin bài nào trong kế hoạch"})
    return found
