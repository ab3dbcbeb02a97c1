"""The shipped education model (mediaplan/nlp/models/education/): no ../shared/ needed, hand-written texts only."""

import json

import pytest

from mediaplan.nlp.education_model import ARTIFACT, EducationModel, features, get_model, is_short
from mediaplan.nlp.pipeline import get_classifier

EDUCATION = [
    ("Hà Nội công bố điểm chuẩn tuyển sinh lớp 10 năm học 2026-2027",
     "Điểm chuẩn vào các trường THPT công lập năm nay tăng nhẹ so với năm trước, nhiều thí sinh trúng tuyển nguyện vọng một.",
     "Sở Giáo dục và Đào tạo cho biết học sinh xác nhận nhập học trực tuyến từ ngày 10/7. Các trường tổ chức đón học sinh lớp 10."),
    ("Trường THCS vùng cao khai giảng năm học mới",
     "Giáo viên và học sinh trường THCS xã miền núi dự lễ khai giảng, nhận sách giáo khoa và học bổng.",
     "Năm học này nhà trường có 420 học sinh, phần lớn là con em đồng bào dân tộc thiểu số. Thầy cô đã đến từng nhà vận động các em ra lớp."),
]
OTHER = [
    ("Đội tuyển Việt Nam thắng Thái Lan 2-1 ở bán kết",
     "Hai bàn thắng của tiền đạo Tiến Linh giúp đội tuyển giành vé vào chung kết giải Đông Nam Á.",
     "Trận đấu diễn ra trên sân Mỹ Đình trước 40.000 khán giả. Huấn luyện viên cho biết các cầu thủ đã chơi đúng chiến thuật."),
    ("Giá vàng tăng mạnh, chứng khoán giảm điểm phiên thứ ba liên tiếp",
     "Giá vàng miếng trong nước tăng 1,5 triệu đồng mỗi lượng, trong khi chỉ số VN-Index mất gần 20 điểm.",
     "Các nhà đầu tư bán ròng cổ phiếu ngân hàng và bất động sản. Lãi suất huy động tại nhiều ngân hàng thương mại cũng nhích lên."),
]


@pytest.fixture(scope="module")
def model():
    m = get_model()
    assert m is not None, "the artifact mediaplan/nlp/models/education/ is missing"
    return m


def test_artifact_is_small_and_loads():
    size = sum(f.stat().st_size for f in ARTIFACT.iterdir())
    assert size < 20_000_000
    assert (ARTIFACT / "MODEL_CARD.md").is_file()
    metrics = json.loads((ARTIFACT / "metrics.json").read_text())
    assert {"linear", "hashed_sgd", "spacy_bow"} <= set(metrics["kinds"])
    m = EducationModel.load(ARTIFACT)  # its load time is a figure of `make bench`, not an assertion
    assert m.thresholds.keys() == {"full", "short"} and set(m.combine.values()) <= {"rules", "model", "or", "and"}


def test_loaded_once(model):
    assert get_model() is model


def test_features_are_syllable_uni_and_bigrams():
    assert features("Học sinh  GIỎI") == ["học", "sinh", "giỏi", "học sinh", "sinh giỏi"]


@pytest.mark.parametrize("title,sapo,body", EDUCATION)
def test_education_news_scores_high(model, title, sapo, body):
    assert model.probability(f"{title}\n{sapo}\n{body}") >= 0.5
    assert model.probability(title) >= 0.5  # a headline alone


@pytest.mark.parametrize("title,sapo,body", OTHER)
def test_sport_and_economy_score_low(model, title, sapo, body):
    assert model.probability(f"{title}\n{sapo}\n{body}") < 0.2
    assert model.probability(title) < 0.3


def test_short_items_are_told_apart():
    assert is_short("Tiêu đề", "Một câu dẫn ngắn.", "")
    assert not is_short("Tiêu đề", "Câu dẫn.", "Thân bài.")


def test_decide_follows_the_combination(model):
    title, sapo, body = OTHER[0]
    how = model.combine["short"]
    decided, p, used = model.decide(True, title, sapo, "")
    assert used == how
    if how == "or":
        assert decided is True  # the rules said yes; OR keeps it
    decided, p, _ = model.decide(False, *EDUCATION[0][:2], "")
    assert decided is (how in ("or", "model"))


