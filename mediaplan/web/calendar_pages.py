"""The editorial calendar in the browser: month grid and week view, backlog, quick-add,
drag and drop, gaps, printable budget, exports and tokenised iCal feeds.

Pages are server-rendered; the only script (static/calendar.js) posts a move or a
quick-add to the JSON API and updates the grid in place. A shared link
(/calendar/share/TOKEN) shows the same calendar read-only, for Department users.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.calendar import stories as planning
from mediaplan.calendar.month import Filters, month_view, week_view
from mediaplan.calendar.workflow import WorkflowError
from mediaplan.db.schema import Coverage, Outlet
from mediaplan.vocab import FORMATS, PIECE_STATUSES, PLATFORMS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
# 20 colours that stay apart on white and for common colour blindness (Tableau 20, reordered).
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


class MoveIn(BaseModel):
    on: date | None = Field(None, alias="date")  # keep the time of day, change the day (drag and drop)
    publish_at: datetime | None = None  # or an exact new time (naive = Vietnam time)


class StoryIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    on: date | None = Field(None, alias="date")  # empty: the ideas backlog
    time: str = "08:00"
    platform: str | None = "online"
    format: str | None = "news"
    themes: list[str] = Field(default_factory=list)
    assignee: str | None = None
    outlet: str | None = "baoquangngai"
    brief: str = ""
    priority: int = 2


class LinkIn(BaseModel):
    accept: bool = True


class StatusIn(BaseModel):
    status: str
    note: str = ""


def calendar_router(db, templates, theme_names, valid_month) -> APIRouter:
    router = APIRouter()

    def who(request: Request) -> str:
        return request.headers.get("X-User") or "biên tập viên (web)"

    def colours(session: Session) -> dict[str, str]:
        return {code: PALETTE[n % len(PALETTE)] for n, code in enumerate(theme_names(session))}

    def render(request: Request, session: Session, month: str | None, view: str, day: str | None, filters: Filters,
               readonly: bool, share: str | None = None):
        if view not in ("month", "week"):
            raise HTTPException(400, "view là month hoặc week")
        if view == "week":
            try:
                anchor = date.fromisoformat(day) if day else datetime.now(TZ).date()
            except ValueError:
                raise HTTPException(400, f"Ngày không hợp lệ: {day!r} (dạng YYYY-MM-DD)")
            days = week_view(session, anchor, filters)
            weeks = [days]
            month = f"{anchor:%Y-%m}"
            title = f"Tuần {days[0].day:%d/%m} – {days[-1].day:%d/%m/%Y}"
            prev_q, next_q = f"view=week&day={anchor - timedelta(days=7)}", f"view=week&day={anchor + timedelta(days=7)}"
        else:
            month = valid_month(session, month)
            days = month_view(session, month, filters)
            weeks, week = [], [None] * days[0].day.weekday()  # Monday first, as Vietnamese calendars print it
            for d in days:
                week.append(d)
                if len(week) == 7:
                    weeks.append(week)
                    week = []
            if week:
                weeks.append(week + [None] * (7 - len(week)))
            year, mon = (int(x) for x in month.split("-"))
            title = f"Tháng {mon}/{year}"
            prev_q = f"month={year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
            next_q = f"month={year + (mon == 12)}-{mon % 12 + 1:02d}"
        names = theme_names(session)
        used = {t for w in weeks for d in w if d for c in d.coverages for t in (c.story.themes or [])}
        outlets = session.scalars(select(Outlet).where(Outlet.kind == "press").order_by(Outlet.name)).all()
        assignees = sorted(set(session.scalars(select(Coverage.assignee).where(Coverage.assignee.is_not(None)))))
        keep = "&".join(f"{k}={v}" for k, v in vars(filters).items() if v)
        return templates.TemplateResponse(request, "calendar.html", {
            "weeks": weeks, "view": view, "month": month, "title": title, "weekdays": WEEKDAYS,
            "prev_q": prev_q + (f"&{keep}" if keep else ""), "next_q": next_q + (f"&{keep}" if keep else ""),
            "names": names, "colours": colours(session), "legend": [c for c in names if c in used],
            "filters": vars(filters), "outlets": outlets, "assignees": assignees, "readonly": readonly,
            "backlog": [] if readonly else planning.backlog(session), "share": share,
            "PLATFORMS": PLATFORMS, "FORMATS": FORMATS, "COVERAGE_STATUSES": PIECE_STATUSES,
            "today": datetime.now(TZ).date(),
        })

    @router.get("/calendar", response_class=HTMLResponse)
    def calendar_page(request: Request, month: str | None = None, view: str = "month", day: str | None = None,
                      outlet: str | None = None, platform: str | None = None, theme: str | None = None,
                      assignee: str | None = None, status: str | None = None, session: Session = Depends(db)):
        filters = Filters(outlet or None, platform or None, theme or None, assignee or None, status or None)
        return render(request, session, month, view, day, filters, readonly=False)

    @router.get("/calendar/share/{token}", response_class=HTMLResponse)
    def shared(request: Request, token: str, month: str | None = None, view: str = "month", day: str | None = None,
               session: Session = Depends(db)):
        from mediaplan.calendar.ical import scope_of

        scope = scope_of(session, token)
        if scope is None:
            raise HTTPException(404, "Đường dẫn không còn hiệu lực")
        kind, key = scope
        filters = Filters(**({kind if kind != "user" else "assignee": key} if kind != "all" else {}))
        return render(request, session, month, view, day, filters, readonly=True, share=token)

    @router.post("/api/coverages/{coverage_id}/move")
    def api_move(coverage_id: int, body: MoveIn, request: Request, session: Session = Depends(db)):
        try:
            coverage = planning.get_coverage(session, coverage_id)
            if body.publish_at is not None:
                when = body.publish_at
            elif body.on is not None and coverage.publish_at is not None:
                when = datetime.combine(body.on, coverage.publish_at.astimezone(TZ).time(), TZ)
            elif body.on is not None:
                when = datetime.combine(body.on, time(8, 0), TZ)
            else:
                raise HTTPException(400, "cần date hoặc publish_at")
            planning.move(session, coverage, when, who(request))
        except planning.PlanningError as exc:
            raise HTTPException(404, str(exc))
        session.commit()
        return _coverage_json(coverage)

    @router.post("/api/coverages/{coverage_id}/status")
    def api_status(coverage_id: int, body: StatusIn, request: Request, session: Session = Depends(db)):
        try:
            coverage = planning.get_coverage(session, coverage_id)
            planning.set_status(session, coverage, body.status, who(request), body.note)
        except planning.PlanningError as exc:
            raise HTTPException(404, str(exc))
        except WorkflowError as exc:
            raise HTTPException(409, str(exc))
        session.commit()
        return _coverage_json(coverage)

    @router.post("/api/coverages/{coverage_id}/deliveries/{item_id}")
    def api_confirm_link(coverage_id: int, item_id: int, body: LinkIn, request: Request, session: Session = Depends(db)):
        """An editor confirms or rejects a link the monitor suggested (or links an item by hand)."""
        from mediaplan.calendar.linking import confirm

        try:
            coverage = planning.get_coverage(session, coverage_id)
            confirm(session, coverage, item_id, who(request), accept=body.accept)
        except (planning.PlanningError, ValueError) as exc:
            raise HTTPException(404, str(exc))
        session.commit()
        return _coverage_json(coverage)

    @router.post("/api/stories")
    def api_add_story(body: StoryIn, request: Request, session: Session = Depends(db)):
        try:
            when = None
            if body.on:
                hour, minute = (int(x) for x in body.time.split(":"))
                when = datetime.combine(body.on, time(hour, minute), TZ)
            coverages = [dict(platform=body.platform, fmt=body.format, outlet=body.outlet, publish_at=when,
                              assignee=body.assignee or None)] if when else []
            story = planning.add_story(session, body.title, who(request), brief=body.brief, themes=body.themes,
                                       planned_on=body.on, priority=body.priority, coverages=coverages)
        except (planning.PlanningError, ValueError) as exc:
            raise HTTPException(400, str(exc))
        session.commit()
        return {"story": story.id, "coverages": [_coverage_json(c) for c in story.coverages]}

    @router.get("/ical/{token}.ics")
    def ical_feed(token: str, due: bool = False, session: Session = Depends(db)):
        from mediaplan.calendar.ical import build_feed, scope_of

        scope = scope_of(session, token)
        if scope is None:
            raise HTTPException(404, "Đường dẫn đăng ký không còn hiệu lực (mã đã được tạo lại?)")
        cal = build_feed(session, scope[0], scope[1], include_due=due)
        return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")

    @router.get("/calendar/gaps", response_class=HTMLResponse)
    def gaps_page(request: Request, month: str | None = None, weeks: int = 4, session: Session = Depends(db)):
        from mediaplan.calendar.conflicts import find_conflicts
        from mediaplan.calendar.gaps import compute_gaps

        month = valid_month(session, month)
        today = datetime.now(TZ).date()
        return templates.TemplateResponse(request, "gaps.html", {
            "g": compute_gaps(session, month, weeks=weeks), "month": month, "weeks": weeks,
            "conflicts": find_conflicts(session, today, today + timedelta(weeks=weeks)),
        })

    @router.get("/calendar/budget", response_class=HTMLResponse)
    def budget_page(request: Request, day: str | None = None, days: int = 1, session: Session = Depends(db)):
        from mediaplan.calendar.exports import budget

        if days not in (1, 7):
            raise HTTPException(400, "days là 1 (một ngày) hoặc 7 (một tuần)")
        try:
            first = date.fromisoformat(day) if day else datetime.now(TZ).date()
        except ValueError:
            raise HTTPException(400, f"Ngày không hợp lệ: {day!r} (dạng YYYY-MM-DD)")
        if days == 7:
            first -= timedelta(days=first.weekday())
        return templates.TemplateResponse(request, "budget.html", {
            "rows": budget(session, first, days), "first": first, "days": days, "names": theme_names(session)})

    @router.get("/calendar/export")
    def export(month: str, format: str = "xlsx", session: Session = Depends(db)):
        from mediaplan.calendar.exports import write_plan

        month = valid_month(session, month)
        if format not in ("csv", "xlsx"):
            raise HTTPException(400, "format là csv hoặc xlsx")
        out = Path(tempfile.mkdtemp()) / f"ke-hoach-{month}.{format}"
        write_plan(session, month, out)
        media = "text/csv; charset=utf-8" if format == "csv" else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return FileResponse(out, media_type=media, filename=out.name)

    return router


def _coverage_json(c: Coverage) -> dict:
    return {"id": c.id, "story": c.story_id, "title": c.story.title, "status": c.status, "sequence": c.sequence,
            "publish_at": c.publish_at.astimezone(TZ).isoformat() if c.publish_at else None,
            "due_at": c.due_at.astimezone(TZ).isoformat() if c.due_at else None,
            "date": c.publish_at.astimezone(TZ).date().isoformat() if c.publish_at else None,
            "time": c.publish_at.astimezone(TZ).strftime("%H:%M") if c.publish_at else None}
