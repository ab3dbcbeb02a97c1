"""`mediaplan targets …`: figures of the plan's targets that are counted by hand."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

import typer

from mediaplan.auth.roles import Ability
from mediaplan.cli._kit import By, acting_user, console, fail, needs_db, refusals

targets_app = typer.Typer(help="Chỉ tiêu của Kế hoạch (số liệu nhập tay).", no_args_is_help=True)


@targets_app.command("set")
@needs_db
def targets_set(
    key: Annotated[str, typer.Argument(help="Mã chỉ tiêu, ví dụ staff_trained_2030.")],
    value: Annotated[float, typer.Option(help="Số liệu (tỷ lệ 0–1 cho phần trăm).")],
    evidence: Annotated[str, typer.Option(help="Nguồn của số liệu (số văn bản, danh sách).")],
    as_of: Annotated[Optional[str], typer.Option(help="Ngày của số liệu, YYYY-MM-DD (mặc định hôm nay).")] = None,
    by: By = None,
):
    """Nhập số liệu chỉ tiêu đếm tay, kèm chứng cứ."""
    from mediaplan.db import session_scope
    from mediaplan.services.targets import set_target_value

    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of {as_of!r}: dùng dạng YYYY-MM-DD")
    by = acting_user(by, Ability.REGISTERS)  # the web's ability for the plan's indicators
    with refusals(), session_scope() as session:
        row = set_target_value(session, key, value, evidence, as_of=when, by=by)
        when = row.as_of
    console.print(f"Đã ghi {key} = {value} ({when})")
