"""Learned theme models against the rules on the theme-annotated set, by 5-fold cross-validation.

Gold: the 2-of-3 majority of `nlp/annotations/themes-v1/` (`agreement.gold`), texts joined by id from
../shared/data/training/ (`training_data.load`, never copied here). Folds are `Example.fold` (a hash of the
article's URL group, so a headline and its full article share a fold). For each held-out fold:

- every kind is trained on the other four folds (the *training part*);
- per theme and per method (model alone, rules OR model, rules AND model) a probability threshold is chosen on
  out-of-fold predictions of an inner 3-fold split of the training part only (`education_train.best_threshold`);
  the method itself is also chosen there (`chosen`, a nested figure: nothing is picked on the test fold);
- the held-out fold only reports.

Kinds, the recipes of the education flag (`education_train`) made one-vs-rest per theme:
- `linear`: TF-IDF on syllable 1–2-grams (`education_model.features`, sublinear tf, min_df 2) + logistic
  regression (C 4, balanced), one per theme;
- `spacy_bow`: spaCy `textcat_multilabel` bag-of-words 1–2-grams on the syllable tokenizer (`train_spacy`);
- `hashed_sgd`: 2^20 hashed 1–2-grams + SGD logistic loss (the fastText equivalent), one per theme.

A theme with fewer than `MIN_POSITIVES` gold positives is reported but always left to the rules. A theme counts
as *clearly won* by a model only when its held-out F1 beats the rules' by `CLEAR_MARGIN` with at least
`CLEAR_POSITIVES` positives; only then would an artifact be worth shipping.

Editors' labels (`mediaplan nlp train`, `rebuild`): an item an editor decided themes on joins the set with the
themes decided, kept as positives and removed as negatives. A theme the editor did not decide is *unknown* for
that item (the mask `M`): it is left out of that theme's training, threshold and figures, never counted as
absent, because the editor may simply not have looked at it. The annotated items are known on every theme.

    python -m mediaplan.nlp.theme_train            # compare every kind → models/themes/measurement.json (~15 min)
    python -m mediaplan.nlp.theme_train train      # linear on all 600 → models/themes/ (weights, config, metrics.json)
    python -m mediaplan.nlp.theme_train train --measurement-only   # what is shipped now: metrics.json alone
    mediaplan nlp train [--out DIR]                # `rebuild`: linear re-measured with editors' labels, then `train`
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from mediaplan.nlp import training_data as td
from mediaplan.nlp.education_train import (CACHE_DIR, SEED, HashedSGD, Linear, _cache_file, apply, best_threshold, scores,
                                           read_cache, text_key, write_cache)

KINDS = ("linear", "spacy_bow", "hashed_sgd")
METHODS = ("model", "or", "and")
SET = "themes-v1"
INNER = 3
MIN_POSITIVES = 5
CLEAR_MARGIN, CLEAR_POSITIVES = 0.05, 10
SPACY_EPOCHS = 12
OUT = Path(__file__).resolve().parent / "models" / "themes"
MEASUREMENT = OUT / "measurement.json"  # the comparison; a metrics.json would be written only beside a shipped model


# ---------------------------------------------------------------- data

@dataclass
class Data:
    examples: list  # training_data.Example: the annotated items, then editors' items
    Y: np.ndarray  # items × themes: the gold (annotated) or the editor's decision
    M: np.ndarray  # items × themes: whether the cell is known (every cell of an annotated item; decided ones only)
    codes: tuple[str, ...]
    annotated: int
    editors: int


def dataset(editors=()) -> Data | None:
    """The annotated set joined with its texts, then the editors' items that decided a theme of the plan;
    None when the annotated set or ../shared/ is missing."""
    from mediaplan.nlp.agreement import ANNOTATIONS, gold, load_annotators
    from mediaplan.plans import current_plan

    folder = ANNOTATIONS / SET
    if not folder.is_dir() or not td.available():
        return None
    codes = tuple(current_plan().theme_codes)
    examples = {e.id: e for e in td.load()}
    items = [(g, examples[g.id]) for g in gold(load_annotators(folder), ("education", "nq71", *codes)) if g.id in examples]
    decided = [e for e in editors if any(c in e.themes for c in codes)]
    rows = [[c in g.themes for c in codes] for g, _ in items] + [[bool(e.themes.get(c)) for c in codes] for e in decided]
    known = [[True] * len(codes) for _ in items] + [[c in e.themes for c in codes] for e in decided]
    shape = (len(rows), len(codes))
    return Data([e for _, e in items] + decided, np.array(rows, dtype=bool).reshape(shape),
                np.array(known, dtype=bool).reshape(shape), codes, len(items), len(decided))


def inner_fold(group: str) -> int:
    return int(hashlib.md5(f"inner:{group}".encode()).hexdigest(), 16) % INNER


def rule_themes(examples) -> dict[str, list[str]]:
    """The rules' themes per item id (as `evaluate.themes_table` classifies: title, lead, body), cached in /tmp
    by text (`education_train.text_key`), so a test folder or a database reusing an id never reads another's."""
    cache_file = CACHE_DIR / _cache_file().name.replace("edu-rules", "theme-rules")
    cache = read_cache(cache_file)
    todo = [e for e in examples if text_key(e) not in cache]
    if todo:
        from mediaplan.nlp.pipeline import get_classifier

        clf = get_classifier()
        for e in todo:
            cache[text_key(e)] = sorted(t.code for t in clf.classify(e.title, e.sapo, e.body, use_model=False).themes)
        write_cache(cache_file, cache)
    return {e.id: cache[text_key(e)] for e in examples}


