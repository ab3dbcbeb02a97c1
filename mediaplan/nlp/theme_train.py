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
- `spacy_bow`: spaCy `textcat_multilabel` bag-of-words 1–2-grams, as `nlp.model.train_model` trains it;
- `hashed_sgd`: 2^20 hashed 1–2-grams + SGD logistic loss (the fastText equivalent), one per theme.

A theme with fewer than `MIN_POSITIVES` gold positives is reported but always left to the rules. A theme counts
as *clearly won* by a model only when its held-out F1 beats the rules' by `CLEAR_MARGIN` with at least
`CLEAR_POSITIVES` positives; only then would an artifact be worth shipping.

    python -m mediaplan.nlp.theme_train            # compare every kind → models/themes/measurement.json (~15 min)
    python -m mediaplan.nlp.theme_train train      # linear on all 600 → models/themes/ (weights, config, metrics.json)
    python -m mediaplan.nlp.theme_train train --measurement-only   # what is shipped now: metrics.json alone
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from mediaplan.nlp import training_data as td
from mediaplan.nlp.education_train import CACHE_DIR, HashedSGD, Linear, _cache_file, apply, best_threshold, scores

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

def dataset():
    """(gold items with their Example, theme codes); None when the annotated set or ../shared/ is missing."""
    from mediaplan.nlp.agreement import ANNOTATIONS, gold, load_annotators
    from mediaplan.plans import current_plan

    folder = ANNOTATIONS / SET
    if not folder.is_dir() or not td.available():
        return None
    codes = tuple(current_plan().theme_codes)
    examples = {e.id: e for e in td.load()}
    items = [(g, examples[g.id]) for g in gold(load_annotators(folder), ("education", "nq71", *codes)) if g.id in examples]
    return items, codes


def inner_fold(group: str) -> int:
    return int(hashlib.md5(f"inner:{group}".encode()).hexdigest(), 16) % INNER


def rule_themes(examples) -> dict[str, list[str]]:
    """The rules' themes per item id (as `evaluate.themes_table` classifies: title, lead, body), cached in /tmp."""
    cache_file = CACHE_DIR / _cache_file().name.replace("edu-rules", "theme-rules")
    cache = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    todo = [e for e in examples if e.id not in cache]
    if todo:
        from mediaplan.nlp.pipeline import get_classifier

        clf = get_classifier()
        for e in todo:
            cache[e.id] = sorted(t.code for t in clf.classify(e.title, e.sapo, e.body, use_model=False).themes)
        cache_file.write_text(json.dumps(cache))
    return cache


# ---------------------------------------------------------------- kinds (multi-label)

class OneVsRest:
    """One binary classifier per theme on one shared vectorizer, from an education_train recipe."""

    def __init__(self, recipe):
        self.recipe = recipe

    def fit(self, texts, Y):
        from sklearn.base import clone

        base = self.recipe()
        self.vec = base.vec
        X = self.vec.fit_transform(texts)  # TF-IDF learns its vocabulary here; the hashing one is stateless
        self.clfs = [clone(base.clf).fit(X, Y[:, k]) if 0 < Y[:, k].sum() < len(Y) else None for k in range(Y.shape[1])]
        return self

    def predict(self, texts):
        X = self.vec.transform(texts)
        return np.column_stack([c.predict_proba(X)[:, 1] if c is not None else np.zeros(X.shape[0]) for c in self.clfs])


class SpacyMulti:
    """spaCy textcat_multilabel BOW, trained by `nlp.model.train_model` (the editors'-labels theme model)."""

    def __init__(self, codes):
        self.codes = codes

    def fit(self, texts, Y):
        from mediaplan.nlp.model import LabelledItem, train_model

        items = [LabelledItem(str(i), t, "", "", {c for c, y in zip(self.codes, row) if y}) for i, (t, row) in enumerate(zip(texts, Y))]
        self.nlp = train_model(items, list(self.codes), epochs=SPACY_EPOCHS)
        return self

    def predict(self, texts):
        return np.array([[d.cats[c] for c in self.codes] for d in self.nlp.pipe(texts, batch_size=128)])


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


