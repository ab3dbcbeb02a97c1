"""The review queue (`/review`, issue 10): the items where the rules and the learned education model disagree,
then those the model is least sure of, each with what the machine said and why, and one button per label.

Each button is its own small form (`label`, `decision` = keep | drop, `by`, and `after` to come back to the same
page); a decision is a manual label (`services.review.decide`), so `nlp train` learns from it. The reviewer is
the signed-in user (`deps.who`), never a typed name: a `by` field or parameter that an old page still sends
is ignored. A user whose role may not review sees the queue with its buttons disabled.

Bad input is answered with the queue page again, the reason on top, and a 4xx status: 404 for an item that
is not there, 400 otherwise; nothing is written then.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from mediaplan.db.schema import Item
from mediaplan.i18n import N_, _
from mediaplan.nlp.decided import KIND_LABELS, decimal, education_view, versus
from mediaplan.services import NotFound, ServiceError
from mediaplan.services import review as svc
from mediaplan.vocab import ThemeMethod
from mediaplan.periods import shown
from mediaplan.auth.roles import Ability
from mediaplan.web.deps import MAX_ID, DbId, SessionDep, templates, theme_names, who
from mediaplan.web.security import allow, user_can

router = APIRouter()

DECISIONS = {"keep": True, "drop": False}
NAME_MAX = 80  # items.reviewed_by and item_themes.set_by are String(80)
EVIDENCE_SHOWN = 6  # rule phrases shown per theme


def _cursor(after: str | None) -> svc.Cursor | None:
    """The page position of a link, refused (a ServiceError, so a 400) unless its id can name a row and its
    priority is a number: `1_99999999999999999999` was a 500 on PostgreSQL ("integer out of range")."""
    cursor = svc.Cursor.parse(after)
    if cursor is not None and not (0 <= cursor.item_id <= MAX_ID and math.isfinite(cursor.priority)):
        raise ServiceError(_("vị trí trang không hợp lệ: %(after)s") % {"after": shown(after)}, field="after")
    return cursor


def _yesno(value: bool | None) -> str:
    return "—" if value is None else (_("có") if value else _("không"))


# What `services.review.reason` answers, translated where the card shows it.
REASONS = (N_("mô hình và quy tắc không thống nhất về cờ giáo dục"), N_("mô hình chưa chắc chắn"))


def _card(item: Item, names: dict[str, str]) -> dict:
    """What the page shows of one queued item: the flag's row, one row per current theme, the themes to add."""
    view = education_view(item)  # the item page's derivation: who decided, the rules', the model's view
    flag = {
        "current": _yesno(view.flag),
        "by": f"{_('biên tập viên')} {view.by or ''}".strip() if view.decided_by == "editor" else _(view.label),
        "rules": _yesno(view.rules),
        "probability": None if view.probability is None else versus(view.probability, view.threshold),
        "threshold": decimal(view.threshold),
        "kind": _(KIND_LABELS[view.kind]),
        "model": _yesno(view.model),
        "terms": [{"text": e.get("text", ""), "weight": decimal(e.get("weight"))}
                  for e in (item.education_evidence or []) if e.get("text")],
    }
    themes = []
    for t in sorted((t for t in item.themes if not t.removed), key=lambda t: (-(t.score or 0), t.theme_code)):
        seen: dict[str, str] = {}
        for e in t.evidence or []:
            text = (e.get("text") or "").strip()
            if text and text.lower() not in seen:
                seen[text.lower()] = text
        if t.method == ThemeMethod.MANUAL:
            how = f"{_('biên tập viên')} {t.set_by or ''}".strip()
        elif t.method == ThemeMethod.MODEL:
            how = _("mô hình, xác suất %(p)s") % {"p": decimal(t.score)}
        else:
            how = _("quy tắc, điểm %(score)s") % {"score": decimal(t.score, 1)}
        themes.append({"code": t.theme_code, "name": names.get(t.theme_code, t.theme_code), "method": str(t.method),
                       "how": how, "evidence": list(seen.values())[:EVIDENCE_SHOWN]})
    current = {t["code"] for t in themes}
    return {"item": item, "reason": _(svc.reason(item)),
            "disagree": (item.review_priority or 0) > 1, "flag": flag, "themes": themes,
            "missing": [(code, name) for code, name in names.items() if code not in current]}


