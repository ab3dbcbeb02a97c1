"""Training and measurement of the learned `education` flag (needs scikit-learn and ../shared/data/training/,
or the folder MEDIAPLAN_TRAINING_DIR names).

Kinds, all on the same syllable 1–2-gram features (`education_model.features`) and the same splits:
- `linear`: TF-IDF (sublinear tf, min_df 2) + logistic regression (balanced classes);
- `hashed_sgd`: the fastText equivalent, 2^20 hashed n-grams + SGD logistic loss (the `fasttext` wheel is only an
  sdist here, so it is not used);
- `spacy_bow`: spaCy `textcat_multilabel`, bag-of-words 1–2-grams, on the project's syllable tokenizer.

Splits:
- `vne-url`: VnExpress (sections + titles) split by article URL into folds; train 0–2, validate 3, test 4;
- `vne→danes`: train VnExpress folds 0–2 and 4, validate fold 3, test the whole multi-outlet DANeS set;
- `danes→vne`: train DANeS, validate on its own 5-fold out-of-fold predictions, test all of VnExpress.
Every article trains on both its full text and its short view (headline + first 40 words). Thresholds, and
how to combine with the rules (model alone, rules OR model, rules AND model), are chosen on validation data by
F1, separately for full articles and short items; the test sets only report.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from mediaplan.nlp import training_data as td
from mediaplan.nlp.education_model import ARTIFACT, EducationModel, features

KINDS = ("linear", "hashed_sgd", "spacy_bow")
SEED = 71
# How the shipped model may combine with the rules, per view. Never the model alone: the rules keep giving the
# evidence, and the VnExpress positives come from four sub-sections only (English, study abroad, quizzes,
# "giáo dục 4.0"; no admissions, no ordinary school news). On full articles the model may not decide at all:
# AND won on the VnExpress validation fold, but on the demo's provincial school news it vetoed 11 of 11 changed
# items that are plainly education (preschool, literacy classes, boarding schools, school meals), the news the
# training positives lack. Short items: the model may add items (OR) or veto (AND), whichever wins on validation.
ALLOWED = {"full": ("rules",), "short": ("rules", "or", "and")}
CACHE_DIR = Path(tempfile.gettempdir())  # rule decisions per item id (labels only, no text), outside the repo


def _cache_file() -> Path:
    """The cache of rule decisions, keyed by what decides them: a change of rules or plan never reads stale ones."""
    import hashlib

    from mediaplan.plans import current_plan

    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in sorted([*here.glob("*.py"), *current_plan().folder.glob("*.yaml")]):
        digest.update(path.name.encode() + path.read_bytes())
    return CACHE_DIR / f"mediaplan-edu-rules-{digest.hexdigest()[:16]}.json"


# ---------------------------------------------------------------- models

class Linear:
    def __init__(self, C: float = 4.0):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=2, dtype=np.float32)
        # liblinear's primal solver is deterministic (the seed changes nothing; it is set so it never could)
        self.clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000, solver="liblinear", random_state=SEED)

    def fit(self, texts, y):
        self.clf.fit(self.vec.fit_transform(texts), y)
        return self

    def predict(self, texts):
        return self.clf.predict_proba(self.vec.transform(texts))[:, 1]

    def export(self) -> EducationModel:
        vocab = {t: int(i) for t, i in self.vec.vocabulary_.items()}
        return EducationModel(vocab, self.vec.idf_.astype(np.float64), self.clf.coef_[0].astype(np.float64),
                              float(self.clf.intercept_[0]), {}, {}, {})


class HashedSGD:
    def __init__(self):
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import SGDClassifier

        self.vec = HashingVectorizer(analyzer=features, n_features=2**20, alternate_sign=False, norm="l2")
        self.clf = SGDClassifier(loss="log_loss", alpha=2e-6, class_weight="balanced", max_iter=30, tol=None,
                                 random_state=SEED)

    def fit(self, texts, y):
        self.clf.fit(self.vec.transform(texts), y)
        return self

    def predict(self, texts):
        return self.clf.predict_proba(self.vec.transform(texts))[:, 1]


class SpacyBow:
    EPOCHS = 6

    def __init__(self):
        from mediaplan.nlp.tokenize import get_nlp
        import spacy

        self.nlp = spacy.blank("vi")
        self.nlp.tokenizer = get_nlp().tokenizer
        textcat = self.nlp.add_pipe("textcat_multilabel", config={"model": {
            "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2,
            "no_output_layer": False, "length": 262144}})
        textcat.add_label("EDU")

    def fit(self, texts, y):
        from spacy.training import Example
        from spacy.util import fix_random_seed, minibatch

        fix_random_seed(SEED)
        docs = [self.nlp.make_doc(t.lower()) for t in texts]
        examples = [Example.from_dict(d, {"cats": {"EDU": float(v)}}) for d, v in zip(docs, y)]
        # balance: repeat positives so both classes weigh the same, as class_weight does for the others
        pos = [e for e, v in zip(examples, y) if v]
        reps = max(1, round((len(examples) - len(pos)) / max(1, len(pos))))
        data = examples + pos * (reps - 1)
        optimizer = self.nlp.initialize(lambda: examples)
        rng = random.Random(SEED)
        for _ in range(self.EPOCHS):
            rng.shuffle(data)
            for batch in minibatch(data, size=64):
                self.nlp.update(batch, sgd=optimizer, drop=0.0)
        return self

    def predict(self, texts):
        return np.array([d.cats["EDU"] for d in self.nlp.pipe((t.lower() for t in texts), batch_size=256)])


MAKERS = {"linear": Linear, "hashed_sgd": HashedSGD, "spacy_bow": SpacyBow}


# ---------------------------------------------------------------- data views

def views(examples, view: str):
    return [td.text_of(e.full() if view == "full" else e.short()) for e in examples]


def train_texts(examples):
    """Full text and short view of each article; titles and DANeS items are short already (one view)."""
    texts, y = [], []
    for e in examples:
        texts.append(td.text_of(e.full()))
        y.append(e.education)
        if e.body:
            texts.append(td.text_of(e.short()))
            y.append(e.education)
    return texts, np.array(y, dtype=bool)


def read_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):  # missing, or half-written by another process: computed again
        return {}


def write_cache(path: Path, cache: dict) -> None:
    """Written whole, then renamed: a process reading meanwhile sees the old cache or the new, never half."""
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    part.write_text(json.dumps(cache))
    os.replace(part, path)


def text_key(e) -> str:
    """A cache key for an example's text: ids alone name other texts in another training folder or database."""
    import hashlib

    return hashlib.sha1("\x1f".join(e.full()).encode("utf-8")).hexdigest()[:20]


