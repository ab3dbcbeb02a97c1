"""Near-duplicates (syndication) with MinHash LSH.

Each item's MinHash signature is stored with the item, so the LSH index is
rebuilt from stored signatures after a restart: no pairwise comparison, and only
items without a signature are hashed.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH

from mediaplan.nlp.normalize import fold

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only comparable within one scheme
THRESHOLD = 0.6
SHINGLE = 3


def signature(text: str) -> MinHash:
    words = fold(text).split()
    m = MinHash(num_perm=NUM_PERM, seed=71, scheme=SCHEME)
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def to_bytes(m: MinHash) -> bytes:
    return m.hashvalues.astype(np.uint64).tobytes()


def from_bytes(data: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=71, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME)


class Clusters:
    """An LSH index of (item id → cluster id); a new item joins the cluster of its nearest match."""

    def __init__(self):
        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self.cluster: dict[int, int] = {}
        self.sigs: dict[int, MinHash] = {}

    def add_known(self, item_id: int, sig: MinHash, cluster_id: int) -> None:
        self.lsh.insert(item_id, sig)
        self.cluster[item_id] = cluster_id
        self.sigs[item_id] = sig

    def assign(self, item_id: int, sig: MinHash) -> int:
        matches = [m for m in self.lsh.query(sig) if m != item_id]
        if matches:
            best = max(matches, key=lambda m: sig.jaccard(self.sigs[m]))
            cluster_id = self.cluster[best]
        else:
            cluster_id = item_id
        if item_id not in self.cluster:
            self.lsh.insert(item_id, sig)
        self.cluster[item_id] = cluster_id
        self.sigs[item_id] = sig
        return cluster_id
