"""Near-duplicates (syndication) with MinHash LSH.

Each item's MinHash signature is stored with the item, and its LSH band keys in
`item_bands`, so a classify run asks the database for a batch's candidates
(`nlp.clusters`): no pairwise comparison, and no index of every stored signature
rebuilt in memory on each run.
"""

from __future__ import annotations

from hashlib import blake2b

import numpy as np
from datasketch import MinHash

from mediaplan.nlp.normalize import fold

NUM_PERM = 128
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only comparable within one scheme
THRESHOLD = 0.6
SHINGLE = 3
# datasketch's optimum for THRESHOLD at NUM_PERM (`datasketch.lsh._optimal_param(0.6, 128, 0.5, 0.5)`): 18 bands
# of 7 values; an item's bands are kept in the database (`item_bands`, `nlp.clusters`)
BANDS, ROWS = 18, 7

_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=71, scheme=SCHEME).permutations  # drawn once, not per item


def signature(text: str) -> MinHash:
    words = fold(text).split()
    m = MinHash(num_perm=NUM_PERM, seed=71, scheme=SCHEME, permutations=_PERMUTATIONS)
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def to_bytes(m: MinHash) -> bytes:
    return m.hashvalues.astype(np.uint64).tobytes()


def from_bytes(data: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=71, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME,
                   permutations=_PERMUTATIONS)


def band_keys(sig: MinHash) -> list[int]:
    """The signature's LSH bands, each as one signed 64-bit key: BANDS runs of ROWS hash values, the band's number
    hashed in with them, so that one column of keys serves every band. Two items that share a key are candidates
    (datasketch's MinHashLSH asks the same: equal values in some band)."""
    values = sig.hashvalues.astype(np.uint64)
    return [int.from_bytes(blake2b(values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8,
                                   person=bytes([b])).digest(), "little", signed=True) for b in range(BANDS)]
