"""The report of a period: build a version, let an analyst edit its narrative and approve it, e-mail it, log it.

    build (a draft version) → narrative edits → build again (a new draft that keeps them) → approve → send

Only an approved version is sent (`reports.versions.sendable`), never twice to one recipient for one version, and
every delivery is recorded before and after its SMTP conversation (`reports.mail`). The CLI, the web page and the
scheduler all go through these functions. The scheduler builds the month's draft on day 1 and tells the analysts;
it sends to recipients only when MEDIAPLAN_REPORT_AUTO_APPROVE is on.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import ReportDelivery, ReportNarrative, ReportVersion, utcnow
from mediaplan.periods import Period, parse_period
from mediaplan.reports import versions
from mediaplan.reports.build import build_report
from mediaplan.reports.mail import notify_analysts, retry_due, send_version
from mediaplan.reports.narrative import draft as narrative_draft
from mediaplan.services import ServiceError
from mediaplan.settings import Settings, get_settings
from mediaplan.smtp import SendError
from mediaplan.vocab import ReportState, SendStatus

log = logging.getLogger("mediaplan.reports")

SCHEDULER = "lịch tự động"  # who built a version the scheduler built
AUTO_APPROVER = "tự động (MEDIAPLAN_REPORT_AUTO_APPROVE)"
NoReport, NotApproved = versions.NoReport, versions.NotApproved


class NoRecipients(ServiceError):
    """Neither the caller nor MEDIAPLAN_REPORT_RECIPIENTS names anyone to send to."""


def period_of(text: str | Period) -> Period:
    """A Period from what a user typed; a malformed one raises PeriodError (a ValueError, one Vietnamese line)."""
    return text if isinstance(text, Period) else parse_period(text)


class Built(NamedTuple):
    version: ReportVersion
    figures: dict
    new: bool  # False: the content was that of the latest version, which was kept


def build_period_report(session: Session, period: str | Period, out_dir: Path, *, by: str | None = None) -> Built:
    """Write report.html, .xlsx (.docx, .pdf) and figures.json into `out_dir`; record a draft version (or keep the
    latest one when nothing changed)."""
    period = period_of(period)
    before = versions.latest_version(session, period)
    version, figures = build_report(session, period, Path(out_dir), by=by)
    return Built(version, figures, before is None or before.id != version.id)


def approve_report(session: Session, period: str | Period, by: str, number: int | None = None) -> tuple[ReportVersion, bool]:
    """Approve the latest draft (or version `number`): (the version, whether it was approved just now)."""
    return versions.approve(session, period_of(period), by, number)


def send_period_report(session: Session, period: str | Period, recipients: Iterable[str] | None = None, *,
                       number: int | None = None, resend_uncertain: bool = False,
                       settings: Settings | None = None) -> dict:
    """E-mail an approved version to `recipients` (default MEDIAPLAN_REPORT_RECIPIENTS).

    A draft is refused (NotApproved) and nothing is sent. With `resend_uncertain`, the version's uncertain
    deliveries are sent again (and their recipients added to the list). Returns the addresses under "sent",
    "skipped" (sent before), "failed", "uncertain" (left alone), "busy" (another sender has it) and "waiting",
    and the version's number under "version".
    """
    settings = settings or get_settings()
    key = period_of(period).key
    to = list(recipients or settings.report_recipients)
    if not to and not resend_uncertain:
        raise NoRecipients("chưa có người nhận: dùng --to hoặc đặt MEDIAPLAN_REPORT_RECIPIENTS")
    version = versions.sendable(session, key, number)
    if resend_uncertain:
        to += [d.recipient for d in version.deliveries if d.status == SendStatus.UNCERTAIN]
    if not to:
        raise NoRecipients("chưa có người nhận: dùng --to hoặc đặt MEDIAPLAN_REPORT_RECIPIENTS")
    return {"version": version.version, **send_version(session, settings, version, to, resend_uncertain=resend_uncertain)}


def report_versions(session: Session, period: str | Period | None = None) -> list[ReportVersion]:
    """The versions (with their deliveries) of one period, or of every period, newest first."""
    return versions.list_versions(session, period_of(period) if period else None)


# The files of a version a person may open, by name: nothing else of its folder (figures.json stays internal).
REPORT_FILES = ("report.html", "report.docx", "report.pdf", "report.xlsx")


def version_by_id(session: Session, version_id: int) -> ReportVersion:
    """One version by its row id, with its deliveries: the web page of a version names it by id, not by period."""
    version = session.scalar(select(ReportVersion).options(selectinload(ReportVersion.deliveries))
                             .where(ReportVersion.id == version_id))
    if version is None:
        raise NoReport(f"không có phiên bản báo cáo số {version_id}", field="version")
    return version


def version_file(version: ReportVersion, name: str) -> Path:
    """The path of one of REPORT_FILES in the version's own archive; any other name, or a file gone, is NoReport,
    so a caller can never be led outside that folder by what a user typed."""
    if name not in REPORT_FILES:
        raise NoReport(f"phiên bản báo cáo không có tệp {name!r}", field="name")
    path = Path(version.out_dir) / name
    if not path.is_file():
        raise NoReport(f"không còn tệp {name} của phiên bản {version.version}", field="name")
    return path


class Frozen(ServiceError):
    """The narrative of an approved or sent version: what was approved does not change (rebuild a new draft)."""


NARRATIVE_MAX = 20_000  # characters per section: a report's paragraph, not a file pasted by mistake


class VersionNarrative(NamedTuple):
    texts: dict[str, str]  # section key → what the version prints (or, for a draft, what the next build prints)
    drafted: dict[str, str]  # section key → the text drafted from the version's figures alone
    stale: bool  # a draft whose period's edits moved on since it was built: approve only after a rebuild


def version_narrative(session: Session, version: ReportVersion) -> VersionNarrative:
    """The narrative sections of a version. A draft shows what the next build will print (the period's current
    edits over the text drafted from its figures), so an analyst edits what will be approved; an approved or sent
    version shows what it was built with, which never changes. A version migrated without figures has no draft
    text, only its edits."""
    current = versions.narrative_overrides(session, version.period)
    own = version.narrative or {}
    figures = version.figures or {}
    drafted = narrative_draft(figures) if figures.get("totals") else {k: "" for k in versions.NARRATIVE_SECTIONS}
    edits = current if version.state == ReportState.DRAFT else own
    texts = {k: (edits.get(k) or "").strip() or drafted.get(k, "") for k in versions.NARRATIVE_SECTIONS}
    return VersionNarrative(texts, drafted, version.state == ReportState.DRAFT and current != own)


def edit_version_narrative(session: Session, version: ReportVersion, texts: dict[str, str], by: str) -> list[str]:
    """Save the sections an analyst changed on a draft's page, each through `edit_narrative` (as `report
    narrative` does); returns the keys saved, in the report's order.

    A section sent back as the figures drafted it (or emptied) stores no edit, so an untouched section keeps
    following the figures after new items arrive; one sent back as it was is left alone. Text is NFC with "\n" line ends, as a
    browser's CRLF and decomposed accents would otherwise make a new version of the same words. Refused on an
    approved or sent version (Frozen): its text is what was approved.
    """
    if version.state != ReportState.DRAFT:
        raise Frozen(f"phiên bản {version.version} {version.state.label}: không sửa được phần nhận định; "
                     f"sửa trên bản nháp mới nhất của kỳ {version.period}")
    unknown = [k for k in texts if k not in versions.NARRATIVE_SECTIONS]
    if unknown:
        raise ServiceError(f"phần nhận định không hợp lệ: {', '.join(map(repr, unknown))}", field="section")
    drafted = version_narrative(session, version).drafted
    current = versions.narrative_overrides(session, version.period)
    saved = []
    for key in versions.NARRATIVE_SECTIONS:
        if key not in texts:
            continue
        text = unicodedata.normalize("NFC", (texts[key] or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
        if len(text) > NARRATIVE_MAX:
            raise ServiceError(f"phần «{versions.NARRATIVE_SECTIONS[key]}» dài quá {NARRATIVE_MAX:,} ký tự".replace(",", "."),
                               field=key)
        if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):  # PostgreSQL refuses NUL in text
            raise ServiceError(f"phần «{versions.NARRATIVE_SECTIONS[key]}» có ký tự điều khiển không hợp lệ", field=key)
        if text == drafted.get(key, "").strip():
            text = ""  # the drafted text itself: no edit, the section follows the figures again
        if text == current.get(key, "").strip():
            continue
        edit_narrative(session, version.period, key, text, by)
        saved.append(key)
    return saved


def delivery_log(session: Session, period: str | Period) -> list[ReportDelivery]:
    """Who received which version, when, and what the server answered."""
    return versions.deliveries_of(session, period_of(period))


def edit_narrative(session: Session, period: str | Period, section: str, text: str, by: str) -> ReportNarrative | None:
    """Keep an analyst's text for a section of the period's report (an empty text: back to the draft)."""
    return versions.set_narrative(session, period_of(period), section, text, by)


def narrative_overrides(session: Session, period: str | Period) -> dict[str, str]:
    return versions.narrative_overrides(session, period_of(period))


# --- the scheduler's jobs -----------------------------------------------------------------------------------------


def monthly_draft(session: Session, month: str, out_dir: Path, settings: Settings | None = None) -> dict:
    """Day 1: build the month's draft, tell the analysts; approve and send it only with auto-approval on.

    Committed step by step; a second run the same day finds the same content, keeps the version and does not
    tell the analysts again.
    """
    settings = settings or get_settings()
    version, figures, _ = build_period_report(session, month, out_dir, by=SCHEDULER)
    session.commit()
    sent = None
    if settings.report_auto_approve:
        versions.approve(session, version.period, AUTO_APPROVER, version.version)
        session.commit()
        if settings.report_recipients:
            sent = send_version(session, settings, version, settings.report_recipients)
    told: list[str] = []
    if version.notified_at is None:
        told = _tell_analysts(session, settings, version, sent)
    return {"period": version.period, "version": version.version, "state": version.state, "analysts": told,
            "sent": sent, "figures": figures}


def _tell_analysts(session: Session, settings: Settings, version: ReportVersion, sent: dict | None = None) -> list[str]:
    try:
        told = notify_analysts(settings, version, sent)
    except SendError as exc:  # the retry job tries again (notified_at stays empty)
        log.warning("could not tell the analysts about %s v%s: %s", version.period, version.version, exc)
        return []
    if told:
        version.notified_at = utcnow()
        session.commit()
    return told


def retry_deliveries(session: Session, settings: Settings | None = None, now: datetime | None = None) -> dict:
    """The retry job: failed e-mails whose time has come (and abandoned `sending` ones), and the analysts'
    notices about scheduler-built drafts that could not be sent. Uncertain deliveries wait for an analyst."""
    settings = settings or get_settings()
    result = retry_due(session, settings, now)
    if settings.report_analysts:
        waiting = session.scalars(select(ReportVersion).where(ReportVersion.built_by == SCHEDULER,
                                                              ReportVersion.notified_at.is_(None),
                                                              ReportVersion.state == ReportState.DRAFT)).all()
        result["analysts"] = [f"{v.period} v{v.version}" for v in waiting if _tell_analysts(session, settings, v)]
    return result
