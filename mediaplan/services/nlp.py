"""The learned models' life cycle, on one path: retrain both from the corpus, the annotated set and editors'
labels and swap them in (`train_models`); say what is in use beside what editors found on reviewed items
(`status`); measure the running classifier on a hand-labelled file (`evaluate_gold`).

Training writes each new artifact into a staging folder beside the one in use and swaps it in only once both
are complete, so a crawl classifying meanwhile never sees half a model. The default place is
`<data_dir>/models/` (an installed app never writes into its package); `education_model.get_model()` prefers
the folder there and falls back to the packaged artifact.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from sqlalchemy.orm import Session

from mediaplan.services import NotFound, ServiceError

EDUCATION, THEMES = "education", "themes"


def editor_examples(session: Session) -> dict[str, list]:
    """Every item an editor decided on, as training examples (`training_data.editor_example`): those that decided
    the flag (for the education model) and those that decided a theme (for the themes), in item order."""
    from mediaplan.nlp import training_data as td
    from mediaplan.services.review import editor_labels

    out: dict[str, list] = {EDUCATION: [], THEMES: []}
    for row in editor_labels(session):
        example = td.editor_example(row)
        if row["education"] is not None:
            out[EDUCATION].append(example)
        if example.themes:
            out[THEMES].append(example)
    return out


def require_corpus() -> Path:
    """The training corpus folder, or a ServiceError naming it (one line for the CLI)."""
    from mediaplan.nlp import training_data as td

    try:
        return td.require()
    except td.MissingData as exc:
        raise ServiceError(str(exc)) from None


def train_models(editors: dict[str, list], out: Path | None = None) -> dict:
    """Retrain the education model (corpus + editors' flag decisions) and re-measure the themes (annotated set +
    editors' theme decisions), write both under `out` (default `<data_dir>/models/`) and put them in use.

    Returns what was built: per model its folder, sources and counts, size; and the wall time.
    """
    from mediaplan.nlp import education_model, education_train, theme_train
    from mediaplan.nlp.pipeline import get_classifier, model_dir

    corpus = require_corpus()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ServiceError("cần scikit-learn để huấn luyện: pip install scikit-learn") from None
    out = Path(out) if out else model_dir()
    if out.exists() and not out.is_dir():
        raise ServiceError(f"{out} không phải thư mục", field="out")
    start = time.time()
    out.mkdir(parents=True, exist_ok=True)
    staging = {name: out / f"{name}.new" for name in (EDUCATION, THEMES)}
    for folder in staging.values():
        shutil.rmtree(folder, ignore_errors=True)
    try:
        model = education_train.train(staging[EDUCATION], editors=editors.get(EDUCATION, []), data=corpus)
        themes = theme_train.rebuild(staging[THEMES], editors=editors.get(THEMES, []))
    except BaseException:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    size = education_train.folder_size(staging[EDUCATION])
    _swap(staging[EDUCATION], out / EDUCATION)
    if themes is not None:
        _swap(staging[THEMES], out / THEMES)
    education_model.get_model.cache_clear()
    get_classifier.cache_clear()
    result = {"out": str(out), "corpus": str(corpus), "seconds": round(time.time() - start, 1),
              EDUCATION: {"folder": str(out / EDUCATION), "features": len(model.vocabulary), "size": size,
                          "thresholds": model.thresholds, "combine": model.combine, **model.meta}}
    if themes is None:
        result[THEMES] = None  # no annotated set (or no corpus to join it with): the theme artifact is left as it was
    else:
        result[THEMES] = {"folder": str(out / THEMES), **{k: themes[k] for k in (
            "trained", "set", "items", "annotated", "editors_labels", "sources", "would_decide", "enabled", "size")}}
    return result


def _swap(staging: Path, final: Path) -> None:
    """Put a complete staging folder in the place of `final`: two renames, the old folder removed after."""
    old = final.with_name(final.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def status(session: Session, days: int | None = None) -> dict:
    """What is in use and how it scored: the education model (folder, when trained, sources, thresholds, how it
    combines with the rules, its held-out figures) and per theme the held-out figures of the theme measurement
    (rules against the model, which one decides) beside the precision editors found on the items they reviewed
    in the last `days` (default 90), the flag included."""
    from mediaplan.nlp import education_model, learned_themes
    from mediaplan.plans import current_plan
    from mediaplan.services.review import WINDOW_DAYS, reviewed_precision
    from mediaplan.settings import get_settings

    days = days or WINDOW_DAYS
    reviewed = reviewed_precision(session, days)
    folder = education_model.artifact_dir()
    education = None
    if (folder / "config.json").is_file():
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        measured = folder / "metrics.json"
        split = json.loads(measured.read_text(encoding="utf-8")).get("kinds", {}).get("linear", {}).get("vne-url", {}) \
            if measured.is_file() else {}
        heldout = {}
        for name, row in split.get("test", {}).items():
            view = "full" if name.startswith("full") else "short"
            used = config["combine"].get(view, "rules")
            heldout[name] = {"view": view, "rules": row["rules"], "model": row[used] if used != "rules" else None, "use": used}
        education = {"folder": str(folder), "packaged": folder == education_model.ARTIFACT, **config, "heldout": heldout,
                     "reviewed": reviewed.get("education")}
    tfolder = learned_themes.artifact_dir()
    metrics = learned_themes.metrics(tfolder) or {}
    rows = {}
    for code in current_plan().theme_codes:
        held = metrics.get("themes", {}).get(code)
        rows[code] = {"heldout": held, "reviewed": reviewed.get(code)}
    return {"tokenizer": get_settings().tokenizer, "window_days": days, EDUCATION: education,
            THEMES: {"folder": str(tfolder), "packaged": tfolder == learned_themes.ARTIFACT,
                     **{k: metrics.get(k) for k in ("trained", "set", "items", "annotated", "editors_labels", "enabled",
                                                     "would_decide", "measurement")},
                     "themes": rows}}


def _existing(path: Path) -> Path:
    if not Path(path).is_file():
        raise NotFound(f"không có tệp {path}")
    return Path(path)


def evaluate_gold(gold: Path) -> tuple[dict, int]:
    """Per-label figures (the flag, then each theme) of the classifier as it runs, on a hand-labelled file in the
    gold-set format; and how many items they were measured on."""
    from mediaplan.nlp import model as labelled
    from mediaplan.nlp.pipeline import get_classifier
    from mediaplan.plans import current_plan

    try:
        items = labelled.items_from_file(_existing(gold))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ServiceError(f"{gold}: không đúng định dạng bộ chuẩn (danh sách `items:` có khối `gold:`): {exc}") from None
    except Exception as exc:  # YAML syntax
        if exc.__class__.__module__.startswith("yaml"):
            raise ServiceError(f"{gold}: YAML không hợp lệ ({str(exc).splitlines()[0]})") from None
        raise
    if not items:
        raise ServiceError(f"{gold}: không có tin nào để đánh giá")
    return labelled.evaluate(items, get_classifier(), current_plan().theme_codes), len(items)
