"""Near-duplicate clusters, asked of the database.

An item joins the cluster of the stored item it resembles most. Candidates are the items that share one of its
LSH band keys (`item_bands`, written here); of those, the `CANDIDATES` sharing the most bands are compared by their
signatures. A batch costs a few indexed queries, whatever the number of stored items, and nothing is held between
batches: the in-memory index this replaces held every stored signature (182 MB at 20k items) and was rebuilt on
each run.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediaplan.db import insert_for
from mediaplan.db.schema import Item, ItemBand
from mediaplan.nlp import dedupe

CANDIDATES = 20  # compared by signature per item: a story carried by 500 items needs only its closest few
CHUNK = 2000  # keys or ids per IN list (SQLite binds at most 32,766 parameters)


def _chunks(values: list, size: int = CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def assign(session: Session, batch: list[tuple[int, np.ndarray]]) -> dict[int, int]:
    """The cluster of each (item id, signature) of `batch`, in its order, and their band keys stored in place of
    any they had. An item matches a stored item or one earlier in the batch; with no match it starts its own
    cluster (its id). The caller writes `items.cluster_id` and commits."""
    ids = [item_id for item_id, _ in batch]
    keys = {item_id: dedupe.band_keys(sig) for item_id, sig in batch}
    for chunk in _chunks(ids):
        session.execute(delete(ItemBand).where(ItemBand.item_id.in_(chunk)))
    stored: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(sorted({k for ks in keys.values() for k in ks})):
        for key, item_id in session.execute(select(ItemBand.key, ItemBand.item_id).where(ItemBand.key.in_(chunk))):
            stored[key].append(item_id)
    shared = {item_id: Counter(c for k in keys[item_id] for c in stored.get(k, ())) for item_id in ids}
    shortlist = {item_id: [c for c, _ in sorted(shared[item_id].items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES]]
                 for item_id in ids}
    sigs, cluster = dict(batch), {}
    wanted = sorted({c for cs in shortlist.values() for c in cs} - set(ids))
    for chunk in _chunks(wanted):
        for item_id, sig, cluster_id in session.execute(
                select(Item.id, Item.minhash, Item.cluster_id).where(Item.id.in_(chunk), Item.minhash.is_not(None))):
            sigs[item_id], cluster[item_id] = dedupe.from_bytes(sig), cluster_id or item_id
    local: dict[int, list[int]] = defaultdict(list)  # band key → items of this batch already assigned
    out = {}
    for item_id, sig in batch:
        near = {c for c in shortlist[item_id] if c in sigs} | {c for k in keys[item_id] for c in local.get(k, ())}
        best = max(near, key=lambda c: (dedupe.similarity(sig, sigs[c]), -c), default=None)
        out[item_id] = cluster[item_id] = cluster[best] if best is not None else item_id
        for k in keys[item_id]:
            local[k].append(item_id)
    rows = [{"key": k, "item_id": item_id} for item_id in ids for k in set(keys[item_id])]
    if rows:  # one cached statement, executed many (a VALUES list of 2,000 rows was compiled anew each time)
        session.connection().execute(insert_for(session)(ItemBand.__table__).on_conflict_do_nothing(), rows)
    return out
