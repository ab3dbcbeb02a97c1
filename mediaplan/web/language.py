"""The language switch: Vietnamese pages by default, English for whoever asks (`POST /language`).

The choice is a cookie, `mediaplan_lang` (vi | en, a year, HttpOnly, SameSite=Lax, Secure on an https
deployment as the session cookie is), so it holds before signing in and across sessions. `LanguageMiddleware`
reads it on every request and sets the current language (`mediaplan.i18n`) for the templates, the vocabularies'
labels and the messages; the browser's Accept-Language is not followed: Vietnamese first.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mediaplan import i18n
from mediaplan.web.login import _safe_next as safe_next  # only a path of this site
from mediaplan.web.security import public

router = APIRouter()

COOKIE = "mediaplan_lang"
MAX_AGE = 365 * 24 * 3600


class LanguageMiddleware:
    """Pure ASGI: the request's language from its cookie, for everything the request renders.

    The language is set, not reset, in the request's own context: the error pages of the outer middleware are
    rendered after the app returns, still in that language, and every request sets it afresh."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            i18n.set_current(language_of(Request(scope)))
        await self.app(scope, receive, send)


def language_of(request: Request) -> str:
    return i18n.language(request.cookies.get(COOKIE)) or i18n.DEFAULT


def cookie_header(lang: str, secure: bool) -> str:
    parts = [f"{COOKIE}={lang}", "Path=/", f"Max-Age={MAX_AGE}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


@router.post("/language", dependencies=[public()])
def switch(request: Request, lang: str = Form("", max_length=10), next: str = Form("/", max_length=8000)):
    """Remember the language chosen and go back to the page it was chosen on (303), or to the dashboard when `next`
    is not a page of this site (or longer than any link of it); an unknown language is a 400."""
    from fastapi import HTTPException

    from mediaplan.settings import get_settings

    chosen = i18n.language(lang)
    if chosen is None:
        raise HTTPException(400, i18n.gettext("Ngôn ngữ không hợp lệ; chọn vi hoặc en."))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.headers.append("set-cookie", cookie_header(chosen, get_settings().public_url.startswith("https://")))
    return response