# ---------------------------------------------------------------- kinds (multi-label)

class OneVsRest:
    """One binary classifier per theme on one shared vectorizer, from an education_train recipe."""

    def __init__(self, recipe):
        self.recipe = recipe

    def fit(self, texts, Y, M=None):
        """Y: items × themes; M: the known cells (None: all). Each theme learns from its known rows only."""
        from sklearn.base import clone

        base = self.recipe()
        self.vec = base.vec
        X = self.vec.fit_transform(texts)  # TF-IDF learns its vocabulary here; the hashing one is stateless
        self.clfs = []
        for k in range(Y.shape[1]):
            rows = slice(None) if M is None or M[:, k].all() else M[:, k]
            y = Y[rows, k]
            self.clfs.append(clone(base.clf).fit(X[rows], y) if 0 < y.sum() < len(y) else None)
        return self

    def predict(self, texts):
        X = self.vec.transform(texts)
        return np.column_stack([c.predict_proba(X)[:, 1] if c is not None else np.zeros(X.shape[0]) for c in self.clfs])


class SpacyMulti:
    """spaCy textcat_multilabel BOW on the syllable tokenizer (`train_spacy`); unknown cells are missing labels."""

    def __init__(self, codes):
        self.codes = codes

    def fit(self, texts, Y, M=None):
        M = np.ones_like(Y) if M is None else M
        cats = [{c: float(y) for c, y, known in zip(self.codes, row, mask) if known} for row, mask in zip(Y, M)]
        self.nlp = train_spacy(texts, cats, list(self.codes), epochs=SPACY_EPOCHS)
        return self

    def predict(self, texts):
        return np.array([[d.cats[c] for c in self.codes] for d in self.nlp.pipe(texts, batch_size=128)])


