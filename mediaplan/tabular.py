"""The one writer of tables for people: XLSX and CSV, used by every export.

Cells that a spreadsheet would run as a formula (text starting with =, +, -, @, a
tab or a carriage return) are written as text with a leading apostrophe, so a
crawled headline such as "=HYPERLINK(…)" can never execute in the Department's Excel.
Rows are written as they come (openpyxl's write-only mode into the zip entry, csv.writer), so an
export of a million rows streams instead of building the workbook in memory, and leaves no file
anywhere but where it was asked to write. `iter_csv` and `iter_xlsx` give the same tables as the bytes of a
download, produced as the response reads them (the web's item export).
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
    """Write the sheets (header bold on a tint, frozen) and return how many data rows were written.

    Each sheet's rows go straight into its compressed entry of the workbook's zip, in `target` (a path or a
    binary stream): nothing is written anywhere else. openpyxl on its own puts every sheet in a named
    temporary file first and deletes it only once the save completes, so an export that failed or was
    abandoned midway left `openpyxl.*` files in the temporary folder until the process ended (`_SheetWriter`).
    A failed export also removes the half-written file at `target`.
    """
    steps = _xlsx_steps(target, sheets)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


class _Sink:
    """A write-only byte buffer that is emptied as it is read: the zip archive of `iter_xlsx` writes into it
    (having no tell() or seek(), it is written as a stream, sizes after each entry), the response reads it."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk) -> int:
        self.data += chunk
        return len(chunk)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


def iter_xlsx(sheets: Iterable[Sheet], chunk: int = 1 << 16) -> Iterator[bytes]:
    """The workbook `write_xlsx` writes, as the bytes of a download, about `chunk` bytes at a time.

    The rows are read as the bytes are asked for, so a web response streams a million rows with only the
    chunk in memory and no file anywhere; closing the iterator midway (the client went away) stops the rows.
    """
    sink = _Sink()
    steps = _xlsx_steps(sink, sheets)
    try:
        for _ in steps:
            if len(sink.data) >= chunk:
                yield sink.take()
    finally:
        steps.close()
    yield sink.take()


def _xlsx_steps(target: Path | IO[bytes], sheets: Iterable[Sheet]) -> Generator[None, None, int]:
    """`write_xlsx`, one step (yield) per row written; returns the number of data rows."""
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF5")
    wrap = Alignment(wrap_text=True, vertical="top")
    count, entry = 0, None
    archive = ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        for n, sheet in enumerate([*sheets] or [Sheet("Sheet", [], [])], 1):
            ws = wb.create_sheet(title=sheet.title[:31])
            for k, width in enumerate(sheet.widths, 1):
                ws.column_dimensions[get_column_letter(k)].width = width
            ws.freeze_panes = "A2"
            ws._id = n  # its part name, xl/worksheets/sheetN.xml, as openpyxl numbers sheets when it saves
            entry = archive.open(ws.path[1:], "w", force_zip64=True)
            ws._writer = _sheet_writer(ws, entry)  # set before the first row, so openpyxl makes no file of its own
            cells = []
            for name in sheet.header:
                cell = WriteOnlyCell(ws, value=safe_cell(name))
                cell.font, cell.fill, cell.alignment = head_font, head_fill, wrap
                cells.append(cell)
            ws.append(cells)
            for row in sheet.rows:
                ws.append([safe_cell(v) for v in row])
                count += 1
                yield
            ws.close()
            entry.close()
            entry = None
        wb.properties.modified = datetime.now(timezone.utc).replace(tzinfo=None)
        _workbook_writer(wb, archive).save()  # the other parts (styles, workbook, manifest); closes the archive
    except BaseException:
        # Stop the half-written sheet's generators now (else the garbage collector does, printing lxml's
        # complaints), then the entry and the archive; the original error is the one that matters.
        open_sheet = wb.worksheets[-1] if entry is not None and wb.worksheets else None
        for close in (getattr(open_sheet, "_rows", None), getattr(getattr(open_sheet, "_writer", None), "xf", None),
                      entry, archive):
            try:
                if close is not None:
                    close.close()
            except Exception:
                pass
        if isinstance(target, Path):
            target.unlink(missing_ok=True)
        raise
    return count


def _sheet_writer(ws, out: IO[bytes]):
    """openpyxl's sheet writer, writing into `out` (the sheet's zip entry) instead of a temporary file."""
    from openpyxl.worksheet._writer import WorksheetWriter

    class _SheetWriter(WorksheetWriter):
        def cleanup(self) -> None:  # there is no temporary file to remove
            pass

    writer = _SheetWriter(ws, out=out)
    writer.write_top()
    return writer


def _workbook_writer(wb, archive):
    """openpyxl's workbook writer, told that each sheet's part is already in the archive."""
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.writer.excel import ExcelWriter

    class _Writer(ExcelWriter):
        def write_worksheet(self, ws) -> None:
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts, ws._drawing.images = ws._charts, ws._images
            ws._rels = ws._writer._rels
            self.manifest.append(ws)

    return _Writer(wb, archive)


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


def iter_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = True, batch: int = 500) -> Iterator[bytes]:
    """The CSV `write_csv` writes, as UTF-8 bytes of a download (the BOM first), `batch` rows at a time."""
    import io

    buffer = io.StringIO("\ufeff" if bom else "")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        pending += 1
        if pending >= batch:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()
