"""Hand-labelled items (the gold-set YAML format) and the per-label figures of the classifier as it runs.

`mediaplan nlp evaluate --gold FILE` and `tests/test_gold.py` read these files. Training is elsewhere, on one
path: `mediaplan nlp train` (`services.nlp.train_models`) retrains the learned models from ../shared/data/,
the annotated set and editors' labels (`nlp/education_train.py`, `nlp/theme_train.py`). The spaCy theme model
this module used to train from editors' labels alone is gone: `nlp train` learns from those labels now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mediaplan.nlp.normalize import normalize


@dataclass
class LabelledItem:
    key: str
    title: str
    sapo: str
    body: str
    themes: set[str]
    url: str | None = None
    kind: str = "article"
    duration_seconds: int | None = None
    gold: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return normalize(f"{self.title}\n{self.sapo}\n{self.body}")


def items_from_file(path: Path) -> list[LabelledItem]:
    """Hand-labelled items in the gold-set format (a YAML `items:` list with a `gold:` block each)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for row in data.get("items", []):
        gold = row.get("gold") or {}
        out.append(LabelledItem(str(row["id"]), row.get("title", ""), row.get("sapo", "") or "", row.get("body", "") or "",
                                set(gold.get("themes") or []), row.get("url"), row.get("kind", "article"),
                                row.get("duration_seconds"), gold))
    return out


def prf(gold: list[set[str]], predicted: list[set[str]], label: str) -> dict:
    tp = sum(1 for g, p in zip(gold, predicted) if label in g and label in p)
    fp = sum(1 for g, p in zip(gold, predicted) if label not in g and label in p)
    fn = sum(1 for g, p in zip(gold, predicted) if label in g and label not in p)
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def evaluate(items: list[LabelledItem], classifier, labels: list[str]) -> dict:
    """Per-label figures of the classifier as it runs (rules and the learned education model where it takes
    part): the `education` flag first when every item's gold block has it, then each theme."""
    results = [classifier.classify(i.title, i.sapo, i.body, url=i.url, kind=i.kind, duration_seconds=i.duration_seconds)
               for i in items]
    gold = [set(i.themes) | ({"education"} if i.gold.get("education") else set()) for i in items]
    pred = [{t.code for t in r.themes} | ({"education"} if r.education else set()) for r in results]
    flag = ["education"] if items and all("education" in i.gold for i in items) else []
    return {lab: prf(gold, pred, lab) for lab in [*flag, *labels]}