def test_pipeline_classifier_uses_the_model_on_a_short_item():
    clf = get_classifier()
    assert clf.education_model is get_model()
    # a headline with no rule phrase that the model knows is education news
    r = clf.classify("Thí sinh đạt điểm 10 môn Văn kỳ thi tốt nghiệp THPT chia sẻ bí quyết ôn luyện")
    data = r.to_json()
    assert data["education"] is True
    assert "education_method" in data["evidence"]
    r = clf.classify("Đội tuyển Việt Nam thắng Thái Lan 2-1 ở bán kết")
    assert r.education is False


def test_a_model_decision_shows_its_top_terms_with_offsets():
    """classify-text --json: where the model took part, its evidence names the terms and where they stand."""
    title, sapo = "Trường mầm non vùng cao đón học sinh", "Các cô giáo đến từng bản vận động phụ huynh đưa trẻ đến lớp."
    result = get_classifier().classify(title, sapo, "")
    assert result.education_method != "rules" and result.education_probability is not None
    terms = result.to_json()["evidence"]["education_model"]
    assert terms, "a model decision comes with its reasons"
    fields = {"title": title, "sapo": sapo}
    for term in terms:
        assert fields[term["field"]][term["start"]:term["end"]] == term["text"]
    weights = [t["weight"] for t in terms]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    assert any(t["text"].lower() in {"mầm non", "học sinh", "cô giáo", "trường", "đến lớp"} for t in terms)


def test_sport_gives_no_education_terms(model):
    terms = model.contributions({"title": "Đội tuyển bóng đá thắng 2-0 ở vòng loại", "sapo": ""})
    assert all(t["weight"] > 0 for t in terms) and sum(t["weight"] for t in terms) < 1.0


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    """A data folder of its own; settings and the model cache forgotten after the test."""
    from mediaplan.settings import get_settings

    monkeypatch.setenv("MEDIAPLAN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var"
    monkeypatch.undo()
    get_settings.cache_clear()
    get_model.cache_clear()


def test_a_model_trained_into_the_data_folder_is_preferred(data_dir):
    import numpy as np

    from mediaplan.nlp.education_model import artifact_dir

    assert artifact_dir() == ARTIFACT  # nothing trained here: the packaged artifact
    toy = EducationModel({"học": 0, "sinh": 1}, np.ones(2), np.array([2.0, 1.0]), -1.0, {"full": 0.5, "short": 0.5},
                         {"full": "rules", "short": "or"}, {"trained": "toy"})
    toy.save(data_dir / "models" / "education")
    assert artifact_dir() == data_dir / "models" / "education"
    get_model.cache_clear()
    assert get_model().meta == {"trained": "toy"} and get_model() is get_model()


def test_the_shipped_card_and_config_say_how_it_was_built():
    from mediaplan.nlp.education_train import CARD_BEGIN, CARD_END, REPRODUCES

    config = json.loads((ARTIFACT / "config.json").read_text(encoding="utf-8"))
    assert config["sources"]["editors"] == {"items": 0, "education": 0} and config["editors_labels"] == 0
    card = (ARTIFACT / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.count(CARD_BEGIN) == card.count(CARD_END) == 1
    assert REPRODUCES in card and "Editors' labels: 0 items" in card and config["trained"] in card
    assert "mediaplan nlp train" in card and f"{config['thresholds']['short']:.2f}" in card


def test_the_card_keeps_its_hand_written_part(tmp_path):
    from mediaplan.nlp.education_train import CARD, CARD_BEGIN, CARD_END, write_card

    template = tmp_path / "template.md"
    template.write_text(f"# Card\n\nHand-written.\n\n{CARD_BEGIN}\nold build\n{CARD_END}\n\nMore by hand.\n", encoding="utf-8")
    write_card(tmp_path, template, ["new build"])
    assert (tmp_path / CARD).read_text(encoding="utf-8") == \
        f"# Card\n\nHand-written.\n\n{CARD_BEGIN}\nnew build\n{CARD_END}\n\nMore by hand.\n"
    write_card(tmp_path, tmp_path / "none.md", ["only"])  # no template: the section alone
    assert (tmp_path / CARD).read_text(encoding="utf-8") == f"{CARD_BEGIN}\nonly\n{CARD_END}\n"


def test_training_without_the_corpus_names_the_folder(tmp_path):
    from mediaplan.nlp import education_train, training_data

    with pytest.raises(training_data.MissingData, match="no-corpus"):
        education_train.train(tmp_path / "out", data=tmp_path / "no-corpus")
    assert not (tmp_path / "out").exists()
