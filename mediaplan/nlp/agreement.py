"""The theme-annotated set: three independent annotators' labels, the 2-of-3 gold, and how far they agree.

The labels (ids and codes only; the texts stay in ../shared/data/) live in
`nlp/annotations/<set>/annotator-*.jsonl`, one `{"id", "education", "nq71", "themes"}` a line.
A *cell* is one item × one label (a theme code or a flag). The gold value of a cell is what at least
two of three annotators said; a cell where they split is *disputed* and kept, so a figure can be given
with and without the hard cases. Agreement is reported as the share of unanimous cells and Fleiss'
kappa, which corrects that share for the agreement chance alone would give (most cells are "no").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ANNOTATIONS = Path(__file__).with_name("annotations")
FLAGS = ("education", "nq71")


@dataclass
class Annotated:
    """One item as the annotators labelled it: the gold labels and the cells they split on."""

    id: str
    education: bool
    nq71: bool
    themes: set[str]
    disputed: set[str] = field(default_factory=set)  # labels (theme codes or flags) decided 2-to-1


def read_annotator(path: Path) -> dict[str, dict]:
    rows = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        rows[str(row["id"])] = {"education": bool(row.get("education")), "nq71": bool(row.get("nq71")),
                                "themes": set(row.get("themes") or [])}
    return rows


def load_annotators(folder: Path) -> list[dict[str, dict]]:
    return [read_annotator(p) for p in sorted(folder.glob("annotator-*.jsonl"))]


def cells(row: dict, labels: Sequence[str]) -> list[bool]:
    """One annotator's yes/no for each label of an item."""
    return [bool(row[label]) if label in FLAGS else label in row["themes"] for label in labels]


def gold(annotators: Sequence[dict[str, dict]], labels: Sequence[str]) -> list[Annotated]:
    """The majority label of every item all annotators labelled, with its disputed cells."""
    common = set.intersection(*(set(a) for a in annotators)) if annotators else set()
    out = []
    for item_id in sorted(common):
        votes = [cells(a[item_id], labels) for a in annotators]
        yes = {label for k, label in enumerate(labels) if sum(v[k] for v in votes) * 2 > len(votes)}
        split = {label for k, label in enumerate(labels) if 0 < sum(v[k] for v in votes) < len(votes)}
        out.append(Annotated(item_id, "education" in yes, "nq71" in yes, yes - set(FLAGS), split))
    return out


def fleiss_kappa(ratings: Iterable[Sequence[bool]]) -> float | None:
    """Fleiss' kappa for yes/no cells, each rated by the same number of raters; None when undefined."""
    rows = [list(r) for r in ratings]
    if not rows:
        return None
    raters = len(rows[0])
    if raters < 2 or any(len(r) != raters for r in rows):
        raise ValueError("every cell needs the same number of raters, at least two")
    yes = [sum(r) for r in rows]
    p_yes = sum(yes) / (len(rows) * raters)
    observed = sum((y * (y - 1) + (raters - y) * (raters - y - 1)) / (raters * (raters - 1)) for y in yes) / len(rows)
    expected = p_yes ** 2 + (1 - p_yes) ** 2
    if expected >= 1.0:
        return None  # every rater said the same thing everywhere: agreement is total but kappa is undefined
    return (observed - expected) / (1 - expected)


def agreement(annotators: Sequence[dict[str, dict]], labels: Sequence[str]) -> dict:
    """Unanimous share and Fleiss' kappa, overall and per label, over the items every annotator labelled."""
    common = sorted(set.intersection(*(set(a) for a in annotators))) if annotators else []
    per_label = {}
    all_cells: list[list[bool]] = []
    for k, label in enumerate(labels):
        ratings = [[cells(a[i], labels)[k] for a in annotators] for i in common]
        all_cells += ratings
        unanimous = sum(1 for r in ratings if len(set(r)) == 1)
        per_label[label] = {"unanimous": round(unanimous / len(ratings), 3) if ratings else None,
                            "kappa": _round(fleiss_kappa(ratings)),
                            "positives": sum(1 for r in ratings if sum(r) * 2 > len(r))}
    unanimous = sum(1 for r in all_cells if len(set(r)) == 1)
    return {"items": len(common), "annotators": len(annotators), "cells": len(all_cells),
            "unanimous": round(unanimous / len(all_cells), 3) if all_cells else None,
            "kappa": _round(fleiss_kappa(all_cells)), "per_label": per_label}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
