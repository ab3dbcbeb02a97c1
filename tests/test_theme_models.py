"""Learned theme models against the rules (nlp/theme_train.py, nlp/learned_themes.py): no ../shared/ needed."""

import json

import numpy as np
import pytest

from mediaplan.nlp import theme_train, training_data
from mediaplan.nlp.learned_themes import ARTIFACT, LearnedThemes

TEXTS = ["Học sinh thi tiếng Anh IELTS đạt điểm cao", "Trường đại học tuyển sinh ngành công nghệ",
         "Giáo viên được tăng lương từ năm học mới", "Sinh viên du học Nhật Bản nhận học bổng",
         "Thi tiếng Anh vào lớp 10 năm nay khó hơn", "Đại học mở ngành trí tuệ nhân tạo"] * 3


def test_combine_and_prf():
    from mediaplan.nlp.education_train import apply

    prob = np.array([0.9, 0.2, 0.6, 0.1])
    rules = np.array([False, True, False, False])
    assert apply("model", 0.5, prob, rules).tolist() == [True, False, True, False]
    assert apply("or", 0.5, prob, rules).tolist() == [True, True, True, False]
    assert apply("and", 0.5, prob, rules).tolist() == [False, False, False, False]
    assert apply("rules", 0.5, prob, rules) is rules
    row = theme_train.prf(theme_train.counts([True, True, False, False], [True, False, True, False]))
    assert (row["tp"], row["fp"], row["fn"], row["positives"], row["f1"]) == (1, 1, 1, 2, 0.5)


def test_threshold_and_method_are_chosen_on_the_data_given():
    y = np.array([True, True, True, False, False, False])
    prob = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    rules = np.zeros(6, bool)
    thresholds, chosen = theme_train.choose_on(y, prob, rules)
    assert chosen in ("model", "or") and 0.3 < thresholds["model"] <= 0.7
    # ties go to the rules: a model no better than them never decides
    _, chosen = theme_train.choose_on(y, prob, y.copy())
    assert chosen == "rules"


@pytest.mark.parametrize("kind", ["linear", "hashed_sgd"])
def test_one_vs_rest_learns_and_skips_empty_themes(kind):
    pytest.importorskip("sklearn")
    Y = np.array([["tiếng Anh" in t, "đại học" in t.lower() or "Đại học" in t, False] for t in TEXTS])
    model = theme_train.maker(kind, ("foreign_languages", "higher_education", "preschool")).fit(TEXTS, Y)
    prob = model.predict(["Kỳ thi tiếng Anh quốc tế", "Đại học công bố điểm chuẩn"])
    assert prob.shape == (2, 3)
    assert prob[0, 0] > prob[1, 0] and prob[1, 1] > prob[0, 1]
    assert (prob[:, 2] == 0).all()  # no positives in training: never said


def test_inner_folds_are_stable():
    assert theme_train.inner_fold("https://x/a") == theme_train.inner_fold("https://x/a")
    assert {theme_train.inner_fold(f"g{i}") for i in range(50)} == set(range(theme_train.INNER))


def _fake_result():
    codes = ["teachers", "preschool"]
    rules = {"teachers": theme_train.prf({"tp": 5, "fp": 5, "fn": 10}), "preschool": theme_train.prf({"tp": 1, "fp": 0, "fn": 3})}
    good = theme_train.prf({"tp": 12, "fp": 3, "fn": 3})
    row = {m: good for m in (*theme_train.METHODS, "chosen")}
    kinds = {"linear": {"themes": {c: {**row, "picked": ["model"] * 5} for c in codes}}}
    result = {"items": 20, "folds": 5, "fold_sizes": {}, "rules": rules, "kinds": kinds}
    theme_train.decide(result, codes)
    return result


def test_few_positives_never_go_to_a_model_and_clear_wins_are_recorded():
    result = _fake_result()
    assert result["winners"]["preschool"]["kind"] == "rules"  # 4 positives: reported, never decided by a model
    assert result["winners"]["teachers"]["kind"] == "linear" and result["clearly_won"] == ["teachers"]
    assert theme_train.shipped_themes(result) == ["teachers"]
    # micro: the model on the eligible theme, the rules on the other
    assert result["micro"]["linear:chosen"]["tp"] == 12 + 1
    lines = theme_train.table(result)
    assert any(line.startswith("preschool") and "rules (<5 pos.)" in line for line in lines)
    assert any(line.startswith("teachers") and "CLEAR" in line for line in lines)


