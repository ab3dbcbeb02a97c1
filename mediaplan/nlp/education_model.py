"""A learned `education` flag: TF-IDF on syllable 1–2-grams and logistic regression, shipped as plain arrays.

Text goes through `normalize`, is lower-cased and split into syllables with `\\w+` (Vietnamese writes a space
between syllables, so this is the syllable split of `tokenize.get_nlp()` without punctuation tokens); the
features are those syllables and each pair of neighbours. The shipped artifact (`models/education/`) holds the
vocabulary, idf and weights (numpy, no pickle, no scikit-learn needed to run it), the thresholds for full
articles and short items, and how the model is combined with the rules; `MODEL_CARD.md` and `metrics.json`
say how it was chosen. Training needs scikit-learn and ../shared/data/training/:

    python -m mediaplan.nlp.education_model compare   # every kind on every split → metrics.json (a few minutes)
    python -m mediaplan.nlp.education_model train     # rebuild the shipped artifact from ../shared/data/
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
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
        counts: dict[int, int] = {}
        for f in features(text):
            j = self.vocabulary.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return float(1.0 / (1.0 + np.exp(-self.intercept)))
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))  # sublinear tf
        x = tf * self.idf[idx]
        z = float(x @ self.coef[idx]) / float(np.sqrt(x @ x)) + self.intercept
        return float(1.0 / (1.0 + np.exp(-z)))

    def contributions(self, fields: dict[str, str], top: int = 8) -> list[dict]:
        """The terms that pushed the probability up most, each with where it stands: why the model said so.

        A term's share is its TF-IDF value times its weight, over the same norm `probability` uses, so the
        shares and the intercept add up to the logit. Offsets are those of the term's first occurrence, in
        the field's text as the classifier saw it (normalised), like the rules' evidence.
        """
        spans: dict[str, tuple[str, int, int]] = {}
        counts: dict[str, int] = {}
        for name, text in fields.items():
            found = list(_SYLLABLE.finditer(normalize(text).lower())) if text else []
            for k, m in enumerate(found):
                grams = [(m.group(0), m.start(), m.end())]
                if k + 1 < len(found):
                    grams.append((f"{m.group(0)} {found[k + 1].group(0)}", m.start(), found[k + 1].end()))
                for gram, start, end in grams:
                    if gram in self.vocabulary:
                        counts[gram] = counts.get(gram, 0) + 1
                        spans.setdefault(gram, (name, start, end))
        if not counts:
            return []
        terms = list(counts)
        idx = np.array([self.vocabulary[t] for t in terms], dtype=np.int64)
        x = (1.0 + np.log(np.array([counts[t] for t in terms], dtype=np.float64))) * self.idf[idx]
        share = x * self.coef[idx] / float(np.sqrt(x @ x))
        order = np.argsort(-share)[:top]
        out = []
        for j in order:
            if share[j] <= 0:
                break
            name, start, end = spans[terms[j]]
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


@lru_cache
def get_model() -> EducationModel | None:
    """The shipped model, loaded once per process (None when the artifact is missing)."""
    return EducationModel.load(ARTIFACT)


def main(argv: list[str] | None = None) -> int:
    from mediaplan.nlp import education_train

    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "train"
    start = time.time()
    if command == "compare":
        education_train.compare(kinds=tuple(args[1:]) or education_train.KINDS)
    elif command == "train":
        education_train.train()
    else:
        print("usage: python -m mediaplan.nlp.education_model [compare [KIND ...] | train]")
        return 2
    print(f"wall time {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
