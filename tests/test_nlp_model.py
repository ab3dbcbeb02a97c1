"""`mediaplan nlp train | status | evaluate`: one training path, from the corpus, the annotated set and editors'
labels. No ../shared/ needed: the corpus is `tests/fixtures/training/` (MEDIAPLAN_TRAINING_DIR), a toy."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme
from mediaplan.nlp import education_model
from mediaplan.nlp.education_model import EducationModel
from mediaplan.nlp.education_train import REPRODUCES
from mediaplan.nlp.labels import set_label
from mediaplan.services import nlp as svc
from mediaplan.services import review
from mediaplan.settings import get_settings
from test_web_items import add_items

FIXTURES = Path(__file__).parent / "fixtures"
TRAINING = FIXTURES / "training"
GOLD = FIXTURES / "gold"
NOW = datetime.now(timezone.utc)
LITERACY = ("Lớp xoá mù chữ buổi tối cho đồng bào ở thôn Làng Rêu",
            "Người dân thôn Làng Rêu đến lớp xoá mù chữ mỗi tối, đánh vần từng chữ dưới ánh đèn.")


@pytest.fixture
def corpus(sqlite_db, monkeypatch):
    """The toy corpus as the training folder; the model cache forgotten after the test."""
    monkeypatch.setenv("MEDIAPLAN_TRAINING_DIR", str(TRAINING))
    get_settings.cache_clear()
    yield TRAINING
    education_model.get_model.cache_clear()


def _card(folder: Path) -> str:
    return (folder / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_train_builds_an_artifact_that_loads_and_classifies(corpus, cli, tmp_path):
    out = tmp_path / "built"
    said = cli("nlp", "train", "--out", str(out)).stdout
    assert "Nhãn của biên tập viên: 0 tin" in said and "Cờ giáo dục:" in said and str(out / "education") in said
    model = EducationModel.load(out / "education")
    assert model is not None and set(model.thresholds) == {"full", "short"}
    assert model.probability("Trường đại học trao học bổng cho sinh viên") > model.probability("Giá vàng tăng, chứng khoán giảm")
    config = json.loads((out / "education" / "config.json").read_text(encoding="utf-8"))
    assert config["sources"]["vnexpress-sections"] == {"items": 16, "education": 8}  # the quiz is left out
    assert config["sources"]["editors"] == {"items": 0, "education": 0} and config["editors_labels"] == 0
    card = _card(out / "education")
    assert "Editors' labels: 0 items" in card and REPRODUCES in card and config["trained"] in card
    assert "**What it is.**" in card  # the hand-written card, with its generated section replaced
    assert (out / "education" / "metrics.json").is_file()
    themes = json.loads((out / "themes" / "metrics.json").read_text(encoding="utf-8"))
    assert themes["annotated"] == 32 and themes["editors_labels"] == 0 and themes["enabled"] is False
    assert themes["decides"] == [] and all(row["use"] == "rules" for row in themes["themes"].values())
    assert not (out / "themes" / "weights.npz").exists() and REPRODUCES in _card(out / "themes")
    assert not list(out.glob("*.new")) and not list(out.glob("*.old"))  # staging swapped in, nothing left over
    # --out elsewhere leaves the model in use alone
    assert education_model.artifact_dir() == education_model.ARTIFACT


def test_an_editors_decision_trains_the_next_model(corpus, cli):
    [item_id] = add_items([(LITERACY[0], NOW)])
    with session_scope() as session:
        session.get(Item, item_id).sapo = LITERACY[1]
    cli("nlp", "train")  # the default place: <data_dir>/models, which the classifier then prefers
    folder = get_settings().data_dir / "models" / "education"
    assert education_model.artifact_dir() == folder
    text = "\n".join(LITERACY)
    before = education_model.get_model().probability(text)
    with session_scope() as session:
        review.decide(session, item_id, "education", True, "Lan")
        review.decide(session, item_id, "teachers", True, "Lan")
    said = cli("nlp", "train").stdout
    assert "1 tin có quyết định về cờ giáo dục, 1 tin có quyết định về chủ đề" in said
    model = education_model.get_model()  # the cache was cleared: the new model is read
    assert model.meta["sources"]["editors"] == {"items": 1, "education": 1} and model.meta["editors_labels"] == 1
    assert model.probability(text) > before + 0.02
    assert "Editors' labels: 1 items" in _card(folder)
    from mediaplan.nlp.pipeline import get_classifier

    assert get_classifier().education_model is model
    themes = json.loads((folder.parent / "themes" / "metrics.json").read_text(encoding="utf-8"))
    assert themes["editors_labels"] == 1 and themes["items"] == 33 and themes["sources"]["editors"] == 1


def test_without_the_corpus_train_says_so_in_one_line(sqlite_db, cli, monkeypatch, tmp_path):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("MEDIAPLAN_TRAINING_DIR", str(missing))
    get_settings.cache_clear()
    result = cli("nlp", "train", "--out", str(tmp_path / "x"), code=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "không có dữ liệu huấn luyện" in lines[0]
    assert "Traceback" not in result.output and not (tmp_path / "x").exists()


def test_status_shows_reviewed_precision_beside_heldout_figures(sqlite_db, cli):
    ids = add_items([(f"Tin {n}", NOW) for n in range(3)])
    with session_scope() as session:
        for item_id in ids:  # the classifier proposed `teachers` three times
            session.add(ItemTheme(item_id=item_id, theme_code="teachers", score=1.0, method="rule", evidence=[]))
        session.flush()
        for item_id, keep in zip(ids, (True, True, False)):
            review.decide(session, item_id, "teachers", keep, "Lan")
    shown = cli("nlp", "status").stdout
    row = next(line for line in shown.splitlines() if "teachers" in line)
    assert "0,67" in row and "0,56" in row  # reviewed precision 2 of 3, beside the rules' held-out F1
    assert "education (mục ngắn)" in shown and "bản đóng gói" in shown and "nhãn của biên tập viên 0 tin" in shown
    data = json.loads(cli("nlp", "status", "--json").stdout)
    assert data["themes"]["themes"]["teachers"]["reviewed"] == {"reviewed": 3, "kept": 2, "added": 0, "precision": 0.667}
    assert data["themes"]["themes"]["teachers"]["heldout"]["use"] == "rules" and data["themes"]["enabled"] is False
    assert data["themes"]["themes"]["preschool"]["reviewed"] is None
    edu = data["education"]
    assert edu["packaged"] and edu["combine"] == {"full": "rules", "short": "or"} and edu["reviewed"] is None
    assert data["window_days"] == 90


def test_editors_labels_become_examples(sqlite_db):
    [a, b] = add_items([("Tuyên dương nhà giáo", NOW), ("Giá lúa tăng", NOW)])
    with session_scope() as session:
        set_label(session, a, "teachers", "add", "Lan")
        set_label(session, a, "exemplary", "remove", "Lan")
        review.decide(session, b, "education", False, "Lan")
        examples = svc.editor_examples(session)
    assert [(e.id, e.themes) for e in examples["themes"]] == [(f"item-{a}", {"teachers": True, "exemplary": False})]
    assert [(e.id, e.education, e.source) for e in examples["education"]] == [(f"item-{b}", False, "editors")]


def test_evaluate_measures_the_running_classifier_on_a_gold_file(sqlite_db, cli):
    rows = json.loads(cli("nlp", "evaluate", "--gold", str(GOLD / "part2.yaml"), "--json").stdout)
    assert "education" in rows and "vocational" in rows and rows["vocational"]["support"] >= 6
    assert "cần --gold" in cli("nlp", "evaluate", code=2).stderr
    assert "không có tệp" in cli("nlp", "evaluate", "--gold", "khong-co.yaml", code=1).stderr


def test_the_rules_cache_is_keyed_by_text_not_by_id(sqlite_db):
    """The toy corpus reuses ids of the annotated set: a real run must never read their rules from the cache."""
    from mediaplan.nlp import theme_train, training_data as td

    real = td.Example("vne-4705866", "vnexpress-sections", "Giá vàng tăng mạnh", "", "", False, "g")
    toy = td.Example("vne-4705866", "vnexpress-sections", "Giáo viên tiếng Anh dạy học sinh", "", "", True, "g")
    assert theme_train.rule_themes([real])["vne-4705866"] == []
    assert theme_train.rule_themes([toy])["vne-4705866"] != []
