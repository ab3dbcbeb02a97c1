"""The web app, in Vietnamese (English through the language switch, web/language.py): one router per page
group (web/dashboard.py, items.py, calendar.py, ical.py) plus the calendar's JSON API (web/api.py), sharing web/deps.py."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import sessionmaker

from mediaplan.db import get_engine
from mediaplan.periods import PeriodError
from mediaplan.settings import get_settings
from mediaplan.auth.sessions import Signer
from mediaplan.web import api, budget, calendar, dashboard, errors, ical, items, login, reports, review, security, sources, units
from mediaplan.web.deps import HERE
from mediaplan.web import language, registers


def _bad_period(request: Request, exc: PeriodError) -> JSONResponse:
    """A malformed month in a link or a form is the user's to fix: one line, not a server error."""
    return JSONResponse({"detail": str(exc)}, status_code=400)


def _limit_statements(engine) -> None:
    """On PostgreSQL, every connection the web app checks out gets `statement_timeout`: one slow query answers
    503 (errors.busy) instead of holding a worker and a connection while 49 other users wait."""
    ms = get_settings().web_statement_timeout_ms
    if engine.dialect.name != "postgresql" or ms <= 0 or getattr(engine, "_mediaplan_web_limit", None) == ms:
        return

    @event.listens_for(engine, "checkout")
    def _timeout(dbapi_conn, _record, _proxy):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(ms)}")
        dbapi_conn.commit()

    engine._mediaplan_web_limit = ms


def create_app(database_url: str | None = None) -> FastAPI:
    app = FastAPI(title="mediaplan", docs_url=None, redoc_url=None)  # the API's description: /api/v1/openapi.json
    engine = get_engine(database_url)
    _limit_statements(engine)
    budget.install(engine, get_settings().web_statement_timeout_ms)
    app.state.request_budget_ms = get_settings().web_request_budget_ms
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (login, dashboard, items, calendar, api, ical, review, units, reports, sources):
        app.include_router(module.router)
    app.include_router(registers.router)
    app.include_router(language.router)
    app.add_exception_handler(PeriodError, _bad_period)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(SATimeoutError, errors.busy)  # every pooled connection in use
    app.add_exception_handler(OperationalError, errors.busy)  # the database went away, or a query ran too long
    app.add_exception_handler(budget.OverBudget, errors.busy)  # the request used its time (web/budget.py)
    app.add_exception_handler(Exception, errors.server_error)
    security.install(app)
    app.add_middleware(security.SessionMiddleware, signer=Signer(get_settings()), sessions=app.state.sessions)
    app.add_middleware(budget.BudgetMiddleware)
    app.add_middleware(language.LanguageMiddleware)  # outermost: every answer, error pages included, in the request's language
    return app
