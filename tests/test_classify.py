"""Classification through `classify-text`, the same path stored items take."""

import json

import pytest

from conftest import run_cli
from mediaplan.plans import load_plan
from mediaplan.nlp.classify import Classifier


@pytest.fixture(scope="module")
def clf():
    return Classifier(load_plan("quang-ngai-nq71"))


@pytest.mark.parametrize("text", [
    "Quán triệt Nghị quyết số 71-NQ/TW ngày 22/8/2025 của Bộ Chính trị",
    "Triển khai Nghị quyết 71 về giáo dục",
    "Tọa đàm về NQ 71 và đổi mới giáo dục",
    "Thực hiện Nghị quyết 71-NQ/TW, ngành giáo dục",
    "Kế hoạch triển khai Quyết định số 157/QĐ-TTg của Thủ tướng",
])
def test_nq71_in_its_written_forms(clf, text):
    assert clf.classify(text).nq71


@pytest.mark.parametrize("text", [
    "Nghị quyết số 71/NQ-CP của Chính phủ về cải cách thủ tục hành chính",
    "HĐND tỉnh thông qua Nghị quyết 71/2026/NQ-HĐND quy định bảng giá đất",
    "Nghị quyết 71-NQ/TU của Tỉnh ủy về phát triển du lịch",
    "Nghị quyết 171 về đất đai",
])
def test_other_resolutions_numbered_71_do_not_count(clf, text):
    assert not clf.classify(text).nq71


def test_education_story_gets_themes_with_offsets(clf):
    title = "Quảng Ngãi tuyên dương 46 nhà giáo tiêu biểu nhân Ngày Nhà giáo Việt Nam"
    body = ("Sở Giáo dục và Đào tạo tuyên dương các thầy cô giáo có thành tích xuất sắc trong đổi mới phương pháp dạy học. "
            "Nhiều giáo viên ở xã Sơn Hạ bám trường, bám lớp, là gương điển hình của ngành giáo dục.")
    r = clf.classify(title, "", body)
    codes = [t.code for t in r.themes]
    assert r.education and "teachers" in codes and "exemplary" in codes
    for t in r.themes:
        for e in t.evidence:
            text = title if e.field == "title" else body
            assert text[e.start:e.end] == e.text
    assert [c["name"] for c in r.communes] == ["Xã Sơn Hạ"]
    assert [a["key"] for a in r.agencies] == ["sgddt"]


@pytest.mark.parametrize("title, body", [
    ("Xe tải va chạm xe máy, một người bị thương", "Vụ tai nạn giao thông xảy ra trên quốc lộ 1 gần một trường học; một học sinh đi đường bị trầy xước nhẹ."),
    ("Cháy kho hàng gần chợ", "Ngọn lửa bùng phát lúc 2 giờ sáng, lan sang khu đất trống cạnh cổng trường tiểu học. Lực lượng chữa cháy đã dập tắt đám cháy."),
    ("Giá lúa vụ mùa tăng cao", "Nông dân các xã đồng bằng phấn khởi vì giá lúa tăng, thương lái thu mua tận ruộng."),
])
def test_passing_mentions_are_not_education(clf, title, body):
    assert not clf.classify(title, "", body).education


def test_communes_are_matched_on_accents(clf):
    r = clf.classify("Xã Sơn Hà và xã Sơn Hạ", "", "Học sinh xã Ba Tơ và xã Ba Tô; huyện Sơn Hà cũ.")
    names = sorted(c["name"] for c in r.communes)
    assert names == ["Xã Ba Tô", "Xã Ba Tơ", "Xã Sơn Hà", "Xã Sơn Hạ"]


@pytest.mark.parametrize("title, fmt", [
    ("[Infographic] Kết quả năm học 2025-2026", "infographic"),
    ("Tọa đàm: Đột phá phát triển giáo dục", "talk_show"),
    ("Hỏi - đáp về Nghị quyết 71: Học phí được miễn thế nào?", "qa"),
    ("Phóng sự: Con chữ nơi biên giới", "reportage"),
    ("[Video] Khai giảng năm học mới", "short_video"),
])
def test_format_from_title_markers(clf, title, fmt):
    assert clf.classify(title, "", "Nội dung.").format == fmt


@pytest.mark.slow
def test_classify_text_cli_json_and_jsonl(tmp_path):
    one = run_cli("classify-text", "-", "--json",
                  stdin="Sở GD&ĐT quán triệt Nghị quyết 71 cho giáo viên\nHội nghị có 500 giáo viên tham dự.")
    data = json.loads(one.stdout)
    assert data["nq71"] is True and data["education"] is True
    assert set(data) >= {"education", "nq71", "themes", "format", "channel", "agencies", "communes"}
    assert data["channel"] is None  # a loose text: the channel cannot be told
    portal = json.loads(run_cli("classify-text", "-", "--json", "--url", "https://sonha.quangngai.gov.vn/tin-tuc/a-1.html",
                                stdin="Xã Sơn Hà khai giảng năm học mới\nHọc sinh toàn xã dự lễ.").stdout)
    assert portal["channel"] == "portal" and portal["communes"][0]["name"] == "Xã Sơn Hà"
    assert all({"code", "score", "evidence"} <= set(t) for t in data["themes"])
    batch = tmp_path / "in.jsonl"
    batch.write_text('{"id": "a", "title": "Giá lúa tăng", "text": "Nông dân phấn khởi."}\n'
                     'không phải json\n'
                     '{"id": "b", "title": "Khai giảng năm học mới", "text": "Học sinh toàn tỉnh dự lễ khai giảng."}\n',
                     encoding="utf-8")
    out = [json.loads(line) for line in run_cli("classify-text", "--jsonl", str(batch)).stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "b"]
    assert out[0]["education"] is False and out[2]["education"] is True and "error" in out[1]


def test_the_vocabulary_keeps_common_words_and_stays_bounded(clf, monkeypatch):
    """The first items' words stay in spaCy's vocabulary (re-making their lexemes on every item was two thirds of
    classify); once it holds VOCAB_KEPT lexemes, each item's new words are freed after it, and the result is the
    same either way."""
    from mediaplan.nlp import classify as module

    title, body = "Tuyên dương nhà giáo tiêu biểu", "Sở Giáo dục và Đào tạo tuyên dương giáo viên xã Sơn Hà."
    before = clf.classify(title, "", body)
    vocab = clf.nlp.vocab
    monkeypatch.setattr(module, "VOCAB_KEPT", len(vocab) + 30)
    for n in range(20):  # 40 words never seen, per item
        clf.classify(title, "", body + " " + " ".join(f"từ{n}x{k}" for k in range(40)))
    assert "từ0x0" in vocab.strings  # the first item's words were kept: the vocabulary was under its bound
    assert not any(f"từ{n}x{k}" in vocab.strings for n in range(1, 20) for k in range(40))  # then freed after each
    assert clf.classify(title, "", body) == before
