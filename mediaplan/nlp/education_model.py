"""A learned `education` flag: TF-IDF on syllable 1–2-grams and logistic regression, shipped as plain arrays.

Text goes through `normalize`, is lower-cased and split into syllables with `\\w+` (Vietnamese writes a space
between syllables, so this is the syllable split of `tokenize.get_nlp()` without punctuation tokens); the
features are those syllables and each pair of neighbours. The shipped artifact (`models/education/`) holds the
vocabulary, idf and weights (numpy, no pickle, no scikit-learn needed to run it), the thresholds for full
articles and short items, and how the model is combined with the rules; `MODEL_CARD.md` and `metrics.json`
say how it was chosen. Training needs scikit-learn and ../shared/data/training/ (or MEDIAPLAN_TRAINING_DIR):

    python -m mediaplan.nlp.education_model compare   # every kind on every split → metrics.json (a few minutes)
    python -m mediaplan.nlp.education_model train     # the shipped artifact from ../shared/data/ alone, in place
    mediaplan nlp train [--out DIR]                   # both learned models, with editors' labels (the usual way)

`nlp train` writes to `<data_dir>/models/education/` unless told otherwise; `get_model()` prefers that folder
when it holds a model and falls back to the packaged artifact, so an installed app never writes into its package.
"""

from __future__ import annotations

import json
import re
import sys
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress, repeat
from pathlib import Path

import numpy as np

from mediaplan.nlp.normalize import normalize

ARTIFACT = Path(__file__).resolve().parent / "models" / "education"
SHORT_ITEM_WORDS = 80  # an item with no body and at most this many words in all is judged as a short item
_SYLLABLE = re.compile(r"\w+")


def syllables(text: str) -> list[str]:
    return _SYLLABLE.findall(normalize(text).lower())


def features(text: str) -> list[str]:
    """Syllable unigrams and bigrams (the analyzer of every model kind here)."""
    tokens = syllables(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def is_short(title: str, sapo: str = "", body: str = "") -> bool:
    return not (body or "").strip() and len(f"{title} {sapo}".split()) <= SHORT_ITEM_WORDS


class _Index:
    """A vocabulary as syllable ids, so that a text's features are looked up with numpy, not one dict lookup each.

    Every feature is a syllable or two syllables joined by a space (`features`), so a bigram is a pair of
    syllable ids: the vocabulary's bigrams are kept as sorted integer keys and found with one `searchsorted`.
    Terms that `features` cannot produce (none in a trained vocabulary) are left out, which changes nothing.
    """

    def __init__(self, vocabulary: dict[str, int]):
        self.vocabulary = vocabulary
        terms = list(vocabulary)
        index = _ints(vocabulary.values(), len(terms))
        spaces = _ints(map(str.count, terms, repeat(" ")), len(terms))  # 0: a syllable, 1: a pair, more: never a feature
        unigrams, bigrams = list(compress(terms, spaces == 0)), list(compress(terms, spaces == 1))
        parts = " ".join(bigrams).split(" ")  # one split for all, two parts each (a split per term took most of the time)
        left, right = parts[0::2], parts[1::2]
        ids = {s: k for k, s in enumerate(dict.fromkeys(chain(unigrams, left, right)))}
        self.ids = ids
        self.unknown = len(ids)  # the id of any syllable the vocabulary never uses
        self.width = self.unknown + 1
        self.unigram = np.full(self.width, -1, dtype=np.int64)  # syllable id → vocabulary index (-1: not a term)
        self.unigram[_ints(map(ids.__getitem__, unigrams), len(unigrams))] = index[spaces == 0]
        keys = _ints(map(ids.__getitem__, left), len(left)) * self.width + _ints(map(ids.__getitem__, right), len(right))
        order = np.argsort(keys)
        self.keys, self.values = keys[order], index[spaces == 1][order]

    def lookup(self, tokens: list[str], interleave: bool = False) -> np.ndarray:
        """The vocabulary index (-1: none) of each feature of `tokens`: all unigrams then all bigrams, as
        `features` lists them, or, with `interleave`, unigram k before the bigram k, k+1."""
        n = len(tokens)
        sid = np.fromiter(map(self.ids.get, tokens, repeat(self.unknown)), dtype=np.int64, count=n)
        uni = self.unigram[sid]
        if n < 2 or not len(self.keys):
            bi = np.full(max(0, n - 1), -1, dtype=np.int64)
        else:
            key = sid[:-1] * self.width + sid[1:]
            order = np.argsort(key)  # sorted queries walk the sorted keys in order: much faster
            wanted = key[order]
            pos = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
            bi = np.empty(n - 1, dtype=np.int64)
            bi[order] = np.where(self.keys[pos] == wanted, self.values[pos], -1)
        if not interleave:
            return np.concatenate((uni, bi))
        out = np.empty(max(0, 2 * n - 1), dtype=np.int64)
        out[0::2], out[1::2] = uni, bi
        return out


_INDEXES: "weakref.WeakValueDictionary[int, _Index]" = weakref.WeakValueDictionary()  # by id() of a vocabulary


def _index_of(model: "EducationModel") -> _Index:
    """Built once per vocabulary (a few tenths of a second, on the first text) and kept by the models that use it
    (the theme models share one); the vocabulary must not change after."""
    index = model.__dict__.get("_index")
    if index is None or index.vocabulary is not model.vocabulary:
        index = _INDEXES.get(id(model.vocabulary))
        if index is None or index.vocabulary is not model.vocabulary:
            index = _INDEXES[id(model.vocabulary)] = _Index(model.vocabulary)
        model.__dict__["_index"] = index  # not a dataclass field: equality, repr and replace() ignore it
    return index


def _ints(values, count: int) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64, count=count)