def train_spacy(texts, cats, labels, epochs: int = SPACY_EPOCHS):
    """textcat_multilabel, BOW 1–2-grams, seed 71, batches of 8, dropout 0.2: the recipe measured in
    measurement.json (it was `nlp.model.train_model`, the editors'-labels model `nlp train` no longer trains).
    A label missing from an item's `cats` is a missing value to spaCy, not a negative."""
    import random

    import spacy
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch

    from mediaplan.nlp.normalize import normalize
    from mediaplan.nlp.tokenize import syllable_tokenizer

    fix_random_seed(SEED)
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.vi.VietnameseTokenizer", "use_pyvi": False}}})
    nlp.tokenizer = syllable_tokenizer(nlp.vocab)
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False}})
    for label in labels:
        textcat.add_label(label)
    examples = [SpacyExample.from_dict(nlp.make_doc(normalize(f"{t}\n\n")), {"cats": c}) for t, c in zip(texts, cats)]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(SEED)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    return nlp


def maker(kind, codes):
    return {"linear": lambda: OneVsRest(Linear), "hashed_sgd": lambda: OneVsRest(HashedSGD),
            "spacy_bow": lambda: SpacyMulti(codes)}[kind]()


# ---------------------------------------------------------------- measurement

def counts(y, pred) -> dict:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    return {"tp": int((y & pred).sum()), "fp": int((~y & pred).sum()), "fn": int((y & ~pred).sum())}


def prf(c: dict) -> dict:
    return {**c, **scores(c["tp"], c["fp"], c["fn"])}


def _f1(y, pred) -> float:
    return prf(counts(y, pred))["f1"]


def choose_on(y, prob, rules):
    """Thresholds per method and the chosen method, on (inner) data: ties go to the rules, then the simpler."""
    thresholds = {how: best_threshold(y, prob, rules, how) for how in METHODS}
    scores = {"rules": _f1(y, rules), **{how: _f1(y, apply(how, thresholds[how], prob, rules)) for how in METHODS}}
    order = ("rules", "model", "or", "and")
    chosen = max(order, key=lambda m: (scores[m], -order.index(m)))
    return thresholds, chosen


def matrices(data: Data):
    """Texts, gold Y, known cells M, the rules' themes R, outer and inner folds of a data set."""
    examples = data.examples
    rules_by_id = rule_themes(examples)
    texts = np.array([td.text_of(e.full()) for e in examples], dtype=object)
    R = np.array([[c in rules_by_id[e.id] for c in data.codes] for e in examples], dtype=bool).reshape(data.Y.shape)
    outer = np.array([e.fold for e in examples], dtype=int)
    inner = np.array([inner_fold(e.group) for e in examples], dtype=int)
    return texts, data.Y, data.M, R, outer, inner


