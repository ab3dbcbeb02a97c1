"""A web request's time budget for the database: past it, the request answers 503 with Retry-After.

The statement timeout (`web_statement_timeout_ms`) bounds one query, but a page runs ten or so, and under load the
page can take a minute (at 1M items, 50 users on two cores: 20 requests of 600 got no answer in 60 s).
`BudgetMiddleware` gives each request a deadline (`web_request_budget_ms`, read per request from
`app.state.request_budget_ms`; a report build, the exports and the e-mails sent from a page `lift` it). Before
each statement, `install`'s hook refuses to start one past it (`OverBudget`, answered like a busy database:
`errors.busy`) and, on PostgreSQL, lowers the connection's statement timeout to what is left when that is a
second or more below it (again after a rollback, which may have undone it); the connection's next checkout puts
it back. A request then ends within about its budget and a second. The CLI has no deadline.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

SLACK_MS = 1000  # the statement timeout is lowered only when the budget left is this much below it
TIMEOUT_KEY = "mediaplan_statement_timeout_ms"  # a lowered statement timeout, in the connection's pool record
UNKNOWN = float("inf")  # that lowered timeout after a rollback, which may have undone it


class _Deadline:
    """One request's deadline (monotonic seconds), shared by every context copy the request makes (its endpoint's
    thread, a streamed body's): `lift` clears it for all of them."""
    __slots__ = ("at",)

    def __init__(self, at: float | None):
        self.at = at


DEADLINE: ContextVar[_Deadline | None] = ContextVar("mediaplan_request_deadline", default=None)


def lift() -> None:
    """No budget for the rest of this request: work the user asked to wait for (a report build, an export streamed
    from a server-side cursor, e-mails), which the statement timeout alone bounds, query by query."""
    if (held := DEADLINE.get()) is not None:
        held.at = None


class OverBudget(SQLAlchemyError):
    """The request has used its time budget: no further statement is started. A database error to whoever catches
    those (the session middleware's 503), answered like a busy database by the app (`errors.busy`)."""


class BudgetMiddleware:
    """Sets the request's deadline for the statements it runs (its endpoint's thread sees it: the context is
    copied into the threadpool)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        app = scope.get("app")
        budget = getattr(app.state, "request_budget_ms", 0) if scope["type"] == "http" and app is not None else 0
        if budget <= 0:
            return await self.app(scope, receive, send)
        token = DEADLINE.set(_Deadline(time.monotonic() + budget / 1000))
        try:
            await self.app(scope, receive, send)
        finally:
            DEADLINE.reset(token)


def install(engine, statement_timeout_ms: int) -> None:
    """Check each statement against the request's deadline (once per engine). `statement_timeout_ms` is the web's
    own limit (0: none), which a connection whose timeout a budget lowered gets back at its next checkout."""
    if getattr(engine, "_mediaplan_budget", False):
        return
    postgres = engine.dialect.name == "postgresql"

    if postgres:
        @event.listens_for(engine, "checkout")
        def _restore(dbapi_conn, record, _proxy):
            if record.info.pop(TIMEOUT_KEY, None) is not None:
                with dbapi_conn.cursor() as cur:
                    cur.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
                dbapi_conn.commit()

        @event.listens_for(engine, "rollback")
        def _undone(conn):
            # A rollback undoes a SET of the same transaction (and keeps one committed before): the timeout is now
            # unknown, so the next statement sets it again, and the next checkout still puts it back.
            if TIMEOUT_KEY in conn.info:
                conn.info[TIMEOUT_KEY] = UNKNOWN

        @event.listens_for(engine, "rollback_savepoint")
        def _undone_to_savepoint(conn, _name, _context):
            _undone(conn)

    @event.listens_for(engine, "before_cursor_execute")
    def _within_budget(conn, cursor, statement, parameters, context, executemany):
        held = DEADLINE.get()
        if held is None or held.at is None:
            return
        left = int((held.at - time.monotonic()) * 1000)
        if left <= 0:
            raise OverBudget("hết thời gian dành cho yêu cầu")
        if not postgres:
            return
        current = conn.info.get(TIMEOUT_KEY, statement_timeout_ms) or float("inf")  # 0: no limit
        if left + SLACK_MS <= current:
            with conn.connection.dbapi_connection.cursor() as cur:
                cur.execute(f"SET statement_timeout = {left}")
            conn.info[TIMEOUT_KEY] = left

    engine._mediaplan_budget = True