def _first_counts(found: np.ndarray, first: bool = False):
    """Distinct values of `found` in order of first occurrence, with their counts (and that first position)."""
    values, at, counts = np.unique(found, return_index=True, return_counts=True)
    order = np.argsort(at)
    if first:
        return values[order], counts[order], at[order]
    return values[order], counts[order]


@dataclass(frozen=True)
class Assessment:
    education: bool  # the decision, rules and model combined as the artifact says for this kind of item
    probability: float
    threshold: float  # for this kind of item (chosen on validation data)
    how: str  # rules | model | or | and: who decided
    kind: str  # full | short

    @property
    def disagrees(self) -> bool:
        """Whether the model alone would decide otherwise than this decision."""
        return (self.probability >= self.threshold) != self.education


@dataclass
class EducationModel:
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    thresholds: dict[str, float]  # {"full": p, "short": p}
    combine: dict[str, str]  # {"full": "rules"|"model"|"or"|"and", "short": ...}
    meta: dict

    def probability(self, text: str) -> float:
        index = _index_of(self)
        tokens = syllables(text)
        found = index.lookup(tokens)  # every unigram, then every bigram, as features() lists them
        idx, n = _first_counts(found[found >= 0])  # in order of first occurrence, as a dict would count them
        if not len(idx):
            return float(1.0 / (1.0 + np.exp(-self.intercept)))
        tf = 1.0 + np.log(n.astype(np.float64))  # sublinear tf
        x = tf * self.idf[idx]
        z = float(x @ self.coef[idx]) / float(np.sqrt(x @ x)) + self.intercept
        return float(1.0 / (1.0 + np.exp(-z)))

    def contributions(self, fields: dict[str, str], top: int = 8) -> list[dict]:
        """The terms that pushed the probability up most, each with where it stands: why the model said so.

        A term's share is its TF-IDF value times its weight, over the same norm `probability` uses, so the
        shares and the intercept add up to the logit. Offsets are those of the term's first occurrence, in
        the field's text as the classifier saw it (normalised), like the rules' evidence.
        """
        index = _index_of(self)
        names, lowered, starts, parts = [], [], [], []
        at = 0
        for name, text in fields.items():  # each field on its own: no bigram across two fields
            low = normalize(text).lower() if text else ""
            tokens = _SYLLABLE.findall(low)
            names.append(name), lowered.append(low), starts.append(at)
            parts.append(index.lookup(tokens, interleave=True))  # unigram k, then the bigram k, k+1, then k+1…
            at += len(parts[-1])
        found = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        where = np.flatnonzero(found >= 0)
        idx, counts, first = _first_counts(found[where], first=True)
        if not len(idx):
            return []
        x = (1.0 + np.log(counts.astype(np.float64))) * self.idf[idx]
        share = x * self.coef[idx] / float(np.sqrt(x @ x))
        order = np.argsort(-share)[:top]
        out = []
        spans: dict[int, list[tuple[int, int]]] = {}  # a field's token offsets, found only for the fields shown
        for j in order:
            if share[j] <= 0:
                break
            pos = int(where[first[j]])  # where the term first occurs, in the fields one after another
            f = int(np.searchsorted(starts, pos, side="right")) - 1
            k, bigram = divmod(pos - starts[f], 2)
            if f not in spans:
                spans[f] = [m.span() for m in _SYLLABLE.finditer(lowered[f])]
            start, end = spans[f][k][0], spans[f][k + bigram][1]
            name = names[f]
            out.append({"text": fields[name][start:end], "field": name, "start": start, "end": end,
                        "weight": round(float(share[j]), 3)})
        return out

    def decide(self, rules: bool, title: str, sapo: str = "", body: str = "") -> tuple[bool, float, str]:
        """(education, probability, how) for one item, given the rules' own decision (probability -1: not asked)."""
        kind = "short" if is_short(title, sapo, body) else "full"
        how = self.combine.get(kind, "rules")
        if how == "rules":
            return rules, -1.0, how
        p = self.probability("\n".join(t for t in (title, sapo, body) if t))
        return self.combine_with(rules, p, kind)[0], p, how

    def assess(self, rules: bool, title: str, sapo: str = "", body: str = "") -> Assessment:
        """The model's view of an item whether or not it decides: the review queue needs it where the rules decide
        too (full articles), to find the items where the two disagree."""
        kind = "short" if is_short(title, sapo, body) else "full"
        p = self.probability("\n".join(t for t in (title, sapo, body) if t))
        education, how = self.combine_with(rules, p, kind)
        return Assessment(education, p, float(self.thresholds.get(kind, 0.5)), how, kind)

    def combine_with(self, rules: bool, p: float, kind: str) -> tuple[bool, str]:
        how = self.combine.get(kind, "rules")
        model = p >= self.thresholds.get(kind, 0.5)
        return {"rules": rules, "model": model, "or": rules or model, "and": rules and model}[how], how

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.vocabulary, key=self.vocabulary.get)
        (folder / "vocabulary.txt").write_text("\n".join(terms) + "\n", encoding="utf-8")
        np.savez_compressed(folder / "weights.npz", idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.array([self.intercept]))
        (folder / "config.json").write_text(json.dumps({"thresholds": self.thresholds, "combine": self.combine,
                                                        **self.meta}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path = ARTIFACT) -> "EducationModel | None":
        if not (folder / "weights.npz").is_file():
            return None
        terms = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
        arrays = np.load(folder / "weights.npz")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls({t: i for i, t in enumerate(terms)}, arrays["idf"].astype(np.float64), arrays["coef"].astype(np.float64),
                   float(arrays["intercept"][0]), config.pop("thresholds"), config.pop("combine"), config)


def artifact_dir() -> Path:
    """The model in use: the one `mediaplan nlp train` wrote under the data folder when there is one, else the
    packaged artifact (`models/education/`)."""
    from mediaplan.settings import get_settings

    trained = get_settings().data_dir / "models" / "education"
    return trained if (trained / "weights.npz").is_file() else ARTIFACT


@lru_cache
def _load(folder: Path) -> EducationModel | None:
    return EducationModel.load(folder)


def get_model() -> EducationModel | None:
    """The model in use (`artifact_dir()`), loaded once per process and folder (None when there is none).
    `get_model.cache_clear()` forgets it, so a model just swapped into the same folder is read again."""
    return _load(artifact_dir())


get_model.cache_clear = _load.cache_clear  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    from mediaplan.nlp import education_train

    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "train"
    start = time.time()
    if command == "compare":
        education_train.compare(kinds=tuple(args[1:]) or education_train.KINDS)
    elif command == "train":  # what `mediaplan nlp train --out mediaplan/nlp/models` does for this model, without editors' labels
        try:
            model = education_train.train(ARTIFACT)
        except ValueError as exc:  # no corpus, or no measurement to read the thresholds from
            print(exc, file=sys.stderr)
            return 1
        print(f"saved {ARTIFACT}: {len(model.vocabulary)} features, {education_train.folder_size(ARTIFACT) / 1e6:.1f} MB")
    else:
        print("usage: python -m mediaplan.nlp.education_model [compare [KIND ...] | train]")
        return 2
    print(f"wall time {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