def compare(kinds=KINDS, write: bool = True, quiet: bool = False, editors=()) -> dict:
    """Every kind against the rules, nested 5-fold, on the annotated set and the editors' theme decisions
    (`editors`: `training_data.editor_example`s; a cell the editor did not decide counts nowhere)."""
    data = dataset(editors)
    if data is None:
        if not quiet:
            print(f"Không có tập gán nhãn {SET} hoặc dữ liệu {td.training_dir()}: bỏ qua so sánh mô hình chủ đề.")
        return {}
    codes, examples = data.codes, data.examples
    texts, Y, M, R, outer, inner = matrices(data)
    positives = (Y & M).sum(0)
    eligible = [k for k in range(len(codes)) if positives[k] >= MIN_POSITIVES]
    result = {"set": SET, "items": len(examples), "annotated": data.annotated, "editors_labels": data.editors,
              "folds": td.FOLDS, "inner_folds": INNER, "min_positives": MIN_POSITIVES,
              "date": date.today().isoformat(), "sources": {s: sum(e.source == s for e in examples) for s in sorted({e.source for e in examples})},
              "fold_sizes": {int(k): int((outer == k).sum()) for k in range(td.FOLDS)},
              "rules": {}, "kinds": {}}
    if not data.editors:  # the annotated set alone: the keys measurement.json has always had
        del result["annotated"], result["editors_labels"]
    result["rules"] = {c: prf(counts(Y[M[:, k], k], R[M[:, k], k])) for k, c in enumerate(codes)}
    for kind in kinds:
        start = time.time()
        preds = {m: np.zeros_like(Y) for m in (*METHODS, "chosen")}
        picks: dict[str, list] = {c: [] for c in codes}
        thresholds: dict[str, list] = {c: [] for c in codes}
        for k in range(td.FOLDS):
            train, test = np.where(outer != k)[0], np.where(outer == k)[0]
            if not len(train) or not len(test):
                continue
            oof = np.zeros((len(train), len(codes)))
            for j in range(INNER):  # out-of-fold predictions inside the training part, for thresholds only
                a, b = train[inner[train] != j], np.where(inner[train] == j)[0]
                if len(a) and len(b):
                    oof[b] = maker(kind, codes).fit(list(texts[a]), Y[a], M[a]).predict(list(texts[train[b]]))
            prob = maker(kind, codes).fit(list(texts[train]), Y[train], M[train]).predict(list(texts[test]))
            for t, code in enumerate(codes):
                known = M[train, t]
                th, chosen = choose_on(Y[train, t][known], oof[known, t], R[train, t][known])
                if t not in eligible:
                    chosen = "rules"
                picks[code].append(chosen)
                thresholds[code].append(th)
                for how in METHODS:
                    preds[how][test, t] = apply(how, th[how], prob[:, t], R[test, t])
                preds["chosen"][test, t] = apply(chosen, th.get(chosen, 0.5), prob[:, t], R[test, t])
        per = {}
        for t, code in enumerate(codes):
            known = M[:, t]
            per[code] = {m: prf(counts(Y[known, t], preds[m][known, t])) for m in preds}
            per[code]["picked"] = picks[code]
            per[code]["thresholds"] = {how: [th[how] for th in thresholds[code]] for how in METHODS}
        result["kinds"][kind] = {"themes": per, "seconds": round(time.time() - start, 1)}
        if not quiet:
            print(f"{kind}: {time.time() - start:.0f}s", flush=True)
    decide(result, codes)
    if write:
        OUT.mkdir(parents=True, exist_ok=True)
        MEASUREMENT.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return result


def decide(result: dict, codes) -> None:
    """Per theme, the best held-out F1 among rules and every kind × method, and whether it clearly beats the rules.

    Themes with fewer than MIN_POSITIVES positives stay with the rules whatever the figures. The best of many
    candidates on the same held-out folds is an optimistic figure; `chosen` (picked on inner folds) is not.
    """
    winners, clear = {}, []
    for code in codes:
        rules = result["rules"][code]
        best = ("rules", None, rules["f1"])
        if rules["positives"] >= MIN_POSITIVES:
            for kind, row in result["kinds"].items():
                for m in METHODS:
                    f = row["themes"][code][m]["f1"]
                    if f > best[2]:
                        best = (kind, m, f)
        winners[code] = {"kind": best[0], "method": best[1], "f1": best[2], "rules_f1": rules["f1"],
                         "positives": rules["positives"]}
        if best[0] != "rules" and best[2] - rules["f1"] >= CLEAR_MARGIN and rules["positives"] >= CLEAR_POSITIVES:
            clear.append(code)
    result["winners"] = winners
    result["clearly_won"] = clear
    micro = {"rules": _micro([result["rules"][c] for c in codes])}
    eligible = [c for c in codes if result["rules"][c]["positives"] >= MIN_POSITIVES]
    for kind, row in result["kinds"].items():
        for m in (*METHODS, "chosen"):  # the model on every eligible theme, the rules on the others
            micro[f"{kind}:{m}"] = _micro([row["themes"][c][m] if c in eligible else result["rules"][c] for c in codes])
    micro["per-theme winners"] = _micro([result["rules"][c] if winners[c]["kind"] == "rules" else
                                         result["kinds"][winners[c]["kind"]]["themes"][c][winners[c]["method"]] for c in codes])
    result["micro"] = micro


def _micro(rows) -> dict:
    return prf({k: sum(r[k] for r in rows) for k in ("tp", "fp", "fn")})


