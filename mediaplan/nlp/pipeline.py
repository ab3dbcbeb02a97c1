"""Classify stored items and write labels, evidence, entities, format and cluster.

Manual labels (set by an editor) are never overwritten by re-classification.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rich.progress import Progress
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import Item, ItemEntity, ItemTheme, utcnow
from mediaplan.nlp import clusters, dedupe
from mediaplan.nlp.classify import Classifier, Result
from mediaplan.plans import Plan, current_plan
from mediaplan.vocab import EntityKind, ThemeMethod


@lru_cache
def get_classifier(plan: Plan | None = None) -> Classifier:
    """The rules and the learned education model in use (`education_model.get_model`: the one `nlp train` wrote
    under the data folder, else the packaged one), built once per process; `nlp train` clears this cache."""
    from mediaplan.nlp.education_model import get_model
    from mediaplan.settings import get_settings

    return Classifier(plan or current_plan(), get_settings().tokenizer, education_model=get_model())


def model_dir():
    """Where `mediaplan nlp train` writes the learned models unless told otherwise (`education/`, `themes/`)."""
    from mediaplan.settings import get_settings

    return get_settings().data_dir / "models"


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
    stale = [t for t in item.themes if t.method != ThemeMethod.MANUAL]
    for row in stale:
        item.themes.remove(row)
    if stale:  # deleted before a new row with the same key is added (a flush per new item cost a quarter of the run)
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


BATCH_SIZE = 500  # items per transaction of classify_items


def classify_items(session: Session, everything: bool = False, since: datetime | None = None,
                   show_progress: bool = False, batch_size: int = BATCH_SIZE) -> dict:
    """Classify what needs it (new or changed items), or everything, or items published since a date.

    The selection is walked by id, `batch_size` items at a time, and the session is committed after each batch
    (with whatever it held before: call this at the start of a unit of work), so a crash keeps the batches done,
    another process sees the progress, and a re-run carries on where it stopped. Each committed batch is let go
    of, so memory does not grow with the number of items; nor does the near-duplicate index, which is asked in
    the database per batch (`clusters.assign`). Items stored after the run began wait for the next one.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    where = []
    if since is not None:
        where.append(Item.published_at >= since)
    elif not everything:
        where.append(Item.classified_at.is_(None))  # shrinks as batches commit: the walk is by id, not by offset
    counts = {"items": 0, "education": 0, "nq71": 0, "themes": {}}
    last = session.scalar(select(func.max(Item.id)).where(*where))
    if last is None:
        return counts
    where.append(Item.id <= last)
    total = session.scalar(select(func.count()).select_from(Item).where(*where))
    callers = set(session.identity_map.keys())  # objects the caller already had stay in its session
    after = 0
    with Progress(transient=True, disable=not show_progress) as progress:
        task = progress.add_task("Phân loại", total=total)
        while True:
            items = session.scalars(select(Item).where(*where, Item.id > after).order_by(Item.id).limit(batch_size)
                                    .options(selectinload(Item.themes), selectinload(Item.entities))).all()
            if not items:
                break
            sigs = []
            for item in items:
                result = classify_item(item)
                apply_result(session, item, result)
                sig = dedupe.signature(f"{item.title}\n{item.sapo}\n{item.body}")
                item.minhash = dedupe.to_bytes(sig)
                sigs.append((item.id, sig))
                counts["items"] += 1
                counts["education"] += int(result.education)
                counts["nq71"] += int(result.nq71)
                for t in result.themes:
                    counts["themes"][t.code] = counts["themes"].get(t.code, 0) + 1
                progress.advance(task)
            for item, cluster_id in zip(items, clusters.assign(session, sigs).values()):
                item.cluster_id = cluster_id
            after = items[-1].id
            session.commit()
            for item in items:  # with their themes and entities (cascade)
                if inspect(item).identity_key not in callers:
                    session.expunge(item)
            del items
    return counts
