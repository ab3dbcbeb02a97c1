"""Live iCal feeds: one VEVENT per publish slot (and optionally per deadline), series as RRULE.

UIDs are stable, SEQUENCE grows on every change, STATUS follows the workflow, and a
VTIMEZONE for the local zone is included. A column slot that was moved or edited
becomes a RECURRENCE-ID override of the series; a cancelled slot becomes an EXDATE.
Each user, desk, outlet and theme has a subscription URL with a secret token that
can be regenerated; `calendar ical` writes the very same feed to a file.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from icalendar import Calendar, Event, Timezone
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.calendar.series import column_event
from mediaplan.db.schema import Column, Coverage, FeedToken, Outlet, Story, utcnow
from mediaplan.localtime import local_tz, to_local
from mediaplan.periods import FIRST_DAY, LAST_DAY
from mediaplan.vocab import CoverageStatus, FeedScope, StoryStatus, TokenPurpose, label

# The iCal STATUS of a workflow state; anything else is CONFIRMED.
STATUS = {StoryStatus.IDEA: "TENTATIVE", StoryStatus.POSTPONED: "TENTATIVE", StoryStatus.CANCELLED: "CANCELLED"}


class FeedError(ValueError):
    pass


# What the feed leaves out rather than fail on. Every way into the calendar should keep times within the planning
# range (`periods.FIRST_DAY`..`LAST_DAY`; the web API does), but a slot stored before that rule or by a path that
# does not check it, say a move to 9999-12-31 23:59, made the event's end overflow and the whole feed a 500 for
# every subscriber. Such an event is skipped, one day of margin allowing for the stored time being UTC.
_MARGIN = timedelta(days=1)
LONGEST_MINUTES = 7 * 24 * 60  # an event's length at most, in the feed: a slot of 10⁹ minutes would overflow too


def in_feed(when) -> bool:
    """Whether a stored (UTC) time can be a feed's event: within the planning range, give or take a day."""
    return when is not None and FIRST_DAY - _MARGIN <= when.date() <= LAST_DAY + _MARGIN


def _length(minutes: int | None) -> timedelta:
    """A coverage's length in the feed: its minutes (an hour when unset), at most LONGEST_MINUTES."""
    return timedelta(minutes=min(max(minutes or 60, 1), LONGEST_MINUTES))


def _status(story: Story, coverage: Coverage) -> str:
    if StoryStatus.CANCELLED in (story.status, coverage.status):
        return "CANCELLED"
    return STATUS.get(story.status if story.status == StoryStatus.POSTPONED else coverage.status, "CONFIRMED")


def _coverage_event(coverage: Coverage, uid: str) -> Event:
    story = coverage.story
    event = Event()
    event.add("uid", uid)
    event.add("summary", story.title)
    start = to_local(coverage.publish_at)
    event.add("dtstart", start)
    event.add("dtend", start + _length(coverage.duration_minutes))
    event.add("dtstamp", coverage.updated_at or utcnow())
    event.add("sequence", coverage.sequence + story.sequence)
    event.add("status", _status(story, coverage))
    details = [f"Trạng thái: {label('status', coverage.status)}"]
    for name, value in (("Định dạng", label("format", coverage.format) if coverage.format else None),
                        ("Nền tảng", label("platform", coverage.platform) if coverage.platform else None),
                        ("Phụ trách", coverage.assignee),
                        ("Hạn nộp", f"{to_local(coverage.due_at):%d/%m/%Y %H:%M}" if coverage.due_at else None),
                        ("Nội dung", story.brief or None)):
        if value:
            details.append(f"{name}: {value}")
    event.add("description", "\n".join(details))
    if story.themes:
        event.add("categories", story.themes)
    return event


def _due_event(coverage: Coverage) -> Event:
    event = Event()
    event.add("uid", f"due-{coverage.id}@mediaplan")
    event.add("summary", f"Hạn nộp: {coverage.story.title}")
    event.add("dtstart", to_local(coverage.due_at))
    event.add("dtend", to_local(coverage.due_at) + timedelta(minutes=30))
    event.add("dtstamp", coverage.updated_at or utcnow())
    event.add("sequence", coverage.sequence + coverage.story.sequence)
    event.add("status", "CANCELLED" if coverage.status == CoverageStatus.CANCELLED else "CONFIRMED")
    return event


def _wants(scope: str, key: str, outlet_id: int | None):
    def coverage_ok(c: Coverage) -> bool:
        return (scope == FeedScope.ALL or (scope == FeedScope.USER and c.assignee == key)
                or (scope == FeedScope.DESK and c.story.desk == key) or (scope == FeedScope.OUTLET and c.outlet_id == outlet_id)
                or (scope == FeedScope.THEME and key in (c.story.themes or [])))

    def column_ok(col: Column) -> bool:
        return (scope == FeedScope.ALL or (scope == FeedScope.USER and col.assignee == key)
                or (scope == FeedScope.DESK and col.desk == key) or (scope == FeedScope.OUTLET and col.outlet_id == outlet_id)
                or (scope == FeedScope.THEME and key in (col.themes or [])))
    return coverage_ok, column_ok