def test_compare_skips_cleanly_without_shared(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(training_data, "TRAINING", tmp_path / "missing")
    monkeypatch.setattr(theme_train.td, "available", lambda data=None: False)
    assert theme_train.compare(write=False) == {}
    assert "bỏ qua" in capsys.readouterr().out


def test_eval_table_skips_cleanly_without_shared(monkeypatch, capsys):
    from mediaplan.nlp import evaluate

    monkeypatch.setattr(theme_train.td, "available", lambda data=None: False)
    evaluate.theme_models_table()
    assert "bỏ qua" in capsys.readouterr().out


def test_measurement_shipped_without_enabling_the_model():
    """The measurement is shipped; no learned theme model decides anything (see the model card)."""
    metrics = json.loads((ARTIFACT / "metrics.json").read_text())
    assert (ARTIFACT / "MODEL_CARD.md").is_file() and (ARTIFACT / "measurement.json").is_file()
    if not metrics["enabled"]:
        assert metrics["decides"] == [] and all(row["use"] == "rules" for row in metrics["themes"].values())
    for code, row in metrics["themes"].items():
        if row["rules"]["positives"] < theme_train.MIN_POSITIVES:
            assert code not in metrics["would_decide"]


def test_shipped_artifact_if_any_is_small_and_explains_itself():
    if not (ARTIFACT / "weights.npz").is_file():
        pytest.skip("no learned theme artifact shipped")
    size = sum(f.stat().st_size for f in ARTIFACT.iterdir())
    assert size < 20_000_000
    assert (ARTIFACT / "MODEL_CARD.md").is_file()
    metrics = json.loads((ARTIFACT / "metrics.json").read_text())
    model = LearnedThemes.load(ARTIFACT)
    assert set(model.themes) == set(metrics["would_decide"])
    assert set(metrics["decides"]) <= set(model.themes)
    for code in model.themes:
        assert metrics["themes"][code]["rules"]["positives"] >= theme_train.CLEAR_POSITIVES
        assert model.combine[code] in ("model", "or", "and")
        assert 0.0 < model.thresholds[code] < 1.0
    if "foreign_languages" in model.themes:
        text = "Học sinh luyện thi IELTS và học tiếng Anh giao tiếp"
        assert model.probability("foreign_languages", text) > model.probability("foreign_languages", "Giá vàng tăng mạnh")
        terms = model.contributions("foreign_languages", {"title": text})
        assert terms and all(text[t["start"]:t["end"]] == t["text"] for t in terms)


def test_unknown_cells_are_left_out_of_a_themes_training():
    """An editor's item counts only for the themes decided: its other cells are neither positive nor negative."""
    pytest.importorskip("sklearn")
    from sklearn.base import clone

    from mediaplan.nlp.education_train import Linear

    Y = np.array([["tiếng Anh" in t, "Đại học" in t or "đại học" in t] for t in TEXTS])
    M = np.ones_like(Y)
    M[0, 0] = M[3, 0] = False  # two items whose `foreign_languages` nobody decided
    Y[0, 0] = False  # ... and a value there that must not matter
    model = theme_train.OneVsRest(Linear).fit(TEXTS, Y, M)
    base = Linear()
    X = base.vec.fit_transform(TEXTS)
    alone = clone(base.clf).fit(X[M[:, 0]], Y[M[:, 0], 0])
    assert np.allclose(model.clfs[0].coef_, alone.coef_) and np.allclose(model.clfs[0].intercept_, alone.intercept_)
    full = clone(base.clf).fit(X, Y[:, 1])
    assert np.allclose(model.clfs[1].coef_, full.coef_)  # a theme known everywhere trains on every item


@pytest.fixture
def toy_corpus(monkeypatch):
    from pathlib import Path

    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_TRAINING_DIR", str(Path(__file__).parent / "fixtures" / "training"))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_an_editors_item_joins_the_measurement_on_the_themes_decided(toy_corpus):
    pytest.importorskip("sklearn")
    editor = training_data.editor_example({"id": "item-7", "title": "Giáo viên dạy tiếng Anh cho học sinh lớp 10",
                                           "sapo": "Thầy giáo tiếng Anh được tuyên dương.", "body": "",
                                           "education": None, "themes": {"teachers": True}})
    rules = theme_train.rule_themes([editor])["item-7"]
    without = theme_train.compare(kinds=("linear",), write=False, quiet=True)
    with_ = theme_train.compare(kinds=("linear",), write=False, quiet=True, editors=[editor])
    assert without["items"] == 32 and "editors_labels" not in without  # the annotated ids the toy corpus holds
    assert with_["items"] == 33 and with_["editors_labels"] == 1 and with_["sources"]["editors"] == 1
    assert with_["rules"]["teachers"]["positives"] == without["rules"]["teachers"]["positives"] + 1
    for code in set(rules) - {"teachers"}:  # a theme the rules gave it but the editor did not decide: counted nowhere
        assert with_["rules"][code] == without["rules"][code]
    assert set(rules) - {"teachers"}, "the rules should give it an undecided theme for this test to mean something"
