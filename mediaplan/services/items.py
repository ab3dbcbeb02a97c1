"""Items for people outside the app: the export with labels, and editors' theme corrections.

The export streams: rows come from the database in batches (`yield_per`) and go
straight to the writer, and the month and theme filters run in SQL, so exporting a
year of 100k items neither loads them all nor scans them in Python. CSV and XLSX go
through `mediaplan.tabular`, which neutralises cells a spreadsheet would run as a
formula; JSONL keeps the text exactly as stored.

Each row also says why: who decided the education flag (`nlp.decided`), the model's probability and top terms,
and each theme's method and rule evidence, all from the columns of rows already loaded (no query per row).
JSONL gives the evidence as data with its offsets; CSV and XLSX as readable text ("học sinh (0,34); …").
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
from mediaplan.nlp.decided import decided_by, decimal
from mediaplan.nlp.labels import set_label
from mediaplan.periods import check_month, month_bounds
from mediaplan.services import ServiceError
from mediaplan.tabular import Sheet, write_csv, write_xlsx
from mediaplan.vocab import ExportFormat


EXPORT_FIELDS = ("id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
                 "published_at", "themes", "education", "nq71", "cluster_id",
                 # Why: who decided the education flag (rules|model|or|and|editor, `nlp.decided`), the model's
                 # probability and top terms, and each theme's method and rule evidence (all with offsets in JSONL).
                 "education_decided_by", "education_probability", "education_model_terms", "theme_evidence")
EVIDENCE_KEYS = ("text", "field", "start", "end", "weight")
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
            "education": bool(item.education), "nq71": bool(item.nq71), "cluster_id": item.cluster_id,
            "education_decided_by": decided_by(item),
            "education_probability": None if item.education_probability is None else round(item.education_probability, 3),
            "education_model_terms": [_evidence(e) for e in item.education_evidence or []],
            "theme_evidence": [{"theme": t.theme_code, "method": _code(t.method),
                                "evidence": [_evidence(e) for e in t.evidence or []]}
                               for t in sorted(item.themes, key=lambda t: t.theme_code) if not t.removed]}


def _evidence(e: dict) -> dict[str, Any]:
    """One piece of evidence as exported: always the same keys, in the same order."""
    return {k: e.get(k) for k in EVIDENCE_KEYS}


def _code(value: str | None) -> str | None:
    return None if value is None else str(value)


def export_rows(session: Session, month: str | None = None, theme: str | None = None) -> Iterator[dict[str, Any]]:
    """The exported rows, fetched in batches; the filters are checked before anything is read."""
    result = session.scalars(export_query(month, theme).execution_options(yield_per=BATCH))
    return (export_row(item) for item in result)


def _terms_cell(terms: list[dict]) -> str:
    """The model's terms for a person: "học sinh (0,34); trường (0,43)"."""
    return "; ".join(f"{t['text']} ({decimal(t['weight'])})" for t in terms)


def _themes_cell(themes: list[dict]) -> str:
    """Each theme's method and distinct matched phrases: "teachers (rule): nhà giáo, thầy cô | exemplary (manual)"."""
    parts = []
    for t in themes:
        phrases: dict[str, str] = {}  # each phrase once, as first written ("Thư viện" and "thư viện" are one)
        for e in t["evidence"]:
            if e.get("text"):
                phrases.setdefault(e["text"].lower(), e["text"])
        parts.append(f"{t['theme']} ({t['method']})" + (f": {', '.join(phrases.values())}" if phrases else ""))
    return " | ".join(parts)


_TABULAR = {"themes": ";".join, "education_model_terms": _terms_cell, "theme_evidence": _themes_cell}


def _cells(rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """Rows for CSV and XLSX: lists made readable text (the writer then neutralises formulas in every cell)."""
    for r in rows:
        yield [_TABULAR[f](r[f]) if f in _TABULAR else r[f] for f in EXPORT_FIELDS]


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