def _page(request: Request, session: Session, *, after: str | None = None, by: str | None = None,
          saved: str | None = None, error: str | None = None, status: int = 200) -> HTMLResponse:
    """The queue page from `after` on (the first page when None); `error` is shown on top with `status`."""
    try:
        cursor = _cursor(after)
    except ServiceError as exc:
        error, status, cursor, after = error or str(exc), 400 if status == 200 else status, None, None
    name = who(request) if user_can(request, Ability.REVIEW) else ""
    names = theme_names(session)
    items, following = svc.queue(session, after=cursor)
    done_item = None
    if saved and saved.isdigit() and len(saved) < 11 and int(saved) <= MAX_ID:  # a larger id names no row (a 500 on PG)
        done_item = session.get(Item, int(saved))
    return templates.TemplateResponse(request, "review.html", {
        "cards": [_card(i, names) for i in items], "size": svc.queue_size(session),
        "after": str(cursor) if cursor else "", "next": str(following) if following else "",
        "by": name, "error": error, "saved": done_item,
        "first_link": "/review",
        "next_link": f"/review?{urlencode({'after': str(following)})}" if following else "",
    }, status_code=status)


def _back(after: str, by: str, item_id: int) -> RedirectResponse:
    """After a decision: the same page of the queue, the decision acknowledged (303, no re-POST)."""
    query = {**({"after": after} if after else {}), "saved": str(item_id)}
    return RedirectResponse(f"/review?{urlencode(query)}", status_code=303)


def _refused(request: Request, session: Session, exc: ServiceError, after: str, by: str) -> HTMLResponse:
    session.rollback()  # nothing of a refused decision is kept
    safe_by = by if exc.field != "by" else ""
    return _page(request, session, after=after, by=safe_by, error=str(exc), status=404 if isinstance(exc, NotFound) else 400)


@router.get("/review", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def review_page(request: Request, session: SessionDep, after: str | None = None, by: str | None = None,
                saved: str | None = None):
    return _page(request, session, after=after, by=by, saved=saved)


@router.post("/review/{item_id}", response_class=HTMLResponse, dependencies=[allow(Ability.REVIEW)])
def review_decide(request: Request, item_id: DbId, session: SessionDep, label: str = Form(""),
                  decision: str = Form(""), by: str = Form(""), after: str = Form("")):
    """One editor's decision on one label of one item: the flag (`education`) or a theme, kept or dropped."""
    try:
        _cursor(after)
        name = who(request)
        if decision not in DECISIONS:
            raise ServiceError(_("quyết định phải là “đúng” (keep) hoặc “sai” (drop)"), field="decision")
        label = label.strip()
        if not label:
            raise ServiceError(_("chưa chọn nhãn cần quyết định"), field="label")
        if label != svc.EDUCATION and label not in theme_names(session):
            raise ServiceError(_("không có chủ đề %(label)r") % {"label": label}, field="label")
        svc.decide(session, item_id, label, DECISIONS[decision], name)
    except ServiceError as exc:
        return _refused(request, session, exc, after, by)
    session.commit()
    return _back(after, name, item_id)


@router.post("/review/{item_id}/done", response_class=HTMLResponse, dependencies=[allow(Ability.REVIEW)])
def review_done(request: Request, item_id: DbId, session: SessionDep, by: str = Form(""), after: str = Form("")):
    """The editor looked and has nothing to change: the item leaves the queue as it is."""
    try:
        _cursor(after)
        name = who(request)
        svc.done(session, item_id, name)
    except ServiceError as exc:
        return _refused(request, session, exc, after, by)
    session.commit()
    return _back(after, name, item_id)
