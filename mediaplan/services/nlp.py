"""The theme model's life cycle: gather editors' labels, train and swap the model in, evaluate what runs.

Training writes the new model beside the old one and swaps it in only once it is
complete, so a crawl classifying meanwhile never sees half a model.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from mediaplan.nlp import model as themes_model
from mediaplan.services import NotFound, ServiceError


def _existing(path: Path) -> Path:
    if not Path(path).exists():
        raise NotFound(f"không có tệp {path}")
    return Path(path)


def labelled_items(session: Session, gold_files: Iterable[Path] = ()) -> list[themes_model.LabelledItem]:
    """Items with an editor's confirmed labels, plus the hand-labelled files (gold-set YAML format)."""
    gold_files = [_existing(p) for p in gold_files]
    items = themes_model.items_from_db(session)
    for path in gold_files:
        items += themes_model.items_from_file(path)
    return items


def train_theme_model(items: list[themes_model.LabelledItem], epochs: int = 20) -> dict:
    """Train on part of `items`, compare with the rules on the rest, and put the new model in use.

    Returns the figures (per theme: rules and model P/R/F1, which one is used). A ValueError
    says when there are too few labels to train.
    """
    from mediaplan.nlp.classify import Classifier
    from mediaplan.nlp.pipeline import get_classifier, model_dir
    from mediaplan.plans import current_plan
    from mediaplan.settings import get_settings

    plan = current_plan()
    rules = Classifier(plan, get_settings().tokenizer)
    staging = model_dir().with_name("themes.new")
    shutil.rmtree(staging, ignore_errors=True)
    metrics = themes_model.train_and_compare(items, rules, plan.theme_codes, staging, epochs)
    shutil.rmtree(model_dir(), ignore_errors=True)
    staging.rename(model_dir())  # the old model serves until the new one is complete
    get_classifier.cache_clear()
    return metrics


def evaluate_classifier(session: Session, gold: Path | None = None) -> tuple[dict, int, str]:
    """Per-theme figures of the classifier as it runs, on a hand-labelled file or the saved held-out items.

    Returns the figures, how many items they were measured on, and where those items came from.
    """
    from mediaplan.nlp.pipeline import get_classifier
    from mediaplan.plans import current_plan

    clf = get_classifier()
    if gold is not None:
        items, where = themes_model.items_from_file(_existing(gold)), str(gold)
    else:
        if clf.model is None:
            raise ServiceError("chưa có mô hình: chạy `mediaplan nlp train` trước, hoặc dùng --gold TỆP")
        keys = set(clf.model.metrics.get("heldout_keys", []))
        items = [i for i in themes_model.items_from_db(session) if i.key in keys]
        where = "phần kiểm tra đã lưu"
    if not items:
        raise ServiceError("không có tin nào để đánh giá")
    return themes_model.evaluate(items, clf, current_plan().theme_codes), len(items), where


def model_metrics() -> dict | None:
    """The figures saved with the model in use, or None while every theme runs on the rules."""
    from mediaplan.nlp.pipeline import model_dir

    meta = model_dir() / "metrics.json"
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else None
