"""A small, readable web app in Vietnamese: each page is one route, one query, one template."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from mediaplan.calendar.month import month_bounds
from mediaplan.db import get_engine
from mediaplan.db.schema import Item, ItemTheme, Outlet, Theme
from mediaplan.nlp.normalize import fold, normalize
from mediaplan.plans import current_plan
from mediaplan.reports.metrics import compute
from mediaplan.web.calendar_pages import calendar_router
from mediaplan.vocab import CHANNELS, FORMATS, PIECE_STATUSES, label

HERE = Path(__file__).parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_SIZE = 50


def local(dt: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return dt.astimezone(TZ).strftime(fmt) if dt else "—"


def highlight(text: str, spans: list[tuple[int, int, str]]) -> Markup:
    """Mark evidence spans (start, end, title) in a text, escaping everything else."""
    out, pos = [], 0
    for start, end, title in sorted(set(spans)):
        if start < pos:
            continue
        out.append(escape(text[pos:start]))
        out.append(Markup('<mark title="{}">{}</mark>').format(title, text[start:end]))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def create_app(database_url: str | None = None) -> FastAPI:
    app = FastAPI(title="mediaplan", docs_url="/api/docs", redoc_url=None)
    factory = sessionmaker(get_engine(database_url), expire_on_commit=False)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(label=label, local=local, FORMATS=FORMATS, CHANNELS=CHANNELS, STATUSES=PIECE_STATUSES)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def db() -> Iterator[Session]:
        with factory() as session:
            yield session

    def theme_names(session: Session) -> dict[str, str]:
        return {t.code: t.name for t in session.scalars(select(Theme).order_by(Theme.position))}

    def latest_month(session: Session) -> str:
        latest = session.scalar(select(func.max(Item.published_at)))
        return local(latest or datetime.now(TZ), "%Y-%m")

    def valid_month(session: Session, month: str | None) -> str:
        if not month:
            return latest_month(session)
        try:
            month_bounds(month)
        except ValueError:
            raise HTTPException(400, f"Tháng không hợp lệ: {month!r} (dạng YYYY-MM)")
        return month

    @app.get("/healthz")
    def healthz(session: Session = Depends(db)):
        return {"ok": True, "items": session.scalar(select(func.count(Item.id)))}

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request, month: str | None = None, session: Session = Depends(db)):
        month = valid_month(session, month)
        figures = compute(session, month)
        # Month series: education items per month over the last 6 months with data.
        months = Counter(local(i, "%Y-%m") for i in session.scalars(select(Item.published_at).where(Item.education.is_(True))) if i)
        series = sorted(months.items())[-6:]
        return templates.TemplateResponse(request, "dashboard.html", {
            "f": figures, "month": month, "series": series, "max_series": max([n for _, n in series] or [1]),
            "max_theme": max([t["items"] for t in figures["themes"]] or [1]) or 1,
        })

    @app.get("/items", response_class=HTMLResponse)
    def items(request: Request, theme: str | None = None, outlet: str | None = None, month: str | None = None,
              q: str | None = None, education: str | None = None, page: int = Query(1, ge=1),
              session: Session = Depends(db)):
        query = select(Item).options(selectinload(Item.themes), selectinload(Item.outlet)).order_by(Item.published_at.desc(), Item.id.desc())
        if month:
            start, end = month_bounds(valid_month(session, month))
            query = query.where(Item.published_at >= start, Item.published_at < end)
        if theme:
            query = query.where(Item.id.in_(select(ItemTheme.item_id).where(ItemTheme.theme_code == theme, ItemTheme.removed.is_(False))))
        if outlet:
            query = query.where(Item.outlet_id.in_(select(Outlet.id).where(Outlet.key == outlet)))
        if education == "1":
            query = query.where(Item.education.is_(True))
        rows = list(session.scalars(query))
        if q:
            # An accented query means what it says (Sơn Hà ≠ Sơn Hạ); a query typed without accents,
            # or an accented one with no exact match, falls back to the accent-folded text.
            needle = normalize(q).lower()
            folded = fold(needle)
            exact = [i for i in rows if needle in f"{i.title}\n{i.sapo}\n{i.body}".lower()]
            if exact and folded != needle:
                rows = exact
            else:
                rows = exact + [i for i in rows if i not in exact and folded in fold(f"{i.title}\n{i.sapo}\n{i.body}")]
        ambiguous = []
        if q and fold(normalize(q).lower()) == normalize(q).lower():  # typed without accents
            ambiguous = [forms for key, forms in current_plan().fold_collisions.items() if key in fold(normalize(q).lower())]
        total = len(rows)
        rows = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        return templates.TemplateResponse(request, "items.html", {
            "items": rows, "total": total, "ambiguous": ambiguous, "page": page, "pages": (total + PAGE_SIZE - 1) // PAGE_SIZE,
            "themes": theme_names(session), "outlets": session.scalars(select(Outlet).order_by(Outlet.name)).all(),
            "filters": {"theme": theme or "", "outlet": outlet or "", "month": month or "", "q": q or "", "education": education or ""},
        })

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(request: Request, item_id: int, session: Session = Depends(db)):
        item = session.get(Item, item_id, options=[selectinload(Item.themes), selectinload(Item.entities)])
        if item is None:
            raise HTTPException(404, "Không tìm thấy tin, bài")
        names = theme_names(session)
        spans: dict[str, list] = {"title": [], "sapo": [], "body": []}
        for t in item.themes:
            for e in t.evidence or []:
                spans.setdefault(e["field"], []).append((e["start"], e["end"], names.get(t.theme_code, t.theme_code)))
        siblings = []
        if item.cluster_id:
            siblings = session.scalars(select(Item).where(Item.cluster_id == item.cluster_id, Item.id != item.id)).all()
        return templates.TemplateResponse(request, "item.html", {
            "item": item, "names": names,
            "title_html": highlight(item.title, spans["title"]), "sapo_html": highlight(item.sapo, spans["sapo"]),
            "body_html": [highlight(p, []) for p in item.body.split("\n\n")] if not spans["body"] else None,
            "body_marked": highlight(item.body, spans["body"]) if spans["body"] else None,
            "siblings": siblings,
        })

    @app.post("/items/{item_id}/labels")
    def item_label(item_id: int, theme: str = Form(...), action: str = Form(...), by: str = Form(...),
                   session: Session = Depends(db)):
        """An editor's correction from the item page; the page is shown again with it applied."""
        from mediaplan.nlp.labels import LabelError, set_label

        try:
            set_label(session, item_id, theme, action, by)
        except LabelError as exc:
            raise HTTPException(400, str(exc))
        session.commit()
        return RedirectResponse(f"/items/{item_id}#themes", status_code=303)

    app.include_router(calendar_router(db, templates, theme_names, valid_month))

    return app
