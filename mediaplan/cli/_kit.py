"""What every `mediaplan` sub-command shares: consoles, failing with one clear line, a ready database."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays one line, whatever the terminal width


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]Lỗi:[/] {message}")
    raise typer.Exit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a refusal of the domain or a service (a ValueError, message in Vietnamese) into one line and exit 1.

    When a service names the argument whose form is wrong, the line starts with its option (`--url …`).
    """
    try:
        yield
    except ValueError as exc:
        field = getattr(exc, "field", None)
        fail(f"--{field.replace('_', '-')} {exc}" if field else str(exc))


def needs_db(command):
    """Migrate (and load the plan on a new database) before a command that reads or writes it."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from mediaplan.db import ensure_ready

        with refusals():  # a plan that does not load: its PlanError names the file and line
            ensure_ready()
        return command(*args, **kwargs)

    return wrapper


def month(value: str) -> str:
    """A valid "YYYY-MM", or exit with the reason."""
    from mediaplan.periods import check_month

    with refusals():
        return check_month(value)
