"""Analysts' boolean queries in the plan data, old commune names, and where folding is ambiguous."""

import shutil

import pytest
import yaml

from mediaplan.nlp.classify import Classifier
from mediaplan.nlp.query import Index, QueryError, evaluate, parse
from mediaplan.nlp.tokenize import get_nlp
from mediaplan.plans import PLANS_DIR, PlanError, load_plan


def syllables(text):
    return [t.lower_ for t in get_nlp().make_doc(text)]


def matches(query, **fields):
    docs = {k: get_nlp().make_doc(v) for k, v in fields.items()}
    return evaluate(parse(query, syllables), Index(fields, docs))


@pytest.mark.parametrize("query, title, expected", [
    ('"gương điển hình" OR "mô hình hay"', "Nhân rộng mô hình hay ở trường", True),
    ('"gương điển hình" OR "mô hình hay"', "Mô hình trồng rau hay", False),  # a phrase is a sequence, not a bag
    ("tuyên dương học sinh", "Học sinh được tuyên dương", True),  # juxtaposed words mean AND
    ('tuyên dương NOT "xổ số"', "Tuyên dương người trả lại vé xổ số trúng thưởng", False),
    ('"học sinh" NEAR/3 "đuối nước"', "Học sinh lớp 5 bị đuối nước", True),
    ('"học sinh" NEAR/3 "đuối nước"', "Học sinh đi học an toàn; mùa mưa có người đuối nước", False),
    ("khuyến* AND (học OR tài)", "Hội Khuyến học xã trao quà", True),
    ('"Sơn Hà"', "Trường ở xã Sơn Hạ", False),  # accents matter: Sơn Hạ is another commune
])
def test_boolean_queries(query, title, expected):
    assert matches(query, title=title)[0] is expected


def test_near_never_spans_fields_and_returns_spans():
    matched, spans = matches('"học sinh" NEAR/2 "đuối nước"', title="Học sinh", body="đuối nước")
    assert not matched and spans == []
    matched, spans = matches('"học sinh" NEAR/2 "đuối nước"', title="", body="Học sinh đuối nước")
    assert matched and spans == [("body", 0, 2), ("body", 2, 4)]


@pytest.mark.parametrize("bad", ['"học sinh" AND', "(tuyên dương", "OR x", 'NEAR/3 "a"'])
def test_bad_queries_are_refused_with_a_position(bad):
    with pytest.raises(QueryError, match="truy vấn không hợp lệ"):
        parse(bad)


def test_plan_query_applies_a_theme_with_evidence_and_a_bad_one_names_file_and_line(tmp_path):
    folder = tmp_path / "plan"
    shutil.copytree(PLANS_DIR / "quang-ngai-nq71", folder)
    path = folder / "themes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    health = next(t for t in data["themes"] if t["code"] == "school_health_safety")
    health["query"] = '("học sinh" OR "trẻ em") NEAR/8 ("đuối nước" OR "ngộ độc")'
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    clf = Classifier(load_plan(str(folder)))
    title = "Ba học sinh tiểu học ở xã Ba Tơ bị đuối nước khi tắm suối"
    body = "Nhà trường và phụ huynh được khuyến cáo quản lý chặt con em trong mùa mưa lũ."
    result = clf.classify(title, "", body)
    theme = next(t for t in result.themes if t.code == "school_health_safety")
    assert {e.text for e in theme.evidence} >= {"học sinh", "đuối nước"}
    assert all(title[e.start:e.end] == e.text for e in theme.evidence if e.field == "title")

    health["query"] = '"học sinh" NEAR/6'
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PlanError, match=r"themes.yaml:\d+.*truy vấn không hợp lệ"):
        load_plan(str(folder))


def test_exemplary_stories_are_flagged_for_the_shortlist():
    clf = Classifier(load_plan("quang-ngai-nq71"))
    good = clf.classify("Cô giáo 20 năm bám bản ở xã Đăk Tô được tuyên dương",
                        "Tấm gương tận tụy của cô là điển hình tiên tiến của ngành giáo dục tỉnh.")
    plain = clf.classify("Sở GD&ĐT công bố lịch thi học kỳ I", "Các trường THPT kiểm tra học kỳ từ ngày 15/12.")
    assert good.exemplary and good.to_json()["exemplary"] is True
    assert not plain.exemplary


def test_old_commune_names_and_kon_tum_spellings_map_to_todays_units():
    clf = Classifier(load_plan("quang-ngai-nq71"))
    result = clf.classify("Trường học ở xã Sơn Thành (cũ) và thị trấn Di Lăng",
                          "Học sinh xã Đắk Tô, xã Ngọc Bay và huyện Sơn Hà (cũ) nhận học bổng.")
    found = {c["text"]: (c["name"], c.get("note", "")) for c in result.communes}
    assert found["xã Sơn Thành"] == ("Xã Sơn Hạ", "tên đơn vị cũ")  # merged into Sơn Hạ on 1/7/2025
    assert found["thị trấn Di Lăng"] == ("Xã Sơn Hà", "tên đơn vị cũ")
    assert found["xã Đắk Tô"][0] == "Xã Đăk Tô"
    assert found["xã Ngọc Bay"][0] == "Xã Ngọk Bay"
    assert not any(c["text"] == "Sơn Hà" for c in result.communes)  # "huyện Sơn Hà (cũ)" is the old district


def test_folding_ambiguity_is_recorded():
    collisions = load_plan("quang-ngai-nq71").fold_collisions
    assert collisions["son ha"] == ["Sơn Hà", "Sơn Hạ"]
    assert collisions["ba to"] == ["Ba Tô", "Ba Tơ"]
    assert "đak to" not in collisions  # Đăk Tô / Đắk Tô are spellings of one commune, not two units


def test_token_patterns_say_what_phrases_cannot(tmp_path):
    clf = Classifier(load_plan("quang-ngai-nq71"))
    title = "Tỉnh tuyển dụng 1.200 giáo viên cho năm học mới"
    teachers = next(t for t in clf.classify(title).themes if t.code == "teachers")
    assert "tuyển dụng 1.200 giáo viên"[6:] in [e.text for e in teachers.evidence]  # "dụng 1.200 giáo viên"
    folder = tmp_path / "plan"
    shutil.copytree(PLANS_DIR / "quang-ngai-nq71", folder)
    path = folder / "themes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(t for t in data["themes"] if t["code"] == "teachers")["patterns"] = [{"pattern": [{"NOT_AN_ATTR": 1}]}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PlanError, match=r"themes.yaml:\d+.*Matcher"):
        load_plan(str(folder))