def table(result: dict) -> list[str]:
    """Per theme (positives; P/R/F1 of the rules, each kind alone and its nested choice, the best combination),
    then micro over the 20 themes."""
    kinds = list(result["kinds"])
    codes = list(result["rules"])
    head = f"{'theme':22s} {'pos':>4s} | {'rules':^14s} |" + "|".join(f" {k + ' model':^14s} | {k + ' chosen*':^20s} " for k in kinds) \
        + f"| {'best combination':^30s} | winner"
    lines = [head, f"{'':22s} {'':>4s} | {'P    R    F1':^14s} |" + "|".join(f" {'P    R    F1':^14s} | {'P    R    F1  (pick)':^20s} " for _ in kinds)
             + f"| {'P    R    F1  (kind:how)':^30s} |"]
    fmt = lambda r: f"{r['precision']:.2f} {r['recall']:.2f} {r['f1']:.2f}"  # noqa: E731
    for code in codes:
        r = result["rules"][code]
        cells = []
        for k in kinds:
            t = result["kinds"][k]["themes"][code]
            picked = max(set(t["picked"] or ["rules"]), key=(t["picked"] or ["rules"]).count)
            cells.append(f" {fmt(t['model'])} | {fmt(t['chosen'])} {picked:>5s} ")
        combos = [(result["kinds"][k]["themes"][code][m]["f1"], k, m) for k in kinds for m in ("or", "and")]
        f, k, m = max(combos)
        w = result["winners"][code]
        few = r["positives"] < MIN_POSITIVES
        winner = "rules (<5 pos.)" if few else ("rules" if w["kind"] == "rules" else f"{w['kind']}:{w['method']}") \
            + (" CLEAR" if code in result["clearly_won"] else "")
        lines.append(f"{code:22s} {r['positives']:4d} | {fmt(r)} |" + "|".join(cells)
                     + f"| {fmt(result['kinds'][k]['themes'][code][m])} {k + ':' + m:>15s} | {winner}")
    lines.append("micro (20 themes; a model only on themes with ≥ 5 positives, the rules on the rest):")
    for name, row in result["micro"].items():
        lines.append(f"  {name:22s} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  "
                     f"(TP {row['tp']}, FP {row['fp']}, FN {row['fn']}, positives {row['positives']})")
    lines.append(f"{result['items']} items, {result['folds']}-fold by URL group (fold sizes {result['fold_sizes']}); "
                 "thresholds and *chosen method picked on an inner 3-fold split of each training part; (pick) = most "
                 "frequent pick over the 5 folds. 'best combination' and 'winner' are the best on the held-out folds "
                 f"themselves (optimistic). CLEAR = beats the rules by ≥ {CLEAR_MARGIN} F1 with ≥ {CLEAR_POSITIVES} positives.")
    return lines


def shipped_themes(result: dict, kind: str = "linear") -> list[str]:
    """The themes a shipped `kind` model may decide: its nested (`chosen`) held-out F1 beats the rules clearly."""
    out = []
    for code, rules in result["rules"].items():
        row = result["kinds"][kind]["themes"][code]
        if rules["positives"] >= CLEAR_POSITIVES and row["chosen"]["f1"] - rules["f1"] >= CLEAR_MARGIN:
            out.append(code)
    return out


