"""`mediaplan units …`: the units the plan names (V.6), as data: who they are, where they belong, what we watch."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import typer

from mediaplan.cli._kit import console, needs_db, refusals

units_app = typer.Typer(help="Các đơn vị kế hoạch giao nhiệm vụ (mục V.6): sở, ban, ngành; xã, phường, đặc khu; cơ quan báo chí.",
                        no_args_is_help=True)


class Format(str, Enum):
    table = "table"
    jsonl = "jsonl"


@units_app.command("list")
@needs_db
def units_list(
    kind: Annotated[Optional[str], typer.Option("--kind", help="Chỉ một loại: department, commune, outlet, province.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table (mặc định) hoặc jsonl: mỗi dòng một đơn vị.")] = Format.table,
):
    """Mọi đơn vị: mã, tên, loại, đơn vị chủ quản, biên chế, trang thông tin điện tử, có được theo dõi không và các nguồn."""
    from rich.table import Table

    from mediaplan.db import session_scope
    from mediaplan.services.unit_list import list_units

    with refusals(), session_scope() as session:
        units = list_units(session, kind)
    if fmt is Format.jsonl:
        for unit in units:
            typer.echo(json.dumps(unit, ensure_ascii=False))
        return
    table = Table(title=f"{len(units)} đơn vị; {sum(u['monitored'] for u in units)} đang được theo dõi")
    for column in ("Mã", "Tên", "Loại", "Trang thông tin điện tử", "Theo dõi", "Nguồn"):
        table.add_column(column, overflow="fold")
    for u in units:
        kind_label = u["unit_type"] or u["kind"]
        listed = ", ".join(s["key"] + ("" if s["enabled"] else " (tắt)") for s in u["sources"])
        table.add_row(u["key"], u["name"], kind_label, u["portal"] or "—", "có" if u["monitored"] else "không", listed or "—")
    console.print(table)
