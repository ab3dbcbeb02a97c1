"""The review queue: the items where an editor's look is worth most, and what the editor decides on them.

Classification gives every item a `review_priority` (`nlp.classify.Result.review_priority`): above 1 where the
learned model alone would decide the education flag otherwise than it was decided, below 1 where they agree,
higher the less sure the model is. The queue is that column in descending order, one index scan, paged by
key, so it costs the same at 1M items as at 100. An item leaves the queue once an editor has settled it.

Each decision is one label: the flag (`education`) or one theme, kept or refused. A decision on the flag (the
reason an item is queued) or `done` settles the item; a theme decision leaves it queued for its other labels. Theme decisions are manual
labels (`nlp.labels.set_label`), the flag's is `items.education_manual`; re-classification keeps both, and
`nlp train` learns from both. What the classifier had proposed stays beside the decision
(`item_themes.proposed_by`, `items.education_auto`), so the precision on reviewed items is a SQL count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import Item, ItemTheme, Theme, utcnow
from mediaplan.nlp.labels import LabelError, check_name, set_label
from mediaplan.services import NotFound, ServiceError
from mediaplan.vocab import ThemeMethod

EDUCATION = "education"  # the flag, decided in the queue like a theme
PAGE = 20
WINDOW_DAYS = 90  # the reviewed precision `nlp status` shows


@dataclass(frozen=True)
class Cursor:
    """Where a page of the queue ends: the next page starts after this (priority, id)."""

    priority: float
    item_id: int

    def __str__(self) -> str:
        return f"{self.priority!r}_{self.item_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            priority, item_id = text.rsplit("_", 1)
            return cls(float(priority), int(item_id))
        except ValueError:
            raise ServiceError(f"vị trí trang không hợp lệ: {text!r}", field="after") from None


def queue(session: Session, limit: int = PAGE, after: Cursor | None = None) -> tuple[list[Item], Cursor | None]:
    """One page of the queue, most worth reviewing first, and the cursor of the next page (None: the last)."""
    query = (select(Item).where(Item.review_priority.is_not(None))
             .options(selectinload(Item.themes), selectinload(Item.outlet))
             .order_by(Item.review_priority.desc(), Item.id).limit(limit + 1))
    if after is not None:
        query = query.where(or_(Item.review_priority < after.priority,
                                and_(Item.review_priority == after.priority, Item.id > after.item_id)))
    items = list(session.scalars(query))
    more = len(items) > limit
    items = items[:limit]
    return items, (Cursor(items[-1].review_priority, items[-1].id) if more else None)


def queue_size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item).where(Item.review_priority.is_not(None))) or 0


def reason(item: Item) -> str:
    """Why the item is in the queue, in the editor's words."""
    if item.review_priority is not None and item.review_priority > 1:
        return "mô hình và quy tắc không thống nhất về cờ giáo dục"
    return "mô hình chưa chắc chắn"


def decide(session: Session, item_id: int, label: str, keep: bool, by: str) -> Item:
    """An editor's decision on one label of one item: `keep` the flag or theme, or refuse it."""
    _reviewer(by)
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"không có tin, bài #{item_id}")
    if label == EDUCATION:
        item.education_manual = keep
        item.education = keep
    else:
        if session.get(Theme, label) is None:
            raise ServiceError(f"không có chủ đề {label!r}", field="label")
        has = any(t.theme_code == label for t in item.themes)
        try:
            set_label(session, item_id, label, ("confirm" if has else "add") if keep else "remove", by)
        except LabelError as exc:
            raise ServiceError(str(exc)) from None
        session.expire(item, ["themes"])
        return item  # the item stays in the queue: the editor may go on with its other labels, then `done`
    return _settled(item, by)


def done(session: Session, item_id: int, by: str) -> Item:
    """The editor has looked and has nothing more to change: the item leaves the queue as it is."""
    _reviewer(by)
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"không có tin, bài #{item_id}")
    return _settled(item, by)


def _reviewer(by: str) -> str:
    try:
        return check_name(by, "người duyệt")
    except LabelError as exc:
        raise ServiceError(str(exc), field="by") from None


def _settled(item: Item, by: str) -> Item:
    item.reviewed_by, item.reviewed_at, item.review_priority = by.strip()[:80], utcnow(), None
    return item


def reviewed_precision(session: Session, days: int = WINDOW_DAYS, now: datetime | None = None) -> dict[str, dict]:
    """Per label, over editors' decisions of the last `days`: how many of the classifier's proposals they saw,
    how many they kept, the precision (None with nothing seen), and how many labels they added that it missed.

    Counted in SQL. A proposal counts once an editor decided on it (kept or removed); labels nobody looked at
    count nowhere, so this is the precision of what was reviewed, which is what an analyst can vouch for.
    """
    since = (now or utcnow()) - timedelta(days=days)
    manual = and_(ItemTheme.method == ThemeMethod.MANUAL, ItemTheme.set_at >= since)
    rows = session.execute(
        select(ItemTheme.theme_code,
               func.count(ItemTheme.proposed_by),
               func.count(ItemTheme.proposed_by).filter(ItemTheme.removed.is_(False)),
               func.count().filter(ItemTheme.proposed_by.is_(None), ItemTheme.removed.is_(False)))
        .where(manual).group_by(ItemTheme.theme_code))
    out = {code: _figure(seen, kept, added) for code, seen, kept, added in rows}
    reviewed = and_(Item.reviewed_at >= since, Item.education_manual.is_not(None))
    seen, kept, added = session.execute(
        select(func.count().filter(Item.education_auto.is_(True)),
               func.count().filter(Item.education_auto.is_(True), Item.education_manual.is_(True)),
               func.count().filter(Item.education_auto.is_not(True), Item.education_manual.is_(True)))
        .where(reviewed)).one()
    if seen or added:
        out[EDUCATION] = _figure(seen, kept, added)
    return out


def _figure(seen: int, kept: int, added: int) -> dict:
    return {"reviewed": seen, "kept": kept, "added": added,
            "precision": round(kept / seen, 3) if seen else None}


def editor_labels(session: Session, batch: int = 500):
    """Every item an editor decided on, as training data: its text, the flag (None: not decided) and the themes
    decided (code → kept). `nlp train` reads this, so a decision in the queue changes what the next model learns.

    Streams by key, `batch` items at a time: the labels of a busy year are never all in memory.
    """
    decided = select(ItemTheme.item_id).where(ItemTheme.method == ThemeMethod.MANUAL)
    query = (select(Item).where(or_(Item.education_manual.is_not(None), Item.id.in_(decided)))
             .options(selectinload(Item.themes)).order_by(Item.id))
    for item in session.scalars(query.execution_options(yield_per=batch)):
        yield {"id": f"item-{item.id}", "title": item.title, "sapo": item.sapo or "", "body": item.body or "",
               "education": item.education_manual,
               "themes": {t.theme_code: not t.removed for t in item.themes if t.method == ThemeMethod.MANUAL}}
