"""Near-duplicates (syndication) with MinHash LSH.

Each item's MinHash signature is stored with the item, and its LSH band keys in
`item_bands`, so a classify run asks the database for a batch's candidates
(`nlp.clusters`): no pairwise comparison, and no index of every stored signature
rebuilt in memory on each run.

The signature is datasketch's `MinHash` (scheme "affine32", seed 71, 128
permutations, SHA-1 of each shingle), computed here with numpy to the same bits:
`import datasketch` loads its LSH module, which loads SciPy, 52 MB of RSS in
every crawl and classify process for one integration done at design time (the
band sizes below). tests/test_clusters.py holds the two to the same values and
asks datasketch's own LSH, so the stored signatures stay datasketch's.
"""

from __future__ import annotations

from hashlib import blake2b, sha1

import numpy as np

from mediaplan.nlp.normalize import fold

NUM_PERM = 128
SEED = 71
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only comparable within one scheme
THRESHOLD = 0.6
SHINGLE = 3
# datasketch's optimum for THRESHOLD at NUM_PERM (`datasketch.lsh._optimal_param(0.6, 128, 0.5, 0.5)`): 18 bands
# of 7 values; an item's bands are kept in the database (`item_bands`, `nlp.clusters`)
BANDS, ROWS = 18, 7


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations h -> a*h + b (mod 2^32), a odd, drawn as it draws them from SEED."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()  # drawn once, not per item


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, which datasketch's affine schemes apply to each input hash first."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def shingles(text: str) -> set[str]:
    """The text's runs of SHINGLE folded words (one empty shingle for a text with none)."""
    words = fold(text).split()
    return {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}


def signature(text: str) -> np.ndarray:
    """The MinHash of the text's shingles: NUM_PERM 32-bit values (datasketch's `MinHash.hashvalues`)."""
    digests = b"".join(sha1(s.encode("utf-8")).digest()[:4] for s in shingles(text))
    hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32)).reshape(-1, 1)
    with np.errstate(over="ignore"):  # multiplication and addition wrap modulo 2^32, as intended
        return (hv * _A + _B).min(axis=0)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The estimated Jaccard similarity of two signatures: the share of equal values (datasketch's `jaccard`)."""
    return float(np.count_nonzero(a == b)) / len(a)


def to_bytes(sig: np.ndarray) -> bytes:
    """As `items.minhash` holds every signature: 64 bits a value."""
    return sig.astype(np.uint64).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint64).astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """The signature's LSH bands, each as one signed 64-bit key: BANDS runs of ROWS hash values, the band's number
    hashed in with them, so that one column of keys serves every band. Two items that share a key are candidates
    (datasketch's MinHashLSH asks the same: equal values in some band)."""
    values = sig.astype(np.uint64)
    return [int.from_bytes(blake2b(values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8,
                                   person=bytes([b])).digest(), "little", signed=True) for b in range(BANDS)]
