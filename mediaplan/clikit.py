"""What every `mediaplan` sub-command shares: consoles, failing with a clear message, a ready database."""

from __future__ import annotations

import functools
from datetime import datetime

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1):
    err.print(f"[red]Lỗi:[/] {message}")
    raise typer.Exit(code)


def needs_db(command):
    """Migrate (and load the plan on a new database) before a command that reads or writes it."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from mediaplan.db import ensure_ready
        from mediaplan.plans import PlanError

        try:
            ensure_ready()
        except PlanError as exc:
            fail(str(exc))
        return command(*args, **kwargs)

    return wrapper


def month(value: str) -> str:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        fail(f"tháng không hợp lệ {value!r}: dùng dạng YYYY-MM, ví dụ 2026-11")
    return value
