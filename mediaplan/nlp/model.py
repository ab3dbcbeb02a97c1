"""A trainable theme model (spaCy textcat_multilabel) that learns from editors' labels.

The rules stay the default and keep giving the evidence. A theme is handed to the
model only when the model beat the rules on held-out items, by F1, when it was
trained; both figures are kept in `metrics.json` beside the model so that
`mediaplan nlp status` can show why each theme is decided the way it is.

Training examples are items an editor has reviewed (any manual label on them):
their label set is what the item carries now, manual rows winning. A file of
hand-labelled items (the gold-set format) can be added to them.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import spacy
import yaml
from spacy.training import Example as SpacyExample
from spacy.util import fix_random_seed, minibatch

from mediaplan.nlp.normalize import normalize
from mediaplan.nlp.tokenize import syllable_tokenizer
from mediaplan.vocab import ThemeMethod

SEED = 71
THRESHOLD = 0.5  # a theme applies when the model's probability reaches this


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


def items_from_db(session) -> list[LabelledItem]:
    """Items an editor reviewed: at least one manual label. Removed themes are negatives."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from mediaplan.db.schema import Item, ItemTheme

    reviewed = select(ItemTheme.item_id).where(ItemTheme.method == ThemeMethod.MANUAL)
    rows = session.scalars(select(Item).where(Item.id.in_(reviewed)).options(selectinload(Item.themes)))
    return [LabelledItem(f"item-{i.id}", i.title, i.sapo or "", i.body or "",
                         {t.theme_code for t in i.themes if not t.removed}, i.url, i.kind)
            for i in rows]


def split(items: list[LabelledItem], holdout: float = 0.25) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """A stable split by a hash of each item's key: the same item is always on the same side."""
    def bucket(item):
        return int(hashlib.sha1(item.key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    test = [i for i in items if bucket(i) < holdout]
    return [i for i in items if bucket(i) >= holdout], test


def prf(gold: list[set[str]], predicted: list[set[str]], label: str) -> dict:
    tp = sum(1 for g, p in zip(gold, predicted) if label in g and label in p)
    fp = sum(1 for g, p in zip(gold, predicted) if label not in g and label in p)
    fn = sum(1 for g, p in zip(gold, predicted) if label in g and label not in p)
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def _blank():
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.vi.VietnameseTokenizer", "use_pyvi": False}}})
    nlp.tokenizer = syllable_tokenizer(nlp.vocab)
    return nlp


def train_model(items: list[LabelledItem], labels: list[str], epochs: int = 20):
    fix_random_seed(SEED)
    nlp = _blank()
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False}})
    for label in labels:
        textcat.add_label(label)
    examples = [SpacyExample.from_dict(nlp.make_doc(i.text), {"cats": {lab: float(lab in i.themes) for lab in labels}})
                for i in items]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(SEED)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


class ThemeModel:
    """A trained model and the themes it decides (those where it beat the rules)."""

    def __init__(self, nlp, metrics: dict):
        self.nlp = nlp
        self.metrics = metrics
        self.themes: set[str] = set(metrics.get("use_model", []))

    @classmethod
    def load(cls, folder: Path) -> ThemeModel | None:
        meta = folder / "metrics.json"
        if not meta.exists():
            return None
        nlp = spacy.load(folder / "pipeline", exclude=["tokenizer"])
        nlp.tokenizer = syllable_tokenizer(nlp.vocab)
        return cls(nlp, json.loads(meta.read_text(encoding="utf-8")))

    def predict(self, text: str) -> dict[str, float]:
        return dict(self.nlp(normalize(text)).cats)


def train_and_compare(items: list[LabelledItem], classifier, labels: list[str], out: Path, epochs: int = 20) -> dict:
    """Train on part, compare with the rules on the held-out rest, save the model and both figures."""
    train, test = split(items)
    if not train or not test:
        raise ValueError(f"cần thêm nhãn: {len(items)} tin có nhãn xác nhận, không đủ để tách phần kiểm tra")
    nlp = train_model(train, labels, epochs)
    gold = [i.themes for i in test]
    model_pred = [{lab for lab, p in nlp(i.text).cats.items() if p >= THRESHOLD} for i in test]
    rule_pred = [{t.code for t in classifier.classify(i.title, i.sapo, i.body, url=i.url, kind=i.kind,
                                                      duration_seconds=i.duration_seconds, use_model=False).themes}
                 for i in test]
    per_theme = {}
    for lab in labels:
        rules, model = prf(gold, rule_pred, lab), prf(gold, model_pred, lab)
        per_theme[lab] = {"rules": rules, "model": model,
                          "use": "model" if model["support"] >= 2 and model["f1"] > rules["f1"] else "rules"}
    metrics = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "examples": len(items), "train": len(train), "heldout": len(test), "epochs": epochs,
        "threshold": THRESHOLD, "themes": per_theme,
        "use_model": sorted(lab for lab, row in per_theme.items() if row["use"] == "model"),
        "heldout_keys": sorted(i.key for i in test),
    }
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out / "pipeline", exclude=["tokenizer"])
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    return metrics


def evaluate(items: list[LabelledItem], classifier, labels: list[str]) -> dict:
    """Per-theme figures of the classifier as it now runs (rules, and the model where it won)."""
    gold = [i.themes for i in items]
    pred = [{t.code for t in classifier.classify(i.title, i.sapo, i.body, url=i.url, kind=i.kind,
                                                 duration_seconds=i.duration_seconds).themes} for i in items]
    return {lab: prf(gold, pred, lab) for lab in labels}
