"""Items for people outside the app: the export with labels, and editors' theme corrections.

The export streams: rows come from the database in batches (`yield_per`) and go
straight to the writer, and the month and theme filters run in SQL, so exporting a
year of 100k items neither loads them all nor scans them in Python. CSV and XLSX go
through `mediaplan.tabular`, which neutralises cells a spreadsheet would run as a
formula; JSONL keeps the text exactly as stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import Item, ItemTheme
from mediaplan.localtime import to_local
from mediaplan.nlp.labels import set_label
from mediaplan.periods import check_month, month_bounds
from mediaplan.services import ServiceError
from mediaplan.tabular import Sheet, write_csv, write_xlsx
from mediaplan.vocab import ExportFormat


EXPORT_FIELDS = ("id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
                 "published_at", "themes", "education", "nq71", "cluster_id")
BATCH = 500


def export_query(month: str | None = None, theme: str | None = None) -> Select:
    """Items in publication order, optionally of one local month and with one (not removed) theme."""
    query = (select(Item).options(selectinload(Item.themes), selectinload(Item.outlet), selectinload(Item.source))
             .order_by(Item.published_at, Item.id))
    if month:
        start, end = month_bounds(check_month(month))
        query = query.where(Item.published_at >= start, Item.published_at < end)
    if theme:
        query = query.where(exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_code == theme,
                                           ItemTheme.removed.is_(False)))
    return query


def export_row(item: Item) -> dict[str, Any]:
    """One item as exported: codes as plain strings, the time in the local zone with its offset."""
    return {"id": item.id, "url": item.url, "outlet": item.outlet.key, "source": item.source.key if item.source else None,
            "kind": _code(item.kind), "channel": _code(item.channel), "format": _code(item.format),
            "title": item.title, "sapo": item.sapo, "body": item.body, "author": item.author,
            "published_at": to_local(item.published_at).isoformat() if item.published_at else None,
            "themes": sorted(t.theme_code for t in item.themes if not t.removed),
            "education": bool(item.education), "nq71": bool(item.nq71), "cluster_id": item.cluster_id}


def _code(value: str | None) -> str | None:
    return None if value is None else str(value)


def export_rows(session: Session, month: str | None = None, theme: str | None = None) -> Iterator[dict[str, Any]]:
    """The exported rows, fetched in batches; the filters are checked before anything is read."""
    result = session.scalars(export_query(month, theme).execution_options(yield_per=BATCH))
    return (export_row(item) for item in result)


def _cells(rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for r in rows:
        yield [";".join(r[f]) if f == "themes" else r[f] for f in EXPORT_FIELDS]


def export_items(session: Session, fmt: str, out: Path | IO, *, month: str | None = None,
                 theme: str | None = None) -> int:
    """Write the items (of `month`, with `theme`, both optional) to `out` and return how many were written.

    `out` is a path (its folder is created), or an open stream: text for jsonl and csv, binary for xlsx.
    A CSV file has no BOM, as the export always had; spreadsheet formulas are neutralised in CSV and XLSX.
    """
    try:
        fmt = ExportFormat.parse(fmt)
    except ValueError as exc:
        raise ServiceError(str(exc), field="format") from None
    rows = export_rows(session, month, theme)
    if fmt == ExportFormat.XLSX:
        return write_xlsx(out, [Sheet("items", EXPORT_FIELDS, _cells(rows))])
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="" if fmt == ExportFormat.CSV else None) as fh:
            return _write_text(fmt, rows, fh)
    return _write_text(fmt, rows, out)


def _write_text(fmt: ExportFormat, rows: Iterator[dict[str, Any]], stream: IO[str]) -> int:
    if fmt == ExportFormat.CSV:
        return write_csv(stream, EXPORT_FIELDS, _cells(rows), bom=False)
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def label_item(session: Session, item_id: int, changes: Iterable[tuple[str, str]], by: str) -> list[tuple[str, str]]:
    """Apply an editor's (action, theme) corrections to one item, all or none; a LabelError names a bad one."""
    changes = list(changes)
    if not changes:
        raise ServiceError("cần ít nhất một chủ đề để thêm, bỏ hoặc xác nhận")
    for action, theme in changes:
        set_label(session, item_id, theme, action, by)
    return changes