def _check_scope(scope: str) -> None:
    if scope not in FeedScope.codes():
        raise FeedError(f"phạm vi {scope!r} không hợp lệ; chọn {', '.join(FeedScope.codes())}")


def build_feed(session: Session, scope: str = FeedScope.ALL, key: str = "", include_due: bool = False) -> Calendar:
    _check_scope(scope)
    zone = local_tz().key
    cal = Calendar()
    cal.add("prodid", "-//mediaplan//Lịch biên tập//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Lịch biên tập NQ71" + (f" — {key}" if key else ""))
    cal.add("x-wr-timezone", zone)
    cal.add_component(Timezone.from_tzid(zone))
    outlet_id = session.scalar(select(Outlet.id).where(Outlet.key == key)) if scope == FeedScope.OUTLET else None
    coverage_ok, column_ok = _wants(scope, key, outlet_id)

    stories = session.scalars(select(Story).options(selectinload(Story.coverages), selectinload(Story.column))
                              .order_by(Story.id)).all()
    by_column: dict[int, list[Story]] = {}
    for story in stories:
        if story.column_id:
            by_column.setdefault(story.column_id, []).append(story)
    in_series: set[int] = set()  # coverages the series VEVENT already stands for
    for column in session.scalars(select(Column).where(Column.active.is_(True)).order_by(Column.id)):
        if not column_ok(column) or not in_feed(column.dtstart) or (column.duration_minutes or 0) > LONGEST_MINUTES:
            continue  # its slots, if any are plannable, are then given as single events below
        series = column_event(column)
        overrides = []
        for story in by_column.get(column.id, []):
            primary = story.coverages[0] if story.coverages else None
            if primary is None or not in_feed(story.occurrence_start):
                continue
            in_series.add(primary.id)
            if _status(story, primary) == "CANCELLED" or not in_feed(primary.publish_at):
                series.add("exdate", to_local(story.occurrence_start))  # cancelled, or moved where no feed can go
                continue
            edited = (primary.publish_at != story.occurrence_start or primary.sequence or story.sequence
                      or story.title != column.name
                      or primary.status != (CoverageStatus.ASSIGNED if column.assignee else CoverageStatus.IDEA))
            if edited:
                override = _coverage_event(primary, series["uid"])
                override.add("recurrence-id", to_local(story.occurrence_start))
                overrides.append(override)
        cal.add_component(series)
        for override in overrides:
            cal.add_component(override)
    for story in stories:
        for coverage in story.coverages:
            if coverage.id in in_series or not in_feed(coverage.publish_at) or not coverage_ok(coverage):
                continue
            cal.add_component(_coverage_event(coverage, f"coverage-{coverage.id}@mediaplan"))
    if include_due:
        for story in stories:
            for coverage in story.coverages:
                if in_feed(coverage.due_at) and coverage_ok(coverage):
                    cal.add_component(_due_event(coverage))
    return cal


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_token(session: Session, scope: str, key: str = "", regenerate: bool = False,
               purpose: str = TokenPurpose.ICAL, days: int | None = None) -> str | None:
    """A new secret for a scope's read-only URL, returned once; None when one exists and `regenerate` is not asked.

    Only its SHA-256 is kept, so an existing URL cannot be shown again: regenerating makes a new one and the old
    one stops working. `days` makes the URL expire (1–3650 days); None: it does not expire.
    """
    _check_scope(scope)
    purpose = TokenPurpose(purpose)
    if days is not None and not 1 <= days <= 3650:
        raise FeedError("thời hạn phải từ 1 đến 3650 ngày")
    row = session.scalar(select(FeedToken).where(FeedToken.purpose == purpose, FeedToken.scope == scope,
                                                 FeedToken.key == key))
    if row is not None and not regenerate:
        return None
    secret = secrets.token_urlsafe(24)
    expires = utcnow() + timedelta(days=days) if days else None
    if row is None:
        session.add(FeedToken(purpose=purpose, scope=scope, key=key, token=_digest(secret), expires_at=expires))
    else:
        row.token, row.created_at, row.expires_at = _digest(secret), utcnow(), expires
    session.flush()
    return secret


def scope_of(session: Session, token: str, purpose: str = TokenPurpose.ICAL) -> tuple[str, str] | None:
    """The scope a secret opens for this purpose; None for an unknown, expired or other-purpose secret."""
    row = session.scalar(select(FeedToken).where(FeedToken.token == _digest(token), FeedToken.purpose == purpose))
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return row.scope, row.key
