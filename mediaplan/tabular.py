"""The one writer of tables for people: XLSX and CSV, used by every export.

Cells that a spreadsheet would run as a formula (text starting with =, +, -, @, a
tab or a carriage return) are written as text with a leading apostrophe, so a
crawled headline such as "=HYPERLINK(…)" can never execute in the Department's Excel.
Rows are written as they come (openpyxl's write-only mode, csv.writer), so an export
of a million rows streams instead of building the workbook in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value that a spreadsheet shows as written; numbers, dates and booleans pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    return value


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = field(default_factory=tuple)


def write_xlsx(target: Path | IO[bytes], sheets: Iterable[Sheet]) -> int:
    """Write the sheets (header bold on a tint, frozen) and return how many data rows were written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF5")
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title[:31])
        for n, width in enumerate(sheet.widths, 1):
            ws.column_dimensions[get_column_letter(n)].width = width
        ws.freeze_panes = "A2"
        cells = []
        for name in sheet.header:
            cell = WriteOnlyCell(ws, value=safe_cell(name))
            cell.font, cell.fill, cell.alignment = head_font, head_fill, wrap
            cells.append(cell)
        ws.append(cells)
        for row in sheet.rows:
            ws.append([safe_cell(v) for v in row])
            count += 1
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        wb.save(str(target))
    else:
        wb.save(target)
    return count


def write_csv(target: Path | IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = True) -> int:
    """CSV with a BOM by default (so Excel opens Vietnamese correctly); formulas neutralised."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as fh:
            return write_csv(fh, header, rows, bom=False)
    writer = csv.writer(target)
    writer.writerow([safe_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return count
