"""`mediaplan users add|passwd|disable|enable|list`: accounts, from the command line of the machine that runs the app.

A password is read from stdin with --password-stdin (for scripts), or generated and printed once; it is never
stored in clear anywhere.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from mediaplan.cli._kit import console, needs_db, refusals
from mediaplan.vocab import Role, label

users_app = typer.Typer(help="Tài khoản người dùng: thêm, đổi mật khẩu, vô hiệu hóa, kích hoạt lại, liệt kê.",
                        no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Đọc mật khẩu từ stdin (một dòng) thay vì tạo ngẫu nhiên.")]


def _stdin_password(enabled: bool) -> str | None:
    if not enabled:
        return None
    return sys.stdin.readline().rstrip("\r\n")


def _shown_once(username: str, password: str | None) -> None:
    if password:
        console.print(f"Mật khẩu của [bold]{username}[/] (chỉ hiện một lần): [bold]{password}[/]", highlight=False)


@users_app.command("add")
@needs_db
def add(name: Annotated[str, typer.Argument(help="Tên đăng nhập.")],
        role: Annotated[Role, typer.Option(help="admin, editor, analyst hoặc viewer.")],
        email: Annotated[Optional[str], typer.Option(help="Địa chỉ e-mail (nhắc việc, đặt lại mật khẩu).")] = None,
        full_name: Annotated[str, typer.Option("--full-name", help="Họ tên hiển thị.")] = "",
        desk: Annotated[Optional[str], typer.Option(help="Ban biên tập (biên tập viên).")] = None,
        password_stdin: PasswordStdin = False):
    """Thêm một tài khoản."""
    from mediaplan.db import session_scope
    from mediaplan.services.users import add_user

    password = _stdin_password(password_stdin)
    with refusals(), session_scope() as session:
        user, generated = add_user(session, name, role, email=email, password=password, full_name=full_name, desk=desk)
        console.print(f"Đã thêm tài khoản [bold]{user.username}[/] ({label('role', user.role)}).", highlight=False)
    _shown_once(name, generated)


@users_app.command("passwd")
@needs_db
def passwd(name: Annotated[str, typer.Argument(help="Tên đăng nhập.")], password_stdin: PasswordStdin = False):
    """Đặt mật khẩu mới (mọi phiên đang mở của người đó kết thúc)."""
    from mediaplan.db import session_scope
    from mediaplan.services.users import set_password

    password = _stdin_password(password_stdin)
    with refusals(), session_scope() as session:
        generated = set_password(session, name, password)
    console.print(f"Đã đổi mật khẩu của [bold]{name}[/].", highlight=False)
    _shown_once(name, generated)


@users_app.command("disable")
@needs_db
def disable(name: Annotated[str, typer.Argument(help="Tên đăng nhập.")]):
    """Vô hiệu hóa một tài khoản (không xóa: nhật ký vẫn giữ tên người đó)."""
    from mediaplan.db import session_scope
    from mediaplan.services.users import disable as disable_user

    with refusals(), session_scope() as session:
        disable_user(session, name)
    console.print(f"Đã vô hiệu hóa tài khoản [bold]{name}[/].", highlight=False)


@users_app.command("enable")
@needs_db
def enable(name: Annotated[str, typer.Argument(help="Tên đăng nhập.")]):
    """Kích hoạt lại một tài khoản đã vô hiệu hóa (kể cả tài khoản tạo từ tên người phụ trách cũ, migration 0010:
    tài khoản đó chưa có mật khẩu, đặt bằng mediaplan users passwd)."""
    from mediaplan.db import session_scope
    from mediaplan.services.users import enable as enable_user

    with refusals(), session_scope() as session:
        user = enable_user(session, name)
        username, has_password = user.username, bool(user.password_hash)
    console.print(f"Đã kích hoạt tài khoản [bold]{username}[/].", highlight=False)
    if not has_password:
        console.print(f"Tài khoản chưa có mật khẩu để đăng nhập web: mediaplan users passwd {username}", highlight=False)


@users_app.command("list")
@needs_db
def list_(as_json: Annotated[bool, typer.Option("--json", help="In JSON, mỗi dòng một tài khoản.")] = False):
    """Liệt kê các tài khoản."""
    import json

    from mediaplan.db import session_scope
    from mediaplan.services.users import list_users

    with session_scope() as session:
        rows = [{"username": u.username, "role": str(u.role), "email": u.email, "full_name": u.full_name,
                 "desk": u.desk, "disabled": u.disabled, "has_password": bool(u.password_hash)} for u in list_users(session)]
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table("Tên đăng nhập", "Vai trò", "E-mail", "Họ tên", "Ban", "Trạng thái")
    for r in rows:
        table.add_row(r["username"], label("role", r["role"]), r["email"] or "—", r["full_name"] or "—", r["desk"] or "—",
                      "vô hiệu hóa" if r["disabled"] else ("chưa có mật khẩu" if not r["has_password"] else "hoạt động"))
    console.print(table)
