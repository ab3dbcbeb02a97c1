"""The plan as data: codes, keys, communes from vietnamadminunits, and errors that name file and line."""

import shutil
from pathlib import Path

import pytest

from mediaplan.plans import PLANS_DIR, PlanError, load_plan
from mediaplan.vocab import CHANNELS, FORMATS

THEMES = ["dissemination", "awareness", "press_products", "comms_training", "oversight", "exemplary",
          "teachers", "digital_ai", "foreign_languages", "preschool", "general_education", "exams_admissions",
          "facilities", "student_support", "vocational", "higher_education", "stem_research", "ethnic_remote",
          "school_health_safety", "lifelong_learning"]


@pytest.fixture(scope="module")
def plan():
    return load_plan("quang-ngai-nq71")


def test_theme_codes_are_the_stable_ones(plan):
    assert plan.theme_codes == THEMES
    assert {t.code for t in plan.themes.themes if t.group == "task"} == set(THEMES[:6])
    for theme in plan.themes.themes:
        assert theme.name and theme.definition and len(theme.phrases) >= 5, theme.code


def test_outlet_keys_and_every_crawler_source_kind(plan):
    keys = {o.key for o in plan.outlets.outlets}
    assert {"baoquangngai", "sgddt", "quangngai-portal"} <= keys
    assert sum(1 for o in plan.outlets.outlets if o.kind == "commune") >= 2
    kinds = {s.kind for o in plan.outlets.outlets for s in o.sources}
    assert {"rss", "sitemap", "page", "youtube", "broadcast", "social_feed", "facebook_graph"} <= kinds
    youtube = [s for o in plan.outlets.outlets for s in o.sources if s.kind == "youtube"]
    assert youtube[0].url.endswith("channel_id=UCEQs1oUkzcxQcEvee_LeFLw")


def test_unverified_urls_are_marked(plan):
    rss = next(s for s in plan.outlet("baoquangngai").sources if s.kind == "rss")
    assert rss.url == "https://baoquangngai.vn/rss/home.rss" and rss.verified is False
    assert plan.outlet("sgddt").verified is False


def test_all_96_communes_come_from_vietnamadminunits(plan):
    assert len(plan.communes) == 96
    kinds = {t: sum(1 for c in plan.communes if c.unit_type == t) for t in ("Xã", "Phường", "Đặc khu")}
    assert kinds == {"Xã": 86, "Phường": 9, "Đặc khu": 1}
    ly_son = plan.commune_by_name("Lý Sơn")
    assert ly_son.code == "21548" and ly_son.unit_type == "Đặc khu"
    assert plan.commune_by_name("Sơn Hà").code != plan.commune_by_name("Sơn Hạ").code


def test_vocab_has_the_contract_codes():
    assert list(FORMATS) == ["news", "article", "reportage", "memoir", "documentary", "talk_show", "interview",
                             "online_exchange", "infographic", "short_video", "qa", "podcast"]
    assert FORMATS["talk_show"] == "tọa đàm" and FORMATS["qa"] == "hỏi–đáp"
    assert list(CHANNELS) == ["print", "online", "radio", "tv", "social", "grassroots", "portal"]


def test_targets_and_key_dates(plan):
    targets = {t.key: t for t in plan.targets.targets}
    assert targets["staff_trained_2030"].threshold == 0.7 and targets["staff_trained_2030"].metric == "register"
    assert (targets["staff_trained_2030"].register_kind, targets["staff_trained_2030"].headcount) == ("training", "comms_staff")
    assert (targets["staff_disseminated"].register_kind, targets["staff_disseminated"].headcount) == ("conference", "staff")
    assert targets["staff_trained_2035"].threshold == 1.0
    assert targets["exemplary_featured"].theme == "exemplary"
    dates = {k.key: k for k in plan.key_dates.key_dates}
    assert (dates["teachers_day"].month, dates["teachers_day"].day) == (11, 20)
    assert str(dates["qd157"].date) == "2026-01-20"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(PLANS_DIR / "quang-ngai-nq71", folder)
    return folder


def test_a_bad_value_names_file_and_line(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "targets.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines) if "threshold: 0.7" in line)
    lines[n] = lines[n].replace("0.7", "bảy mươi phần trăm")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PlanError) as exc:
        load_plan(str(folder))
    assert f"targets.yaml:{n + 1}:" in str(exc.value)
    assert "threshold" in str(exc.value)


def test_broken_yaml_names_file_and_line(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "outlets.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(10, "      - key: [unclosed")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(PlanError, match=r"outlets\.yaml:\d+: not valid YAML"):
        load_plan(str(folder))


def test_unknown_theme_reference_is_caught(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "key_dates.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("themes: [digital_ai]", "themes: [digital]"), encoding="utf-8")
    with pytest.raises(PlanError, match="unknown theme 'digital'"):
        load_plan(str(folder))
