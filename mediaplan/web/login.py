"""Signing in and out, and resetting a forgotten password by e-mail (`/login`, `/logout`, `/password-reset`).

The login form carries the anonymous session's CSRF token; a successful login starts a new session (a new
token), so a token or cookie planted before login is worth nothing after it. `next` only ever leads back
into this site.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from mediaplan.i18n import _
from mediaplan.services import users as accounts
from mediaplan.web.deps import SessionDep, templates
from mediaplan.web.security import end_session, public, start_session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site: "/x", never "//host" or "https://host" (an open redirect)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000
            or any(ord(c) < 0x20 or ord(c) == 0x7f for c in target)):  # a line break would split the header
        return "/"
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/login", response_class=HTMLResponse, dependencies=[public()])
def login_form(request: Request, next: str | None = None):
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[public()])
def login(request: Request, session: SessionDep, username: str = Form("", max_length=200),
          password: str = Form("", max_length=400), next: str = Form("/", max_length=2000)):
    try:
        user = accounts.authenticate(session, username, password, _address(request))
    except accounts.LoginRefused as refused:
        session.commit()  # the failed attempt (and a lock) is kept
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": refused.message,
                                          "username": username[:80]}, status_code=refused.status, headers=headers)
    session.commit()
    start_session(request, user.id, user.session_epoch)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[public()])
def logout(request: Request, session: SessionDep):
    """Ends the session here and everywhere its cookie may have been copied to (`users.end_sessions`)."""
    actor = request.state.user
    if actor is not None:
        accounts.end_sessions(session, actor.id)
        session.commit()
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/password-reset", response_class=HTMLResponse, dependencies=[public()])
def reset_form(request: Request):
    return templates.TemplateResponse(request, "password_reset.html", {"stage": "ask", "error": None})


@router.post("/password-reset", response_class=HTMLResponse, dependencies=[public()])
def reset_ask(request: Request, session: SessionDep, login: str = Form("", max_length=300)):
    error = None
    try:
        accounts.start_reset(session, login)
        session.commit()
    except OSError:  # the mail server is down: say so, keep nothing half-done
        session.rollback()
        error = _("Chưa gửi được thư (máy chủ thư không phản hồi); vui lòng thử lại sau.")
    return templates.TemplateResponse(request, "password_reset.html", {"stage": "sent" if not error else "ask",
                                      "error": error}, status_code=503 if error else 200)


@router.get("/password-reset/{token}", response_class=HTMLResponse, dependencies=[public()])
def reset_choose(request: Request, session: SessionDep, token: str):
    try:
        accounts.reset_target(session, token[:200])
    except ValueError as exc:
        return templates.TemplateResponse(request, "password_reset.html", {"stage": "invalid", "error": str(exc)},
                                          status_code=400)
    return templates.TemplateResponse(request, "password_reset.html", {"stage": "choose", "error": None, "token": token})


@router.post("/password-reset/{token}", response_class=HTMLResponse, dependencies=[public()])
def reset_finish(request: Request, session: SessionDep, token: str, password: str = Form("", max_length=400),
                 confirm: str = Form("", max_length=400)):
    if password != confirm:
        return templates.TemplateResponse(request, "password_reset.html", {
            "stage": "choose", "token": token, "error": _("Hai lần nhập mật khẩu không khớp.")}, status_code=400)
    try:
        accounts.finish_reset(session, token[:200], password)
    except ValueError as exc:
        return templates.TemplateResponse(request, "password_reset.html", {
            "stage": "choose", "token": token, "error": str(exc)}, status_code=400)
    session.commit()
    return templates.TemplateResponse(request, "password_reset.html", {"stage": "done", "error": None})