def train(out: Path = OUT, enabled: bool = False, weights: bool = True, measurement: dict | None = None,
          editors=()) -> dict | None:
    """The shipped artifact: `linear` trained on all the annotated items (and editors' theme decisions, each on
    the themes decided), deciding only `shipped_themes` of the measurement (default: the stored measurement.json);
    per theme, method and threshold chosen on 5-fold out-of-fold predictions (the same procedure as the inner
    split, at full size). `enabled` is written to config.json and metrics.json (the classifier's switch).
    Writes metrics.json, the model card and, beside them, a copy of measurement.json; with `weights`, the arrays."""
    from mediaplan.nlp.education_train import write_card
    from mediaplan.nlp.learned_themes import LearnedThemes

    stored = measurement is None
    if stored:
        measurement = json.loads(MEASUREMENT.read_text()) if MEASUREMENT.is_file() else None
    data = dataset(editors)
    if data is None or measurement is None:
        print("cần ../shared/data/training/ và measurement.json (chạy `python -m mediaplan.nlp.theme_train` trước)")
        return None
    codes = data.codes
    texts, Y, M, R, outer, _ = matrices(data)
    texts = list(texts)
    oof = np.zeros(Y.shape)
    for k in range(td.FOLDS):
        a, b = outer != k, outer == k
        if a.any() and b.any():
            oof[b] = maker("linear", codes).fit([t for t, x in zip(texts, a) if x], Y[a], M[a]).predict([t for t, x in zip(texts, b) if x])
    start = time.time()
    full = maker("linear", codes).fit(texts, Y, M)
    seconds = time.time() - start
    decided, combine_, thresholds, rows = [], {}, {}, []
    for code in shipped_themes(measurement):
        t = codes.index(code)
        known = M[:, t]
        th, how = choose_on(Y[known, t], oof[known, t], R[known, t])
        if how == "rules" or full.clfs[t] is None:
            continue
        decided.append(code)
        combine_[code], thresholds[code] = how, float(th[how])
        rows.append(t)
    vocab = {term: int(i) for term, i in full.vec.vocabulary_.items()}
    coef = np.array([full.clfs[t].coef_[0] for t in rows]) if rows else np.zeros((0, len(vocab)))
    intercept = np.array([float(full.clfs[t].intercept_[0]) for t in rows])
    trained = {"trained": date.today().isoformat(), "set": SET, "items": len(data.examples), "annotated": data.annotated,
               "editors_labels": data.editors, "sources": measurement["sources"]}
    meta = {"enabled": enabled, "kind": "linear: TF-IDF syllable 1-2-grams (sublinear, min_df 2) + logistic regression "
            "(C=4, balanced), one per theme", **trained,
            "positives": {c: int((Y & M)[:, codes.index(c)].sum()) for c in decided}, "train_seconds": round(seconds, 1)}
    model = LearnedThemes({c: None for c in decided}, combine_, thresholds, meta)  # type: ignore[arg-type]
    out.mkdir(parents=True, exist_ok=True)
    model.save(out, vocab, full.vec.idf_, coef, intercept)
    if not weights:  # the measurement only: the classifier does not use the model (see MODEL_CARD.md)
        for name in ("vocabulary.txt", "weights.npz", "config.json"):
            (out / name).unlink()
    every_kind = stored or (not data.editors and set(measurement["kinds"]) != {"linear"})
    note = ("measurement.json (5-fold, every kind)" if every_kind else
            f"linear re-measured by `mediaplan nlp train` (5-fold nested) on {len(data.examples)} items; "
            "the other kinds were measured on the annotated set alone (measurement.json)")
    metrics = {"measurement": note, **trained, "decides": decided if enabled else [],
               "would_decide": decided, "combine": combine_,
               "thresholds": thresholds, "enabled": enabled,
               "themes": {c: {"rules": measurement["rules"][c], "model": measurement["kinds"]["linear"]["themes"][c]["chosen"],
                              "use": combine_.get(c, "rules") if enabled else "rules"} for c in codes},
               "micro": {k: measurement["micro"][k] for k in ("rules", "linear:chosen", "per-theme winners")}}
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if MEASUREMENT.is_file() and MEASUREMENT.resolve() != (out / MEASUREMENT.name).resolve():
        shutil.copyfile(MEASUREMENT, out / MEASUREMENT.name)
    write_card(out, OUT / "MODEL_CARD.md", card_section(metrics, weights))
    metrics["size"] = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    metrics["terms"] = len(vocab)
    return metrics


