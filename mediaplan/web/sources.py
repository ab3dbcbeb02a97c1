"""The sources page (`/sources`): is each source collecting, which have gone silent, and, for an admin, the
forms that add a source and turn one off or on again.

Every figure and every reason comes from `services.sources.overview`, which `mediaplan sources list` prints
too, so the page and the command line never disagree. The changes go through the services the CLI calls
(`add_source`, `set_enabled`), in the signed-in admin's name (`deps.who`). They are plain HTML forms with
the CSRF token, no script; each change answers with a redirect back to the page (a reload repeats nothing),
and a refused one shows the page again with the reason and what was typed, as a 4xx.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from mediaplan.auth.roles import Ability
from mediaplan.i18n import N_, _
from mediaplan.services import NotFound, ServiceError
from mediaplan.services.sources import (INTERVAL_MAX, INTERVAL_MIN, KEY_MAX, PATTERN_MAX, URL_MAX, SourceExists,
                                        add_source, outlets, overview, set_enabled, silence_note)
from mediaplan.settings import get_settings
from mediaplan.vocab import Channel, CrawlStatus, Platform, SourceKind
from mediaplan.web.deps import SessionDep, templates, who
from mediaplan.web.security import allow

router = APIRouter()

FIELDS = ("key", "outlet", "kind", "url", "channel", "platform", "interval", "article_pattern", "next_page")
LIMITS = {"key": KEY_MAX, "url": URL_MAX, "article_pattern": PATTERN_MAX, "next_page": PATTERN_MAX}
DONE = {"enabled": N_("Đã bật nguồn {key}."), "disabled": N_("Đã tắt nguồn {key}: không thu thập nữa, tin đã có được giữ lại."),
        "added": N_("Đã thêm nguồn {key}. Bộ lập lịch thu thập nó sau lần khởi động lại tới; "
                    "muốn lấy ngay: mediaplan crawl --source {key}.")}


def _page(request: Request, session: Session, *, typed: dict[str, str] | None = None, error: str | None = None,
          error_field: str | None = None, done: tuple[str, str] | None = None, status: int = 200) -> HTMLResponse:
    view = overview(session, get_settings())
    rows = view.rows
    # What the last change did, said only about a source that exists: a crafted link cannot put words on the page.
    message = _(DONE[done[0]]).format(key=done[1]) if done and done[0] in DONE and done[1] in {r.source.key for r in rows} else None
    summary = {
        "all": len(rows),
        "collecting": sum(1 for r in rows if not r.idle),
        "off": sum(1 for r in rows if not r.source.enabled),
        "failing": sum(1 for r in rows if r.source.consecutive_failures),
    }
    return templates.TemplateResponse(request, "sources.html", {
        "view": view, "rows": rows, "summary": summary, "silent": [(r, silence_note(r.health)) for r in view.silent],
        "outlets": outlets(session), "kinds": SourceKind.labels(), "channels": Channel.labels(),
        "platforms": Platform.labels(), "typed": typed or {"interval": "60"}, "from_form": typed is not None, "error": error, "error_field": error_field,
        "done": message, "changed": done[1] if message else None, "run_status": CrawlStatus.labels(), "limits": LIMITS,
        "interval_min": INTERVAL_MIN, "interval_max": INTERVAL_MAX}, status_code=status)


@router.get("/sources", response_class=HTMLResponse, dependencies=[allow(Ability.READ)])
def sources(request: Request, session: SessionDep, done: str | None = None, key: str | None = None):
    """The table of every source and the silent-source warnings; `done` and `key` say what the last change did."""
    return _page(request, session, done=(done, key) if done and key else None)


def _back(done: str, key: str) -> RedirectResponse:
    """PRG: back to the page, to the changed row, saying what was done."""
    return RedirectResponse(f"/sources?{urlencode({'done': done, 'key': key})}#source-{quote(key, safe='')}", status_code=303)


def _switch(request: Request, session: Session, key: str, enabled: bool) -> HTMLResponse | RedirectResponse:
    try:
        set_enabled(session, key, enabled, by=who(request))
    except NotFound as exc:
        session.rollback()
        return _page(request, session, error=str(exc), status=404)
    session.commit()
    return _back("enabled" if enabled else "disabled", key)


@router.post("/sources/{key}/enable", response_class=HTMLResponse, dependencies=[allow(Ability.SOURCES)])
def enable(request: Request, key: str, session: SessionDep):
    """Turn a source on again (as `mediaplan sources enable KEY`)."""
    return _switch(request, session, key, True)


@router.post("/sources/{key}/disable", response_class=HTMLResponse, dependencies=[allow(Ability.SOURCES)])
def disable(request: Request, key: str, session: SessionDep):
    """Stop collecting a source, keeping its items (as `mediaplan sources disable KEY`); kept across `init`."""
    return _switch(request, session, key, False)


@router.post("/sources", response_class=HTMLResponse, dependencies=[allow(Ability.SOURCES)])
def add(request: Request, session: SessionDep, key: str = Form(""), outlet: str = Form(""), kind: str = Form(""),
        url: str = Form(""), channel: str = Form(""), platform: str = Form(""), interval: str = Form("60"),
        article_pattern: str = Form(""), next_page: str = Form("")):
    """Add a source (as `mediaplan sources add`), in the admin's name. Every field is taken as text and checked
    by the service, so an over-long or malformed value is a 400 with its reason next to the form, a taken key a
    409, never a 500."""
    values = dict(zip(FIELDS, (key, outlet, kind, url, channel, platform, interval, article_pattern, next_page)))
    typed = {k: v[:LIMITS.get(k, 200)] for k, v in values.items()}  # echoed into the form, never longer than a column
    try:
        text = interval.strip()
        if not text.isdigit() or len(text) > 6:
            raise ServiceError(_("chu kỳ là số phút, từ %(min)s đến %(max)s") % {"min": INTERVAL_MIN, "max": INTERVAL_MAX},
                               field="interval")
        source = add_source(session, key, outlet=outlet, kind=kind, url=url, channel=channel, platform=platform or None,
                            interval=int(text), article_pattern=article_pattern.strip() or None,
                            next_page=next_page.strip() or None, added_by=who(request))
    except ServiceError as exc:
        session.rollback()
        return _page(request, session, typed=typed, error=str(exc), error_field=exc.field,
                     status=409 if isinstance(exc, SourceExists) else 400)
    session.commit()
    return _back("added", source.key)
