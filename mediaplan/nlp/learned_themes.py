"""Learned themes: one TF-IDF + logistic regression per theme on syllable 1–2-grams, shipped as plain arrays.

The same features and scoring as the education flag (`education_model.EducationModel`: one shared vocabulary
and idf, one weight row and intercept per theme), trained on the theme-annotated set by
`nlp.theme_train.train`. `models/themes/` holds `vocabulary.txt`, `weights.npz` (idf, coef [themes × terms],
intercepts), `config.json` (per theme: how it combines with the rules and its threshold) and, beside them,
`metrics.json` (the k-fold measurement) and `MODEL_CARD.md`. Nothing in it needs scikit-learn.

The classifier does not use it: `metrics.json` records `enabled: false` and the model card says why (on the
provincial demo news the model's changes were mostly wrong). `theme_train train` rebuilds the weights;
`mediaplan nlp train` re-measures and rebuilds it with editors' labels into `<data_dir>/models/themes/`, which
`artifact_dir()` then prefers (as `education_model.artifact_dir` does for the flag).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mediaplan.nlp.education_model import EducationModel

ARTIFACT = Path(__file__).resolve().parent / "models" / "themes"


def artifact_dir() -> Path:
    """The theme measurement in use: the one `mediaplan nlp train` wrote under the data folder when there is
    one (a metrics.json with `would_decide`; an old spaCy model's folder does not count), else the packaged one."""
    from mediaplan.settings import get_settings

    trained = get_settings().data_dir / "models" / "themes"
    try:
        if "would_decide" in json.loads((trained / "metrics.json").read_text(encoding="utf-8")):
            return trained
    except (OSError, ValueError):
        pass
    return ARTIFACT


def metrics(folder: Path | None = None) -> dict | None:
    """metrics.json of the theme artifact in use (None when there is none)."""
    path = (folder or artifact_dir()) / "metrics.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@dataclass
class LearnedThemes:
    models: dict[str, EducationModel]  # per theme code: a view on the shared vocabulary and idf
    combine: dict[str, str]  # per theme: model | or | and
    thresholds: dict[str, float]
    meta: dict

    @property
    def themes(self) -> set[str]:
        return set(self.models)

    def probability(self, code: str, text: str) -> float:
        return self.models[code].probability(text)

    def contributions(self, code: str, fields: dict[str, str], top: int = 8) -> list[dict]:
        return self.models[code].contributions(fields, top)

    def save(self, folder: Path, vocabulary: dict[str, int], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms = sorted(vocabulary, key=vocabulary.get)
        (folder / "vocabulary.txt").write_text("\n".join(terms) + "\n", encoding="utf-8")
        np.savez_compressed(folder / "weights.npz", idf=idf.astype(np.float32), coef=coef.astype(np.float32),
                            intercept=intercept.astype(np.float64))
        (folder / "config.json").write_text(json.dumps({"themes": list(self.models), "combine": self.combine,
                                                        "thresholds": self.thresholds, **self.meta},
                                                       ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path = ARTIFACT) -> "LearnedThemes | None":
        if not (folder / "weights.npz").is_file():
            return None
        terms = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")[:-1]
        vocabulary = {t: i for i, t in enumerate(terms)}
        arrays = np.load(folder / "weights.npz")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        idf = arrays["idf"].astype(np.float64)
        codes = config.pop("themes")
        combine, thresholds = config.pop("combine"), config.pop("thresholds")
        models = {c: EducationModel(vocabulary, idf, arrays["coef"][k].astype(np.float64), float(arrays["intercept"][k]),
                                    {"full": thresholds[c], "short": thresholds[c]}, {"full": combine[c], "short": combine[c]}, {})
                  for k, c in enumerate(codes)}
        return cls(models, combine, thresholds, config)

