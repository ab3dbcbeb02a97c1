"""What every page group shares: the database session, the templates and their filters,
and the small checks of query parameters that several pages take.

One module, so that a page module is only routes: it asks for a session with
`SessionDep`, renders with `templates`, and lets a bad month fail as one clear 400.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Iterator

from fastapi import Depends, Request
from fastapi import Path as PathParam
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from markupsafe import Markup, escape

from mediaplan import i18n
from mediaplan.db.schema import Item, Theme
from mediaplan.i18n import Labels
from mediaplan.localtime import local_today, to_local
from mediaplan import periods
from mediaplan.periods import check_month, current_month, month_of
from mediaplan.reports.metrics import DEFINITIONS
from mediaplan.web import links
from mediaplan.web.security import csrf_input, csrf_token, template_can
from mediaplan.vocab import CHANNELS, COVERAGE_STATUSES, FORMATS, PLATFORMS, label

HERE = Path(__file__).parent


def local(dt: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) time as people read it, in the plan's zone; "—" when there is none."""
    return to_local(dt).strftime(fmt) if dt else "—"


templates = Jinja2Templates(directory=HERE / "templates")
# `{{ _("…") }}` and `{% trans %}` in every template: Vietnamese is the source language, the msgid; on a page
# shown in English (the request's language, web/language.py) they read from the English catalogue (mediaplan/i18n).
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext)
templates.env.policies["ext.i18n.trimmed"] = True  # a {% trans %} paragraph is one msgid, its line breaks folded (babel.cfg too)


def month_choices(selected: str | None = None) -> list[tuple[str, str]]:
    """The months a page's month picker offers, newest first, named in the page's language ("tháng 11/2026",
    "November 2026"): from the plan's first month to this one, and the month shown if it lies outside.

    A <select> rather than <input type="month">, which the browser names in its own language whatever the page's."""
    from mediaplan.plans import current_plan

    starts = current_plan().meta.starts
    first, last = f"{starts.year:04d}-{starts.month:02d}", current_month()
    if selected:
        first, last = min(first, selected), max(last, selected)
    months, month = [], last
    while month >= first:
        months.append((month, i18n.month_name(month)))
        month = periods.shift_month(month, -1)
    return months


def vi_data(value) -> Markup | str:
    """`{{ name|vi }}`: Vietnamese data (a title, an outlet's or a theme's name) as it is, marked lang="vi" on a page
    shown in another language (correct HTML, and what tells the page's words from its data)."""
    if i18n.current() == "vi" or value is None or value == "":
        return value
    return Markup('<span lang="vi">%s</span>') % value


def vi_join(values, separator: str = ", ") -> Markup:
    """Several pieces of Vietnamese data in one sentence, each marked as `|vi` marks one."""
    return Markup(escape(separator)).join(escape(vi_data(v)) for v in values)


def vi_attr() -> Markup:
    """` lang="vi"` on an element of Vietnamese data (an <option>, a cell) when the page is not in Vietnamese."""
    return Markup("") if i18n.current() == "vi" else Markup(' lang="vi"')


# Monday first, as Vietnamese calendars print the week; translated where shown (`_(WEEKDAYS[n])`).
WEEKDAYS = (i18n.N_("Thứ Hai"), i18n.N_("Thứ Ba"), i18n.N_("Thứ Tư"), i18n.N_("Thứ Năm"), i18n.N_("Thứ Sáu"),
            i18n.N_("Thứ Bảy"), i18n.N_("Chủ Nhật"))

templates.env.filters["vi"] = vi_data
templates.env.globals.update(
    lang=i18n.current, vi_attr=vi_attr, number=i18n.number, decimal=i18n.decimal, percent=i18n.percent,
    month_name=i18n.month_name, period_name=i18n.period_name, capitalised=i18n.capitalised,
    LANGUAGE_NAMES=i18n.NAMES, WEEKDAYS=WEEKDAYS, month_choices=month_choices, vi_join=vi_join)
links.register(templates.env)  # `|safe_url`: only http(s) links become an href
templates.env.globals.update(csrf_input=csrf_input, csrf_token=csrf_token, can=template_can)
templates.env.globals.update(definitions=DEFINITIONS, label=label, local=local, FORMATS=Labels(FORMATS),
                             CHANNELS=Labels(CHANNELS), PLATFORMS=Labels(PLATFORMS),
                             COVERAGE_STATUSES=Labels(COVERAGE_STATUSES))


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, from the factory `create_app` put on the app."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def who(request: Request) -> str:
    """Who made a change, for the audit log: the signed-in user's name, never a header or a form field.

    Every route that changes something requires a signed-in user (`security.allow`), so this is never anonymous
    there; on a public route it says so.
    """
    actor = getattr(request.state, "user", None)
    return actor.username if actor else "(chưa đăng nhập)"


def theme_names(session: Session) -> dict[str, str]:
    return {t.code: t.name for t in session.scalars(select(Theme).order_by(Theme.position))}


def valid_month(session: Session, month: str | None) -> str:
    """The month asked for, or the latest month with items; a malformed one raises PeriodError (a 400)."""
    if month:
        return check_month(month)
    latest = session.scalar(select(func.max(Item.published_at)))
    return month_of(latest) if latest else current_month()


def parse_day(day: str | None) -> date:
    """A "YYYY-MM-DD" query parameter, today when absent; out of form or range is a PeriodError (a 400)."""
    return periods.parse_day(day) if day else local_today()


# Ids are PostgreSQL integers: a larger one cannot name a row, so it is refused (422) before any query.
MAX_ID = 2**31 - 1
DbId = Annotated[int, PathParam(ge=1, le=MAX_ID)]

