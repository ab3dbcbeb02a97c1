"""The export says why (issue 10): who decided the education flag, the model's probability and top terms, and
each theme's method and rule evidence, in JSONL (as data, with offsets), CSV and XLSX (as readable text,
formulas neutralised), still streamed in batches with no query per row."""

import csv
import io
import json
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import event, select

from mediaplan.db import get_engine, session_scope
from mediaplan.db.schema import Item
from mediaplan.services import items as export
from mediaplan.services.items import EXPORT_FIELDS, export_items, export_rows
from test_web_items import SHORT_NEWS, add_items, add_short_item

OLD_FIELDS = ("id", "url", "outlet", "source", "kind", "channel", "format", "title", "sapo", "body", "author",
              "published_at", "themes", "education", "nq71", "cluster_id")
NEW_FIELDS = ("education_decided_by", "education_probability", "education_model_terms", "theme_evidence")


def exported(tmp_path, month: str = "2026-11") -> tuple[dict, dict, dict]:
    """The rows of the three formats, by item id: JSONL rows, CSV rows, XLSX rows (header → value)."""
    with session_scope() as session:
        text, table = io.StringIO(), io.StringIO()
        n = export_items(session, "jsonl", text, month=month)
        assert export_items(session, "csv", table, month=month) == n
        assert export_items(session, "xlsx", tmp_path / "items.xlsx", month=month) == n
    jsonl = {r["id"]: r for r in map(json.loads, text.getvalue().splitlines())}
    rows = list(csv.DictReader(io.StringIO(table.getvalue())))
    assert tuple(rows[0]) == EXPORT_FIELDS
    sheet = load_workbook(tmp_path / "items.xlsx")["items"]
    header = [c.value for c in sheet[1]]
    assert tuple(header) == EXPORT_FIELDS
    xlsx = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    return jsonl, {int(r["id"]): r for r in rows}, xlsx


def distinct(evidence: list[dict]) -> list[str]:
    """Each matched phrase once, as first written (case aside)."""
    seen: dict[str, str] = {}
    for e in evidence:
        seen.setdefault(e["text"].lower(), e["text"])
    return list(seen.values())


def comma(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def test_the_new_fields_come_after_the_old_ones():
    assert EXPORT_FIELDS == OLD_FIELDS + NEW_FIELDS


def test_the_export_says_who_decided_and_why_in_all_three_formats(populated_db, tmp_path):
    from mediaplan.nlp.pipeline import classify_items

    short = add_short_item(*SHORT_NEWS)
    with session_scope() as session:
        classify_items(session, everything=True)
        item = session.get(Item, short)
        terms, probability = list(item.education_evidence), item.education_probability
        themes = {t.theme_code: (str(t.method), list(t.evidence)) for t in item.themes if not t.removed}
        full = session.scalars(select(Item).where(Item.id != short).order_by(Item.id)).all()
        reviewed, unseen, plain = full[0].id, full[1].id, full[2].id
        full[0].education_manual, full[0].reviewed_by = False, "Lan"
        full[0].reviewed_at = datetime(2026, 11, 30, tzinfo=timezone.utc)
        full[1].education_probability = None  # classified without the model
        plain_probability = full[2].education_probability
    assert terms and themes and probability is not None

    jsonl, table, xlsx = exported(tmp_path)
    row = jsonl[short]
    assert row["education_decided_by"] == "or"  # a short item: rules OR model, as config.json says
    assert row["education_probability"] == round(probability, 3)
    assert row["education_model_terms"] == [{k: t[k] for k in ("text", "field", "start", "end", "weight")} for t in terms]
    assert all(row[t["field"]][t["start"]:t["end"]] == t["text"] for t in row["education_model_terms"])  # offsets hold
    assert {t["theme"]: (t["method"], t["evidence"]) for t in row["theme_evidence"]} == themes
    assert [jsonl[i]["education_decided_by"] for i in (reviewed, unseen, plain)] == ["editor", "rules", "rules"]
    assert jsonl[unseen]["education_probability"] is None
    assert jsonl[plain]["education_probability"] == round(plain_probability, 3)

    readable_terms = "; ".join(f"{t['text']} ({comma(t['weight'])})" for t in terms)
    for cells in (table[short], xlsx[short]):
        assert cells["education_decided_by"] == "or"
        assert cells["education_model_terms"] == readable_terms
        parts = cells["theme_evidence"].split(" | ")
        assert len(parts) == len(themes)
        for part in parts:
            head, _, phrases = part.partition(": ")
            code, method = head[:-1].split(" (")
            assert themes[code][0] == method
            assert phrases == ", ".join(distinct(themes[code][1]))
        assert cells["themes"] == ";".join(sorted(themes))  # the old columns are as they were
    assert float(table[short]["education_probability"]) == round(probability, 3)
    assert xlsx[short]["education_probability"] == round(probability, 3)  # a number in the workbook
    assert table[unseen]["education_probability"] == "" and xlsx[unseen]["education_probability"] is None
    assert table[reviewed]["education_decided_by"] == xlsx[reviewed]["education_decided_by"] == "editor"


def test_a_formula_looking_term_is_neutralised_in_csv_and_xlsx(sqlite_db, tmp_path):
    formula = '=HYPERLINK("https://example.com","bấm")'
    [item_id] = add_items([("Tin có công thức", datetime(2026, 11, 3, tzinfo=timezone.utc))])
    with session_scope() as session:
        item = session.get(Item, item_id)
        item.education_probability, item.education_rules, item.education_auto, item.education = 0.7, False, True, True
        item.education_evidence = [{"text": formula, "field": "title", "start": 0, "end": 3, "weight": 0.5},
                                   {"text": "-2+3", "field": "title", "start": 4, "end": 6, "weight": 0.25}]
    jsonl, table, xlsx = exported(tmp_path)
    assert [t["text"] for t in jsonl[item_id]["education_model_terms"]] == [formula, "-2+3"]  # data, as stored
    expected = "'" + formula + " (0,50); -2+3 (0,25)"
    assert table[item_id]["education_model_terms"] == expected
    assert xlsx[item_id]["education_model_terms"] == expected


def test_the_export_still_streams_in_batches_without_a_query_per_row(populated_db, tmp_path, monkeypatch):
    from mediaplan.nlp.pipeline import classify_items

    add_items([(f"Trường học số {k} đón học sinh", datetime(2026, 11, 2, k, tzinfo=timezone.utc)) for k in range(9)])
    with session_scope() as session:
        classify_items(session, everything=True)
        total = session.query(Item).count()
    monkeypatch.setattr(export, "BATCH", 4)
    statements: list[str] = []
    event.listen(get_engine(populated_db), "before_cursor_execute", lambda *args: statements.append(args[2]))
    batches = -(-total // 4)
    with session_scope() as session:
        statements.clear()
        rows = export_rows(session)
        first = next(rows)
        assert first["education_decided_by"] and len(statements) <= 4  # one batch read: the items, themes, outlets, sources
        rest = list(rows)
        assert len(rest) == total - 1
        # One SELECT of items read in batches, then per batch one for themes, outlets and sources: never per row.
        assert len(statements) <= 1 + 3 * batches
        statements.clear()
        export_items(session, "csv", io.StringIO())
        assert len(statements) <= 1 + 3 * batches
