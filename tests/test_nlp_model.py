"""Learning from editors: train a textcat_multilabel model from confirmed labels, compare it with the
rules on held-out items, use it only where it wins, and keep showing the rules' evidence."""

import json
from pathlib import Path

import pytest

from conftest import run_cli
from mediaplan.db import session_scope
from mediaplan.nlp import model as themes_model
from mediaplan.nlp.classify import Classifier
from mediaplan.nlp.labels import set_label
from mediaplan.plans import load_plan

GOLD = Path(__file__).parent / "fixtures" / "gold"


@pytest.mark.slow
def test_train_evaluate_and_status_end_to_end(sqlite_db, tmp_path):
    env = {"MEDIAPLAN_DATABASE_URL": sqlite_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    assert "Chưa có mô hình" in run_cli("nlp", "status", env=env).stdout
    trained = run_cli("nlp", "train", "--gold", str(GOLD / "part1.yaml"), "--gold", str(GOLD / "part2.yaml"),
                      "--epochs", "5", env=env).stdout
    assert "Tin có nhãn xác nhận: 160" in trained and "Phần kiểm tra" in trained and "teachers" in trained
    metrics = json.loads((tmp_path / "var" / "models" / "themes" / "metrics.json").read_text(encoding="utf-8"))
    plan = load_plan("quang-ngai-nq71")
    assert set(metrics["themes"]) == set(plan.theme_codes)
    assert metrics["train"] + metrics["heldout"] == 160 and metrics["heldout"] >= 20
    for row in metrics["themes"].values():
        assert {"precision", "recall", "f1", "support"} <= set(row["rules"]) and row["use"] in ("rules", "model")
        assert (row["use"] == "model") == (row["model"]["support"] >= 2 and row["model"]["f1"] > row["rules"]["f1"])
    status = run_cli("nlp", "status", env=env).stdout
    assert "Huấn luyện lúc" in status and "dissemination" in status
    evaluated = json.loads(run_cli("nlp", "evaluate", "--gold", str(GOLD / "part2.yaml"), "--json", env=env).stdout)
    assert set(evaluated) == set(plan.theme_codes) and evaluated["vocational"]["support"] >= 6
    bad = run_cli("nlp", "train", env={**env, "MEDIAPLAN_DATA_DIR": str(tmp_path / "empty")}, check=False)
    assert bad.returncode == 1 and "cần thêm nhãn" in bad.stderr


@pytest.mark.slow
def test_a_theme_the_model_won_is_decided_by_it_with_the_rules_evidence(tmp_path):
    plan = load_plan("quang-ngai-nq71")
    items = [i for p in sorted(GOLD.glob("*.yaml")) for i in themes_model.items_from_file(p)]
    nlp = themes_model.train_model(items, plan.theme_codes, epochs=10)
    model = themes_model.ThemeModel(nlp, {"use_model": ["vocational"]})
    clf = Classifier(plan, model=model)
    title = "Trường Cao đẳng Việt Nam - Hàn Quốc Quảng Ngãi tuyển sinh học nghề hàn, điện công nghiệp"
    body = ("Học viên được miễn học phí học nghề, thực tập tại doanh nghiệp và được giới thiệu việc làm. "
            "Giáo dục nghề nghiệp giúp người lao động nông thôn chuyển đổi nghề.")
    with_model = {t.code: t for t in clf.classify(title, "", body).themes}
    rules_only = {t.code: t for t in clf.classify(title, "", body, use_model=False).themes}
    assert with_model["vocational"].method == "model" and 0.5 <= with_model["vocational"].score <= 1
    assert [e.text for e in with_model["vocational"].evidence] == [e.text for e in rules_only["vocational"].evidence]
    assert rules_only["vocational"].method == "rule"
    # Other themes are still the rules'.
    assert all(t.method == "rule" for code, t in with_model.items() if code != "vocational")
    off_topic = clf.classify("Giá lúa tăng, nông dân phấn khởi", "", "Thương lái thu mua lúa tại ruộng.")
    assert not off_topic.themes  # the education gate still applies to the model's themes


def test_editors_labels_are_training_examples(populated_db):
    with session_scope() as session:
        set_label(session, 1, "teachers", "add", "Lan")
        set_label(session, 1, "exemplary", "remove", "Lan")
        items = themes_model.items_from_db(session)
    assert len(items) == 1
    assert "teachers" in items[0].themes and "exemplary" not in items[0].themes
