"""What every `mediaplan` sub-command shares: consoles, failing with one clear line, a ready database."""

from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from mediaplan.auth.roles import Ability

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


BY_HELP = "Tên đăng nhập của người thực hiện; mặc định MEDIAPLAN_USER."
# The --by option of every command that records who acted; `acting_user` turns it into a username.
By = Annotated[Optional[str], typer.Option("--by", help=BY_HELP)]


def acting_user(by: str | None, ability: Ability) -> str:
    """The username of the person acting: the enabled account `--by` names (its username, or its e-mail), else
    the one MEDIAPLAN_USER names, whose role grants `ability` (auth.roles.GRANTS); otherwise one line and exit 1.

    What the audit log, a label, a review decision, a report's approval or a register's entry records is this
    username, never free text. Call it before writing anything: a refusal leaves the database as it was.
    """
    from sqlalchemy import func, select

    from mediaplan.auth.roles import REFUSALS, can
    from mediaplan.db import session_scope
    from mediaplan.db.schema import User
    from mediaplan.vocab import label

    given, where = (by, "--by") if by is not None else (os.environ.get("MEDIAPLAN_USER"), "MEDIAPLAN_USER")
    name = unicodedata.normalize("NFC", (given or "").strip())
    if not name:
        fail("cần biết ai thực hiện: dùng --by TÊN_ĐĂNG_NHẬP hoặc đặt biến môi trường MEDIAPLAN_USER")
    shown = escape(repr(name[:80]))
    with session_scope() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None and "@" in name:
            owners = session.scalars(select(User).where(func.lower(User.email) == name.lower())
                                     .order_by(User.disabled, User.username)).all()
            enabled = [u for u in owners if not u.disabled]
            if len(enabled) > 1:
                fail(f"{where} {shown}: e-mail này thuộc nhiều tài khoản ({', '.join(u.username for u in enabled)}); "
                     "dùng tên đăng nhập")
            user = owners[0] if owners else None
        if user is None:
            same_name = session.scalars(select(User.username).where(func.lower(User.full_name) == name.lower(),
                                                                    User.disabled.is_(False)).order_by(User.username)).all()
            hint = f"; có phải {', '.join(same_name)}?" if same_name else ""
            fail(f"{where} {shown}: không có tài khoản này; người thực hiện phải là một tài khoản đang hoạt động "
                 f"(tên đăng nhập, xem mediaplan users list){escape(hint)}")
        if user.disabled:
            fail(f"{where} {shown}: tài khoản {escape(user.username)} đã bị vô hiệu hóa "
                 f"(quản trị bật lại: mediaplan users enable {escape(user.username)})")
        if not can(user.role, ability):
            fail(f"tài khoản {escape(user.username)} có vai trò {label('role', user.role)}, không được làm việc này: "
                 f"{REFUSALS[ability]}")
        return user.username


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