def compare(kinds=KINDS, write: bool = True, quiet: bool = False) -> dict:
    data = dataset()
    if data is None:
        print(f"Không có tập gán nhãn {SET} hoặc dữ liệu {td.TRAINING}: bỏ qua so sánh mô hình chủ đề.")
        return {}
    items, codes = data
    examples = [e for _, e in items]
    rules_by_id = rule_themes(examples)
    texts = np.array([td.text_of(e.full()) for e in examples], dtype=object)
    Y = np.array([[c in g.themes for c in codes] for g, _ in items], dtype=bool)
    R = np.array([[c in rules_by_id[e.id] for c in codes] for e in examples], dtype=bool)
    outer = np.array([e.fold for e in examples])
    inner = np.array([inner_fold(e.group) for e in examples])
    positives = Y.sum(0)
    eligible = [k for k in range(len(codes)) if positives[k] >= MIN_POSITIVES]
    result = {"set": SET, "items": len(items), "folds": td.FOLDS, "inner_folds": INNER, "min_positives": MIN_POSITIVES,
              "date": date.today().isoformat(), "sources": {s: sum(e.source == s for e in examples) for s in sorted({e.source for e in examples})},
              "fold_sizes": {int(k): int((outer == k).sum()) for k in range(td.FOLDS)},
              "rules": {}, "kinds": {}}
    result["rules"] = {c: prf(counts(Y[:, k], R[:, k])) for k, c in enumerate(codes)}
    for kind in kinds:
        start = time.time()
        preds = {m: np.zeros_like(Y) for m in (*METHODS, "chosen")}
        picks: dict[str, list] = {c: [] for c in codes}
        thresholds: dict[str, list] = {c: [] for c in codes}
        for k in range(td.FOLDS):
            train, test = np.where(outer != k)[0], np.where(outer == k)[0]
            oof = np.zeros((len(train), len(codes)))
            for j in range(INNER):  # out-of-fold predictions inside the training part, for thresholds only
                a, b = train[inner[train] != j], np.where(inner[train] == j)[0]
                oof[b] = maker(kind, codes).fit(list(texts[a]), Y[a]).predict(list(texts[train[b]]))
            prob = maker(kind, codes).fit(list(texts[train]), Y[train]).predict(list(texts[test]))
            for t, code in enumerate(codes):
                th, chosen = choose_on(Y[train, t], oof[:, t], R[train, t])
                if t not in eligible:
                    chosen = "rules"
                picks[code].append(chosen)
                thresholds[code].append(th)
                for how in METHODS:
                    preds[how][test, t] = apply(how, th[how], prob[:, t], R[test, t])
                preds["chosen"][test, t] = apply(chosen, th.get(chosen, 0.5), prob[:, t], R[test, t])
        per = {}
        for t, code in enumerate(codes):
            per[code] = {m: prf(counts(Y[:, t], preds[m][:, t])) for m in preds}
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
            picked = max(set(t["picked"]), key=t["picked"].count)
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


def train(out: Path = OUT, enabled: bool = False, weights: bool = True) -> dict | None:
    """The shipped artifact: `linear` trained on all the annotated items, deciding only `shipped_themes` of the
    stored measurement; per theme, method and threshold chosen on 5-fold out-of-fold predictions (the same
    procedure as the inner split, at full size). `enabled` is written to config.json (the classifier's switch)."""
    from mediaplan.nlp.learned_themes import LearnedThemes

    measurement = json.loads(MEASUREMENT.read_text()) if MEASUREMENT.is_file() else None
    data = dataset()
    if data is None or measurement is None:
        print("cần ../shared/data/training/ và measurement.json (chạy `python -m mediaplan.nlp.theme_train` trước)")
        return None
    items, codes = data
    examples = [e for _, e in items]
    rules_by_id = rule_themes(examples)
    texts = [td.text_of(e.full()) for e in examples]
    Y = np.array([[c in g.themes for c in codes] for g, _ in items], dtype=bool)
    R = np.array([[c in rules_by_id[e.id] for c in codes] for e in examples], dtype=bool)
    outer = np.array([e.fold for e in examples])
    oof = np.zeros(Y.shape)
    for k in range(td.FOLDS):
        a, b = outer != k, outer == k
        oof[b] = maker("linear", codes).fit([t for t, x in zip(texts, a) if x], Y[a]).predict([t for t, x in zip(texts, b) if x])
    start = time.time()
    full = maker("linear", codes).fit(texts, Y)
    seconds = time.time() - start
    decided, combine_, thresholds, rows = [], {}, {}, []
    for code in shipped_themes(measurement):
        t = codes.index(code)
        th, how = choose_on(Y[:, t], oof[:, t], R[:, t])
        if how == "rules":
            continue
        decided.append(code)
        combine_[code], thresholds[code] = how, float(th[how])
        rows.append(t)
    vocab = {term: int(i) for term, i in full.vec.vocabulary_.items()}
    coef = np.array([full.clfs[t].coef_[0] for t in rows]) if rows else np.zeros((0, len(vocab)))
    intercept = np.array([float(full.clfs[t].intercept_[0]) for t in rows])
    meta = {"enabled": enabled, "kind": "linear: TF-IDF syllable 1-2-grams (sublinear, min_df 2) + logistic regression "
            "(C=4, balanced), one per theme", "trained": date.today().isoformat(), "set": SET, "items": len(items),
            "sources": measurement["sources"], "positives": {c: int(Y[:, codes.index(c)].sum()) for c in decided},
            "train_seconds": round(seconds, 1)}
    model = LearnedThemes({c: None for c in decided}, combine_, thresholds, meta)  # type: ignore[arg-type]
    model.save(out, vocab, full.vec.idf_, coef, intercept)
    if not weights:  # the measurement only: the classifier does not use the model (see MODEL_CARD.md)
        for name in ("vocabulary.txt", "weights.npz", "config.json"):
            (out / name).unlink()
    metrics = {"measurement": "measurement.json (5-fold, every kind)", "decides": decided if enabled else [],
               "would_decide": decided, "combine": combine_,
               "thresholds": thresholds, "enabled": enabled,
               "themes": {c: {"rules": measurement["rules"][c], "model": measurement["kinds"]["linear"]["themes"][c]["chosen"],
                              "use": combine_.get(c, "rules") if enabled else "rules"} for c in codes},
               "micro": {k: measurement["micro"][k] for k in ("rules", "linear:chosen", "per-theme winners")}}
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"saved {out}: {len(vocab)} terms, {len(decided)} themes {decided}, {size / 1e6:.2f} MB")
    return metrics


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
        train(enabled="--enable" in args, weights="--measurement-only" not in args)
        print(f"wall time {time.time() - start:.0f}s")
        return 0
    result = compare(kinds=tuple(args) or KINDS)
    if result:
        print("\n".join(table(result)))
        print(f"clearly won by a model: {result['clearly_won'] or 'none'}; wall time {time.time() - start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
