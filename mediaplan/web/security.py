"""Who is asking, may they, and is the request really theirs: sessions, roles, CSRF and security headers.

- `SessionMiddleware` reads the signed session cookie, loads its user (one primary-key lookup) into
  `request.state.user`, re-signs a used cookie (the idle expiry slides) and puts the security headers on every
  answer: a Content-Security-Policy with no inline script, nosniff, frame-ancestors 'none', a strict referrer.
- Every route names what it needs: `allow(Ability.X)` (signed in, with a role that grants X) or `public()`
  (the login form, /healthz, token-read feeds). A test refuses a route that names neither.
- Every state-changing request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token — the
  `csrf_token` form field or the `X-CSRF-Token` header — and, when the browser says where it comes from
  (Origin), come from this site.

Refusals: not signed in → a page goes to /login, the JSON API answers 401; a role without the ability → 403
with a Vietnamese message; a CSRF failure → 403.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Receive, Scope, Send

from mediaplan.auth.roles import REFUSALS, Ability, can
from mediaplan.auth.sessions import COOKIE, SessionData, Signer
from mediaplan.i18n import _
from mediaplan.services import users as accounts

log = logging.getLogger("mediaplan.security")

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-src 'self'; frame-ancestors 'none'")
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user as a request sees them (no ORM object outlives its session)."""

    id: int
    username: str
    role: str
    full_name: str

    def can(self, ability: Ability) -> bool:
        return can(self.role, ability)


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str):
        self.message = message


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


class SessionMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), so streamed exports stream and nothing is buffered."""

    def __init__(self, app: ASGIApp, signer: Signer, sessions):
        self.app, self.signer, self.sessions = app, signer, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        data = self.signer.loads(request.cookies.get(COOKIE))
        fresh = data is None
        data = data or SessionData()
        actor = None
        if data.user_id is not None:
            try:
                with self.sessions() as session:
                    user = accounts.current(session, data.user_id, data.epoch)
                    if user is not None:
                        actor = Actor(user.id, user.username, str(user.role), user.full_name)
            except SQLAlchemyError:
                log.exception("không đọc được tài khoản của phiên")
                response = JSONResponse({"detail": _("Cơ sở dữ liệu tạm thời không sẵn sàng; vui lòng thử lại sau.")},
                                        status_code=503, headers={"Retry-After": "30"})
                return await response(scope, receive, send)
            if actor is None:  # an ended session (new password, disabled account): start an anonymous one
                data, fresh = SessionData(), True
        state = scope.setdefault("state", {})
        state["user"], state["session"], state["session_changed"] = actor, data, fresh
        refresh = fresh or self.signer.needs_refresh(data)

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                for name, value in HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if actor is not None and b"cache-control" not in present and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))  # a signed-in page stays out of caches (V8.2.1)
                if self.signer.secure:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                current: SessionData = state["session"]
                if state.get("session_cleared"):
                    headers.append((b"set-cookie", _cookie("", self.signer, max_age=0).encode()))
                elif refresh or state.get("session_changed"):
                    headers.append((b"set-cookie", _cookie(self.signer.dumps(current.touched()), self.signer).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _cookie(value: str, signer: Signer, max_age: int | None = None) -> str:
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if signer.secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_of(request: Request) -> SessionData:
    return request.state.session


def start_session(request: Request, user_id: int, epoch: int) -> None:
    """After a successful login: a new session (and CSRF token) for that user, sent with the response."""
    request.state.session = session_of(request).signed_in(user_id, epoch)
    request.state.session_changed = True


def end_session(request: Request) -> None:
    request.state.session = SessionData()
    request.state.session_cleared = True


def _own_origins(request: Request) -> set[str]:
    from mediaplan.settings import get_settings

    host = request.headers.get("host", "")
    public = urlsplit(get_settings().public_url)
    return {f"{request.url.scheme}://{host}", f"{public.scheme}://{public.netloc}"}


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request without this session's token, or sent from another site."""
    if request.method not in UNSAFE:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin not in _own_origins(request):
        log.warning("yêu cầu %s %s từ nguồn khác (%s) bị từ chối", request.method, request.url.path, origin[:100])
        raise Forbidden(_("Yêu cầu gửi từ một trang khác bị từ chối."))
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden(_("Yêu cầu gửi từ một trang khác bị từ chối."))
    token = request.headers.get("x-csrf-token")
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            try:
                form = await request.form()
            except Exception:  # a malformed body: the route's own parsing will say so; here it has no token
                form = {}
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
    if not token or not hmac.compare_digest(token.encode(), session_of(request).csrf.encode()):
        raise Forbidden(_("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF); hãy tải lại trang rồi thử lại."))


def allow(ability: Ability):
    """A route's dependency: signed in, a role granting `ability`, and a valid CSRF token on a change."""

    async def dependency(request: Request) -> Actor:
        actor: Actor | None = request.state.user
        if actor is None:
            raise NotSignedIn()
        if not actor.can(ability):
            raise Forbidden(_(REFUSALS[ability]))
        await check_csrf(request)
        return actor

    dependency.ability = ability  # read by the route-table test
    return Depends(dependency)


def public():
    """A route open without signing in (its own token or nothing to protect); changes still need CSRF."""

    async def dependency(request: Request) -> None:
        await check_csrf(request)

    dependency.public = True
    return Depends(dependency)


# --- answers to refusals ------------------------------------------------------------------


def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": _("Cần đăng nhập.")}, status_code=401, headers={"WWW-Authenticate": "Cookie"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


def _forbidden(request: Request, exc: Forbidden) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": exc.message}, status_code=403)
    from mediaplan.web.deps import templates

    return templates.TemplateResponse(request, "error.html", {"status": 403, "message": exc.message}, status_code=403)


def install(app) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(Forbidden, _forbidden)


# --- template helpers ---------------------------------------------------------------------


def csrf_input(request: Request) -> Markup:
    """The hidden field every <form method="post"> carries."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">' % escape(session_of(request).csrf))


def csrf_token(request: Request) -> str:
    return session_of(request).csrf


def user_can(request: Request, ability: str) -> bool:
    actor = getattr(request.state, "user", None)
    return bool(actor and actor.can(Ability(ability)))


@pass_context
def template_can(context, ability: str) -> bool:
    """`can('labels')` in a template: whether the signed-in user may, so the page hides what they may not do."""
    return user_can(context["request"], ability)
