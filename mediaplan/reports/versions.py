"""Versions of a period's report, and the analysts' narrative edits that every rebuild keeps.

Every build is recorded here (`record_version`, called by `reports.build.build_report`) as a version of its period:

    draft ──approve (an analyst, by name)──▶ approved ──first e-mail accepted by the server──▶ sent

Only an approved (or already sent) version is e-mailed (`sendable`); a rebuild never changes an approved version
but makes a new draft, so what the analyst approved is what the recipients get. To that end a version's files
(report.html, .xlsx, .docx, .pdf, figures.json) are copied into an archive of its own under the data dir
(`reports/<period>/v<N>/`), and the version keeps its figures and the narrative edits it was built with.
`content_hash` (figures without the build date + narrative edits) tells a rebuild that changes nothing
(the same version is kept; a draft's files are refreshed) from one that needs a new version.

Narrative edits are kept per period and section (not per version), with who wrote them and when, so a rebuild
after new items arrive still carries the analyst's text.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import ReportDelivery, ReportNarrative, ReportVersion, utcnow
from mediaplan.periods import Period, parse_period
from mediaplan.services import NotFound, ServiceError
from mediaplan.reports.narrative import TITLES
from mediaplan.vocab import ReportState

# The narrative sections an analyst may rewrite: the ones reports.narrative drafts, in its order.
NARRATIVE_SECTIONS = TITLES
# What a version keeps of a build's folder (those present).
ARCHIVED = ("report.html", "report.xlsx", "report.docx", "report.pdf", "figures.json")
SENDABLE = (ReportState.APPROVED, ReportState.SENT)


NAME_MAX = 80  # built_by, approved_by, edited_by are String(80)


def _name(by: str | None, what: str) -> str:
    name = (by or "").strip()
    if not name:
        raise ServiceError(f"cần tên {what}", field="by")
    if len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        raise ServiceError(f"tên {what} không hợp lệ (tối đa {NAME_MAX} ký tự, không có ký tự điều khiển)", field="by")
    return name


class NoReport(NotFound):
    """No version (or not the one asked for) of a period's report."""


class NotApproved(ServiceError):
    """A draft may not be sent."""


def period_key(period: str | Period) -> str:
    """The normalised key of a period ("2026-11", "2026-Q4", …); a malformed one raises PeriodError."""
    return period.key if isinstance(period, Period) else parse_period(period).key


def content_hash(figures: dict, narrative: dict[str, str] | None = None) -> str:
    """What makes two builds the same report: the figures (not the day they were computed) and the analysts' text."""
    content = {"figures": {k: v for k, v in (figures or {}).items() if k != "generated_on"}, "narrative": narrative or {}}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def label_of(version: ReportVersion) -> str:
    return (version.figures or {}).get("period_label") or version.period


def archive_dir(period: str, number: int) -> Path:
    from mediaplan.settings import get_settings

    return (get_settings().data_dir / "reports" / period / f"v{number}").resolve()


def _archive(source: Path, target: Path) -> None:
    """Copy a build's files into a version's own folder (replacing what a refreshed draft had there)."""
    source, target = Path(source).resolve(), Path(target).resolve()
    if source == target:
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in ARCHIVED:
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
        elif (target / name).exists():
            (target / name).unlink()


def latest_version(session: Session, period: str | Period) -> ReportVersion | None:
    return session.scalars(select(ReportVersion).where(ReportVersion.period == period_key(period))
                           .order_by(ReportVersion.version.desc()).limit(1)).first()


def get_version(session: Session, period: str | Period, number: int | None = None) -> ReportVersion:
    """The version asked for, or the latest; NoReport (in Vietnamese) when there is none."""
    key = period_key(period)
    if number is None:
        version = latest_version(session, key)
        if version is None:
            raise NoReport(f"chưa có báo cáo kỳ {key}: chạy `mediaplan report build --period {key}` trước")
        return version
    version = session.scalar(select(ReportVersion).where(ReportVersion.period == key, ReportVersion.version == number))
    if version is None:
        raise NoReport(f"báo cáo kỳ {key} không có phiên bản {number}", field="version")
    return version


def list_versions(session: Session, period: str | Period | None = None) -> list[ReportVersion]:
    """Versions with their deliveries, newest period and version first."""
    query = (select(ReportVersion).options(selectinload(ReportVersion.deliveries))
             .order_by(ReportVersion.built_at.desc(), ReportVersion.version.desc()))
    if period is not None:
        query = query.where(ReportVersion.period == period_key(period))
    return list(session.scalars(query))


