"""The theme-annotated set: majority gold with its disputed cells, unanimous share and Fleiss' kappa."""

import pytest

from mediaplan.nlp.agreement import ANNOTATIONS, agreement, fleiss_kappa, gold, load_annotators
from mediaplan.plans import current_plan

A = {"1": {"education": True, "nq71": False, "themes": {"teachers", "exemplary"}},
     "2": {"education": True, "nq71": False, "themes": {"foreign_languages"}},
     "3": {"education": False, "nq71": False, "themes": set()}}
B = {"1": {"education": True, "nq71": False, "themes": {"teachers"}},
     "2": {"education": True, "nq71": True, "themes": {"foreign_languages"}},
     "3": {"education": False, "nq71": False, "themes": set()}}
C = {"1": {"education": True, "nq71": False, "themes": {"teachers", "exemplary"}},
     "2": {"education": False, "nq71": False, "themes": set()},
     "3": {"education": False, "nq71": False, "themes": set()},
     "4": {"education": True, "nq71": False, "themes": {"preschool"}}}  # labelled by one annotator only
LABELS = ("education", "nq71", "teachers", "exemplary", "foreign_languages")


def test_gold_is_two_of_three_and_keeps_the_disputed_cells():
    items = {g.id: g for g in gold([A, B, C], LABELS)}
    assert set(items) == {"1", "2", "3"}  # only items all three labelled
    assert items["1"].themes == {"teachers", "exemplary"} and items["1"].disputed == {"exemplary"}
    assert items["2"].education and not items["2"].nq71 and items["2"].themes == {"foreign_languages"}
    assert items["2"].disputed == {"education", "nq71", "foreign_languages"}
    assert not items["3"].education and items["3"].themes == set() and items["3"].disputed == set()


def test_fleiss_kappa_on_a_hand_count():
    # yes-votes per cell 3, 0, 2, 1 of 3 raters: observed 2/3, chance 1/2, kappa 1/3
    ratings = [(True, True, True), (False, False, False), (True, True, False), (True, False, False)]
    assert fleiss_kappa(ratings) == pytest.approx(1 / 3)
    assert fleiss_kappa([(True, True), (False, False)]) == pytest.approx(1.0)
    assert fleiss_kappa([(False, False), (False, False)]) is None  # no variation: undefined, not 1
    with pytest.raises(ValueError):
        fleiss_kappa([(True,), (False,)])


def test_agreement_reports_unanimous_share_and_kappa_per_label():
    report = agreement([A, B, C], LABELS)
    assert (report["items"], report["annotators"], report["cells"]) == (3, 3, 15)
    assert report["per_label"]["teachers"] == {"unanimous": 1.0, "kappa": 1.0, "positives": 1}
    assert report["per_label"]["exemplary"]["unanimous"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["unanimous"] == pytest.approx(11 / 15, abs=1e-3)


def test_the_shipped_annotations_agree_on_their_items():
    """The annotated set in the repository: three annotators over the same items, ids and labels only."""
    folders = [f for f in ANNOTATIONS.iterdir() if f.is_dir()] if ANNOTATIONS.is_dir() else []
    if not folders:
        pytest.skip("no annotated set shipped yet")
    for folder in folders:
        annotators = load_annotators(folder)
        assert len(annotators) == 3
        ids = [set(a) for a in annotators]
        assert ids[0] == ids[1] == ids[2] and len(ids[0]) >= 100
        codes = set(current_plan().theme_codes)
        for a in annotators:
            assert all(set(row) == {"education", "nq71", "themes"} and row["themes"] <= codes for row in a.values())
