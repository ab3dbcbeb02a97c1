"""Link published items back to the pieces that planned them.

A candidate must come from the piece's outlet and be published near its slot;
theme overlap, the column's name among the item's tags, the format and the
distance in time make up the score. Each item delivers at most one piece.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Delivery, Item, PlannedPiece
from mediaplan.nlp.normalize import fold

WINDOW_BEFORE = timedelta(days=1)
WINDOW_AFTER = timedelta(days=3)
CONFIDENT = 0.6


def score(piece: PlannedPiece, item: Item) -> float:
    s = 0.0
    item_themes = {t.theme_code for t in item.themes if not t.removed}
    if piece.themes:
        s += 0.4 * len(item_themes & set(piece.themes)) / len(set(piece.themes))
    elif item.education:
        s += 0.2
    if piece.column is not None:
        tags = [fold(t) for t in (item.extra or {}).get("tags", [])]
        if fold(piece.column.name) in tags or fold(piece.column.name) in fold(item.title):
            s += 0.5
    if piece.format and piece.format == item.format:
        s += 0.2
    elif piece.format and piece.column is None:
        s -= 0.2  # a one-off piece planned as an infographic is not delivered by an article
    if piece.channel and piece.channel == item.channel:
        s += 0.1
    if piece.publish_at and item.published_at:
        hours = abs((item.published_at - piece.publish_at).total_seconds()) / 3600
        s += 0.2 * max(0.0, 1 - hours / 72)
    return s


def link_deliveries(session: Session) -> int:
    linked_items = set(session.scalars(select(Delivery.item_id)))
    pieces = session.scalars(
        select(PlannedPiece).where(PlannedPiece.status.not_in(["cancelled", "published"]),
                                   PlannedPiece.publish_at.is_not(None)).order_by(PlannedPiece.publish_at)
    ).all()
    made = 0
    for piece in pieces:
        if piece.deliveries:
            continue
        query = select(Item).where(
            Item.published_at >= piece.publish_at - WINDOW_BEFORE,
            Item.published_at <= piece.publish_at + WINDOW_AFTER,
        )
        if piece.outlet_id:
            query = query.where(Item.outlet_id == piece.outlet_id)
        candidates = [i for i in session.scalars(query) if i.id not in linked_items]
        scored = sorted(((score(piece, i), i) for i in candidates), key=lambda x: -x[0])
        if scored and scored[0][0] >= CONFIDENT:
            best_score, item = scored[0]
            piece.deliveries.append(Delivery(item_id=item.id, matched_by="monitor", score=round(best_score, 3)))
            piece.status = "published"
            piece.sequence += 1
            linked_items.add(item.id)
            made += 1
    session.flush()
    return made