def record_version(session: Session, period: str | Period, out_dir: Path, figures: dict,
                   narrative: dict[str, str] | None = None, *, by: str | None = None) -> ReportVersion:
    """Record a build written to `out_dir` as a version of its period (flushed, not committed).

    The same content as the latest version: that version is kept (a draft gets the new files; an approved or
    sent one is left exactly as it was approved). Otherwise a new draft, numbered after the latest.
    """
    key = period_key(period)
    by = _name(by, "người tạo") if by else None
    narrative = dict(narrative or {})
    digest = content_hash(figures, narrative)
    latest = latest_version(session, key)
    if latest is not None and latest.content_hash == digest:
        if latest.state == ReportState.DRAFT:
            target = Path(latest.out_dir) if latest.out_dir else archive_dir(key, latest.version)
            _archive(Path(out_dir), target)
            latest.out_dir, latest.figures, latest.built_at = str(target), figures, utcnow()
            latest.built_by = by or latest.built_by
            session.flush()
        return latest
    number = (latest.version if latest else 0) + 1
    target = archive_dir(key, number)
    _archive(Path(out_dir), target)
    version = ReportVersion(period=key, version=number, state=ReportState.DRAFT, built_by=by, figures=figures,
                            narrative=narrative, out_dir=str(target), content_hash=digest)
    session.add(version)
    session.flush()
    return version


def approve(session: Session, period: str | Period, by: str, number: int | None = None) -> tuple[ReportVersion, bool]:
    """Approve a draft (the latest unless `number`): (the version, whether it was approved just now).

    Refused when the narrative was edited after the version was built: the analyst would approve a text
    that does not carry the edit (rebuild first).
    """
    by = _name(by, "người duyệt")
    version = get_version(session, period, number)
    if version.state != ReportState.DRAFT:
        return version, False
    if narrative_overrides(session, version.period) != (version.narrative or {}):
        raise ServiceError(f"phần nhận định của kỳ {version.period} đã được sửa sau khi tạo phiên bản {version.version}: "
                           f"chạy `mediaplan report build --period {version.period}` để tạo phiên bản mới rồi duyệt")
    if not (Path(version.out_dir) / "report.html").exists():
        raise ServiceError(f"không còn tệp của phiên bản {version.version} ở {version.out_dir}: "
                           f"chạy `mediaplan report build --period {version.period}` lại")
    version.state, version.approved_by, version.approved_at = ReportState.APPROVED, by, utcnow()
    session.flush()
    return version, True


def sendable(session: Session, period: str | Period, number: int | None = None) -> ReportVersion:
    """The version to e-mail: approved or already sent; a draft is refused with how to approve it."""
    version = get_version(session, period, number)
    if version.state in SENDABLE:
        if not (Path(version.out_dir) / "report.html").exists():
            raise NoReport(f"không còn tệp của phiên bản {version.version} ở {version.out_dir}")
        return version
    hint = ""
    if number is None:
        older = session.scalars(select(ReportVersion).where(ReportVersion.period == version.period,
                                                            ReportVersion.state.in_(SENDABLE))
                                .order_by(ReportVersion.version.desc()).limit(1)).first()
        if older is not None:
            hint = f"; phiên bản {older.version} đã duyệt (gửi nó bằng --version {older.version})"
    raise NotApproved(f"phiên bản {version.version} của báo cáo kỳ {version.period} là bản nháp, chưa được duyệt: "
                      f"không gửi. Duyệt bằng `mediaplan report approve --period {version.period} --by TÊN`{hint}")


def mark_sent(version: ReportVersion) -> None:
    """An approved version becomes sent when the first server accepts it."""
    if version.state == ReportState.APPROVED:
        version.state = ReportState.SENT


# --- narrative edits ---------------------------------------------------------------------------------------------


def narrative_overrides(session: Session, period: str | Period) -> dict[str, str]:
    """Section key → the analyst's text for that section of the period's report (only sections edited)."""
    rows = session.scalars(select(ReportNarrative).where(ReportNarrative.period == period_key(period)))
    return {r.section: r.text for r in rows}


def narrative_rows(session: Session, period: str | Period) -> list[ReportNarrative]:
    """The edits with who made them and when, in the report's order of sections."""
    order = list(NARRATIVE_SECTIONS)
    rows = session.scalars(select(ReportNarrative).where(ReportNarrative.period == period_key(period))).all()
    return sorted(rows, key=lambda r: order.index(r.section) if r.section in order else len(order))


def set_narrative(session: Session, period: str | Period, section: str, text: str, by: str) -> ReportNarrative | None:
    """Keep an analyst's text for one section of a period's report; an empty text goes back to the drafted one."""
    if section not in NARRATIVE_SECTIONS:
        raise ServiceError(f"{section!r} không hợp lệ; chọn một trong: {', '.join(NARRATIVE_SECTIONS)}", field="section")
    by = _name(by, "người sửa")
    key = period_key(period)
    row = session.scalar(select(ReportNarrative).where(ReportNarrative.period == key, ReportNarrative.section == section))
    text = (text or "").strip()
    if not text:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = ReportNarrative(period=key, section=section, text=text, edited_by=by)
        session.add(row)
    else:
        row.text, row.edited_by, row.edited_at = text, by, utcnow()
    session.flush()
    return row


def deliveries_of(session: Session, period: str | Period) -> list[ReportDelivery]:
    """Every delivery of the period's versions: version, then recipient."""
    return list(session.scalars(select(ReportDelivery).join(ReportVersion)
                                .options(selectinload(ReportDelivery.version))
                                .where(ReportVersion.period == period_key(period))
                                .order_by(ReportVersion.version, ReportDelivery.recipient)))
