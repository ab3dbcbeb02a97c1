"""Classify stored items and write labels, evidence, entities, format and cluster.

Manual labels (set by an editor) are never overwritten by re-classification.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Item, ItemEntity, ItemTheme, utcnow
from mediaplan.nlp import dedupe
from mediaplan.nlp.classify import Classifier, Result
from mediaplan.plans import Plan, current_plan
from mediaplan.vocab import EntityKind, ThemeMethod


@lru_cache
def get_classifier(plan: Plan | None = None) -> Classifier:
    from mediaplan.nlp.model import ThemeModel
    from mediaplan.settings import get_settings

    settings = get_settings()
    from mediaplan.nlp.education_model import get_model

    return Classifier(plan or current_plan(), settings.tokenizer, ThemeModel.load(model_dir()),
                      education_model=get_model())  # the shipped education model (models/education/), lazily cached


def model_dir():
    from mediaplan.settings import get_settings

    return get_settings().data_dir / "models" / "themes"


def classify_item(item: Item) -> Result:
    extra = item.extra or {}
    return get_classifier().classify(item.title, item.sapo, item.body, url=item.url, kind=item.kind,
                                     duration_seconds=extra.get("duration_seconds"), normalized=True)


def apply_result(session: Session, item: Item, result: Result) -> None:
    """Write a classification onto an item; an editor's decisions (the flag, manual themes) stay as they are."""
    item.education_auto = result.education
    item.education = result.education if item.education_manual is None else item.education_manual
    item.education_rules = result.education_rules
    item.education_probability = result.model_probability
    item.education_evidence = result.education_model_evidence
    item.review_priority = None if item.reviewed_at is not None else result.review_priority
    item.nq71 = result.nq71
    item.format = result.format
    item.classified_at = utcnow()
    manual = {t.theme_code for t in item.themes if t.method == ThemeMethod.MANUAL}
    for row in [t for t in item.themes if t.method != ThemeMethod.MANUAL]:
        item.themes.remove(row)
    session.flush()
    for theme in result.themes:
        if theme.code in manual:
            continue
        item.themes.append(ItemTheme(theme_code=theme.code, score=round(theme.score, 3), method=theme.method,
                                     evidence=[e.__dict__ for e in theme.evidence]))
    item.entities.clear()
    for kind, rows in ((EntityKind.AGENCY, result.agencies), (EntityKind.COMMUNE, result.communes), (EntityKind.SCHOOL, result.schools)):
        for e in rows:
            item.entities.append(ItemEntity(kind=kind, key=e["key"][:120], text=e["text"][:300], field=e["field"],
                                            start=e["start"], end=e["end"]))


def load_clusters(session: Session) -> dedupe.Clusters:
    clusters = dedupe.Clusters()
    rows = session.execute(select(Item.id, Item.minhash, Item.cluster_id).where(Item.minhash.is_not(None)))
    for item_id, sig, cluster_id in rows:
        clusters.add_known(item_id, dedupe.from_bytes(sig), cluster_id or item_id)
    return clusters


def classify_items(session: Session, everything: bool = False, since: datetime | None = None,
                   show_progress: bool = False) -> dict:
    """Classify what needs it (new or changed items), or everything, or items published since a date."""
    query = select(Item).order_by(Item.id)
    if since is not None:
        query = query.where(Item.published_at >= since)
    elif not everything:
        query = query.where(Item.classified_at.is_(None))
    items = session.scalars(query).all()
    clusters = load_clusters(session)
    counts = {"items": 0, "education": 0, "nq71": 0, "themes": {}}
    with Progress(transient=True, disable=not show_progress) as progress:
        task = progress.add_task("Phân loại", total=len(items))
        for item in items:
            result = classify_item(item)
            apply_result(session, item, result)
            sig = dedupe.signature(f"{item.title}\n{item.sapo}\n{item.body}")
            item.minhash = dedupe.to_bytes(sig)
            item.cluster_id = clusters.assign(item.id, sig)
            counts["items"] += 1
            counts["education"] += int(result.education)
            counts["nq71"] += int(result.nq71)
            for t in result.themes:
                counts["themes"][t.code] = counts["themes"].get(t.code, 0) + 1
            progress.advance(task)
    session.flush()
    return counts