def rule_decisions(examples) -> dict[str, dict[str, bool]]:
    """The rules' flag per item id, on the full text and the short view; cached in /tmp by text."""
    cache_file = _cache_file()
    cache = read_cache(cache_file)
    todo = [e for e in examples if text_key(e) not in cache]
    if todo:
        from mediaplan.nlp.pipeline import get_classifier

        clf = get_classifier()
        start = time.time()
        for e in todo:
            cache[text_key(e)] = {"full": clf.classify(*e.full(), use_model=False).education,
                                  "short": clf.classify(*e.short(), use_model=False).education}
        print(f"rules on {len(todo)} items (full and short) in {time.time() - start:.0f}s")
        write_cache(cache_file, cache)
    return {e.id: cache[text_key(e)] for e in examples}


# ---------------------------------------------------------------- measurement

def scores(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 from counts (0 where undefined), with the counts beside them: every figure
    `make eval` and the model cards print comes from here."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"positives": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3)}


def prf(y, pred) -> dict:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    return {"n": int(len(y)), **scores(int((y & pred).sum()), int((~y & pred).sum()), int((y & ~pred).sum()))}


def best_threshold(y, prob, rules=None, how="model") -> float:
    """The threshold with the best F1 on validation data (ties: the higher one)."""
    y = np.asarray(y, bool)
    best, best_t = -1.0, 0.5
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        f = prf(y, apply(how, t, prob, rules))["f1"]
        if f >= best:
            best, best_t = f, float(t)
    return best_t


def choose(val: dict) -> dict:
    """val[view] = (y, prob, rules) → per view: thresholds per method, the validation F1 and the chosen method."""
    out = {}
    for view, (y, prob, rules) in val.items():
        methods = {"rules": {"threshold": None, "val": prf(y, rules)}}
        for how in ("model", "or", "and"):
            t = best_threshold(y, prob, rules, how)
            methods[how] = {"threshold": t, "val": prf(y, apply(how, t, prob, rules))}
        chosen = max(methods, key=lambda k: (methods[k]["val"]["f1"], k == "rules"))
        out[view] = {"methods": methods, "chosen": chosen}
    return out


def apply(how, t, prob, rules):
    """The decisions of one method: the rules, the model at threshold t, or the two joined by OR / AND."""
    if how == "rules":
        return rules
    m = prob >= t
    return m if how == "model" else (rules | m if how == "or" else rules & m)


def split_sets(examples):
    vne = [e for e in examples if e.source != "danes-multi-outlet" and not e.quiz]
    danes = [e for e in examples if e.source == "danes-multi-outlet"]
    art = lambda es: [e for e in es if e.source == "vnexpress-sections"]  # noqa: E731
    tit = lambda es: [e for e in es if e.source == "vnexpress-titles"]  # noqa: E731
    fold = lambda es, fs: [e for e in es if e.fold in fs]  # noqa: E731
    val_vne = fold(vne, {td.VALIDATION_FOLD})
    vne_val = {"full": (art(val_vne), "full"), "short": (art(val_vne) + tit(val_vne), "short")}
    test_vne = fold(vne, {td.TEST_FOLD})
    return {
        "vne-url": {"train": fold(vne, {0, 1, 2}), "val": vne_val,
                    "test": {"full: articles": (art(test_vne), "full"), "short: articles, headline+40 words": (art(test_vne), "short"),
                             "short: titles": (tit(test_vne), "short")}},
        "vne→danes": {"train": fold(vne, {0, 1, 2, td.TEST_FOLD}), "val": vne_val,
                      "test": {"short: danes title+lead": (danes, "short")}},
        "danes→vne": {"train": danes, "val": "oof",
                      "test": {"full: articles": (art(vne), "full"), "short: articles, headline+40 words": (art(vne), "short"),
                               "short: titles": (tit(vne), "short")}},
    }


def run_split(kind, split, rules):
    maker = MAKERS[kind]
    texts, y = train_texts(split["train"])
    start = time.time()
    model = maker().fit(texts, y)
    seconds = time.time() - start
    if split["val"] == "oof":  # DANeS: out-of-fold predictions, five folds by group
        train = split["train"]
        prob = np.zeros(len(train))
        for k in range(td.FOLDS):
            inside = [e for e in train if e.fold != k]
            outside = [i for i, e in enumerate(train) if e.fold == k]
            m = maker().fit(*train_texts(inside))
            prob[outside] = m.predict(views([train[i] for i in outside], "short"))
        yv = np.array([e.education for e in train])
        rv = np.array([rules[e.id]["short"] for e in train])
        val = {"full": (yv, prob, rv), "short": (yv, prob, rv)}
    else:
        val = {}
        for view, (es, how) in split["val"].items():
            val[view] = (np.array([e.education for e in es]), model.predict(views(es, how)),
                         np.array([rules[e.id][how] for e in es]))
    chosen = choose(val)
    tests = {}
    for name, (es, how) in split["test"].items():
        view = "full" if name.startswith("full") else "short"
        y_t = np.array([e.education for e in es])
        prob = model.predict(views(es, how))
        r = np.array([rules[e.id][how] for e in es])
        row = {"rules": prf(y_t, r)}
        for m in ("model", "or", "and"):
            row[m] = prf(y_t, apply(m, chosen[view]["methods"][m]["threshold"], prob, r))
        row["chosen"] = chosen[view]["chosen"]
        tests[name] = row
    return model, {"train_items": len(split["train"]), "train_texts": len(texts), "train_seconds": round(seconds, 1),
                   "validation": {v: {"chosen": c["chosen"], **{m: {"threshold": c["methods"][m]["threshold"],
                                                                      "f1": c["methods"][m]["val"]["f1"]}
                                                                  for m in c["methods"]}} for v, c in chosen.items()},
                   "test": tests}


def compare(kinds=KINDS, out: Path = ARTIFACT / "metrics.json", write: bool = True) -> dict:
    if not td.available():
        print(f"Không có dữ liệu huấn luyện ở {td.training_dir()}.")
        return {}
    examples = td.load()
    rules = rule_decisions(examples)
    splits = split_sets(examples)
    metrics = json.loads(out.read_text()) if out.is_file() else {}
    metrics.setdefault("kinds", {})
    metrics["quiz_items_left_out"] = sum(e.quiz for e in examples)
    for kind in kinds:
        metrics["kinds"][kind] = {}
        for name, split in splits.items():
            _, result = run_split(kind, split, rules)
            metrics["kinds"][kind][name] = result
            print(kind, name, f"{result['train_seconds']}s", json.dumps({k: {m: v[m]["f1"] for m in ("rules", "model", "or", "and")}
                                                                       for k, v in result["test"].items()}, ensure_ascii=False))
    if write:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(metrics, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return metrics


def table(metrics: dict, fresh: tuple = ()) -> list[str]:
    """One line per kind × split × test set × method: precision, recall, F1 and the counts behind them."""
    lines = [f"{'kind':<11} {'split':<10} {'test set':<36} {'method':<6} {'thr':>5} {'P':>6} {'R':>6} {'F1':>6} "
             f"{'items':>6} {'pos':>5} {'tp':>5} {'fp':>5} {'fn':>5}"]
    for kind, splits in metrics.get("kinds", {}).items():
        for split, result in splits.items():
            for name, row in result["test"].items():
                view = "full" if name.startswith("full") else "short"
                for method in ("rules", "model", "or", "and"):
                    f = row[method]
                    t = result["validation"][view][method]["threshold"]
                    mark = "*" if row["chosen"] == method else " "
                    lines.append(f"{kind + ('' if kind in fresh else '†'):<11} {split:<10} {name:<36} {method + mark:<6} "
                                 f"{'' if t is None else t:>5} {f['precision']:>6.3f} {f['recall']:>6.3f} {f['f1']:>6.3f} "
                                 f"{f['n']:>6} {f['positives']:>5} {f['tp']:>5} {f['fp']:>5} {f['fn']:>5}")
    lines.append("* chosen on validation data (all methods allowed); thr: probability threshold chosen on validation; "
                 + ("† figures stored in metrics.json by `compare`" if fresh else ""))
    return lines


CARD = "MODEL_CARD.md"
CARD_BEGIN = "<!-- nlp train: begin. This section is written by `mediaplan nlp train`; edit the rest by hand. -->"
CARD_END = "<!-- nlp train: end -->"
REPRODUCES = ("Rebuilt by `mediaplan nlp train`; with ../shared/data/ and the labels in this repository "
              "(annotations/themes-v1) and no editors' labels it reproduces the shipped artifact.")
HOW = {"rules": "the rules decide", "model": "the model decides", "or": "rules OR model", "and": "rules AND model"}


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def write_card(out: Path, template: Path, section: list[str]) -> None:
    """The model card: the hand-written card of `template` with its generated section replaced by `section`."""
    card = template.read_text(encoding="utf-8") if template.is_file() else ""
    block = "\n".join([CARD_BEGIN, *section, CARD_END])
    if CARD_BEGIN in card and CARD_END in card:
        head, rest = card.split(CARD_BEGIN, 1)
        card = head + block + rest.split(CARD_END, 1)[1]
    else:
        card = card.rstrip("\n") + ("\n\n" if card else "") + block + "\n"
    (out / CARD).write_text(card, encoding="utf-8")


def source_counts(examples, editors) -> dict:
    counts: dict[str, dict] = {}
    for e in examples:
        c = counts.setdefault(e.source, {"items": 0, "education": 0})
        c["items"] += 1
        c["education"] += int(e.education)
    counts[td.EDITORS] = {"items": len(editors), "education": sum(int(e.education) for e in editors)}
    return counts


def train(out: Path = ARTIFACT, editors=(), data: Path | None = None, measured: Path = ARTIFACT / "metrics.json") -> EducationModel:
    """The model in use: `linear` on all of VnExpress (quizzes left out), DANeS and the editors' decisions on the
    flag (`editors`: `training_data.editor_example`s, in the order given, after the corpus); thresholds and
    combination as chosen on the `vne-url` validation fold, read from `measured` (the metrics.json `compare`
    writes). Writes the whole artifact into `out`: weights, config, a copy of metrics.json and the model card.

    The same corpus and no editors' labels give the same arrays: the corpus is read in a fixed order
    (`training_data.load`), the vectorizer and liblinear are deterministic. MissingData without the corpus.
    """
    data = td.require(data)
    metrics = json.loads(measured.read_text(encoding="utf-8")) if measured.is_file() else {}
    validation = metrics.get("kinds", {}).get("linear", {}).get("vne-url", {}).get("validation")
    if not validation:
        raise ValueError(f"{measured} không có số đo linear/vne-url: chạy `python -m mediaplan.nlp.education_model compare linear` trước")
    editors = list(editors)
    corpus = [e for e in td.load(data) if not e.quiz]
    start = time.time()
    texts, y = train_texts(corpus + editors)
    lin = Linear().fit(texts, y)
    model = lin.export()
    model.combine, model.thresholds = {}, {}
    for view in ("full", "short"):
        how = max(ALLOWED[view], key=lambda m: (validation[view][m]["f1"], m == "rules"))
        model.combine[view] = how
        model.thresholds[view] = float(validation[view][how]["threshold"] or 0.5)
    model.meta = {"kind": "linear: TF-IDF syllable 1-2-grams + logistic regression (C=4, balanced)",
                  "trained": date.today().isoformat(), "sources": source_counts(corpus, editors),
                  "editors_labels": len(editors), "train_texts": len(texts),
                  "train_seconds": round(time.time() - start, 1)}
    out.mkdir(parents=True, exist_ok=True)
    model.save(out)
    if measured.resolve() != (out / "metrics.json").resolve():
        shutil.copyfile(measured, out / "metrics.json")
    size = folder_size(out)
    write_card(out, ARTIFACT / CARD if (ARTIFACT / CARD).is_file() else out / CARD, card_section(model, size))
    return model


def card_section(model: EducationModel, size: int) -> list[str]:
    m = model.meta
    names = {td.EDITORS: "editors' labels (review queue)"}
    rows = [f"| {names.get(s, s)} | {c['items']:,} | {c['education']:,} |" for s, c in m["sources"].items()]
    return [
        "## This build",
        "",
        f"Trained {m['trained']} by `mediaplan nlp train` in {m['train_seconds']} s: {len(model.vocabulary):,} features, "
        f"{size / 1e6:.1f} MB (`vocabulary.txt`, `weights.npz`, `config.json`, `metrics.json`).",
        "",
        "| training source | items | education |",
        "|---|---|---|",
        *rows,
        "",
        f"Editors' labels: {m['editors_labels']} items. {m['train_texts']:,} training texts (each article also as "
        "headline + 40 words). Thresholds and combination (from `metrics.json`, chosen on the VnExpress validation "
        f"fold): full articles {HOW[model.combine['full']]}"
        + ("" if model.combine["full"] == "rules" else f" ≥ {model.thresholds['full']:.2f}")
        + f"; short items {HOW[model.combine['short']]}"
        + ("" if model.combine["short"] == "rules" else f" ≥ {model.thresholds['short']:.2f}") + ".",
        "",
        REPRODUCES,
    ]