def card_section(metrics: dict, weights: bool) -> list[str]:
    from mediaplan.nlp.education_train import REPRODUCES

    sources = ", ".join(f"{s} {n:,}" for s, n in metrics["sources"].items())
    would = ", ".join(f"{c} ({metrics['combine'][c]} ≥ {metrics['thresholds'][c]:.2f})" for c in metrics["would_decide"])
    micro = "; ".join(f"{name} P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}"
                      for name, r in metrics["micro"].items())
    return [
        "## This build",
        "",
        f"Measured and trained {metrics['trained']} by `mediaplan nlp train`: {metrics['items']:,} items, "
        f"{metrics['annotated']:,} of the annotated set {metrics['set']} ({sources}) and editors' labels: "
        f"{metrics['editors_labels']} items (each counts only for the themes its editor decided).",
        f"Measurement: {metrics['measurement']}. Micro over the 20 themes, held-out: {micro}.",
        f"Would decide (nested F1 beats the rules by ≥ {CLEAR_MARGIN} with ≥ {CLEAR_POSITIVES} positives; method ≥ "
        f"threshold): {would or 'none'}.",
        f"Enabled: {'yes' if metrics['enabled'] else 'no, every theme is decided by the rules'}; weights written: "
        f"{'yes' if weights else 'no (metrics.json only)'}.",
        "",
        REPRODUCES,
    ]


def rebuild(out: Path, editors=()) -> dict | None:
    """What `mediaplan nlp train` does for the themes: re-measure `linear` (nested 5-fold) on the annotated set
    and the editors' theme decisions, then `train` with that measurement. The switch stays as shipped
    (`enabled` of the packaged metrics.json: a person's decision, see MODEL_CARD.md); weights only if enabled.

    With no editors' labels the items are the annotated set's, the fresh `linear` figures are the stored
    ones, and the other kinds are taken from measurement.json, so the result is the shipped metrics.json.
    None when the annotated set or the corpus is missing.
    """
    shipped = json.loads((OUT / "metrics.json").read_text(encoding="utf-8")) if (OUT / "metrics.json").is_file() else {}
    enabled = bool(shipped.get("enabled", False))
    fresh = compare(kinds=("linear",), write=False, quiet=True, editors=editors)
    if not fresh:
        return None
    stored = json.loads(MEASUREMENT.read_text(encoding="utf-8")) if MEASUREMENT.is_file() else {}
    if not fresh.get("editors_labels") and stored.get("items") == fresh["items"] and stored.get("rules") == fresh["rules"]:
        fresh["kinds"] = {**{k: fresh["kinds"].get(k, row) for k, row in stored.get("kinds", {}).items()}, **fresh["kinds"]}
        decide(fresh, list(fresh["rules"]))  # the per-theme winners over every kind, as measurement.json has them
    return train(out, enabled=enabled, weights=enabled, measurement=fresh, editors=editors)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    known = {"compare", "train", "--enable", "--measurement-only", *KINDS}
    if any(a not in known for a in args) or (args[:1] not in ([], ["train"]) and set(args) - {"compare", *KINDS}):
        print("usage: python -m mediaplan.nlp.theme_train [compare [KIND ...] | train [--measurement-only] [--enable]]\n"
              f"  KIND: {', '.join(KINDS)}", file=sys.stderr)
        return 2
    if args[:1] == ["compare"]:
        args = args[1:]
    start = time.time()
    if args and args[0] == "train":
        metrics = train(enabled="--enable" in args, weights="--measurement-only" not in args)
        if metrics:
            print(f"saved {OUT}: {metrics['terms']} terms, {len(metrics['would_decide'])} themes {metrics['would_decide']}, "
                  f"{metrics['size'] / 1e6:.2f} MB")
        print(f"wall time {time.time() - start:.0f}s")
        return 0
    result = compare(kinds=tuple(args) or KINDS)
    if result:
        print("\n".join(table(result)))
        print(f"clearly won by a model: {result['clearly_won'] or 'none'}; wall time {time.time() - start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
