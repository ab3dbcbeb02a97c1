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

from mediaplan.db.schema import Item, Theme
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
links.register(templates.env)  # `|safe_url`: only http(s) links become an href
templates.env.globals.update(csrf_input=csrf_input, csrf_token=csrf_token, can=template_can)
templates.env.globals.update(definitions=DEFINITIONS, label=label, local=local, FORMATS=FORMATS, CHANNELS=CHANNELS, PLATFORMS=PLATFORMS,
                             COVERAGE_STATUSES=COVERAGE_STATUSES)


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

