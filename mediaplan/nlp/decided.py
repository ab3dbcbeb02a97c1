"""Who decided a stored item's education flag, and what the rules and the learned model each said: one
derivation for the item page and the exports.

An editor's decision (`items.education_manual`) wins. Otherwise the classifier combined the rules with the
model as the model's config says for the item's kind (`models/education/config.json`: `combine` per `full`
article or `short` item, see `education_model.is_short`); an item with no stored model probability (classified
without the model) was decided by the rules alone. The model in use is loaded once per process (the same one
the classifier uses), so an export pays nothing per row and makes no query for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mediaplan.nlp.education_model import get_model, is_short

DECIDERS = ("rules", "model", "or", "and", "editor")
LABELS = {"rules": "quy tắc", "model": "mô hình", "or": "quy tắc hoặc mô hình", "and": "quy tắc và mô hình",
          "editor": "biên tập viên"}
KIND_LABELS = {"full": "bài đầy đủ", "short": "tin ngắn"}


def combine_config() -> tuple[dict[str, str], dict[str, float]]:
    """(combine, thresholds) of the education model in use, the one the classifier combines with the rules
    (`education_model.get_model`, loaded once per process); both empty when there is no model."""
    model = get_model()
    if model is None:
        return {}, {}
    return model.combine, model.thresholds


@dataclass(frozen=True)
class EducationView:
    decided_by: str  # one of DECIDERS
    kind: str  # full | short: which of the model's settings applies to this item
    flag: bool  # the flag as stored (an editor's decision included)
    nq71: bool  # the item cites Resolution 71, which sets the flag by itself
    rules: bool | None  # the rules' own decision (None: not recorded)
    probability: float | None  # the model's probability (None: the model did not see the item)
    threshold: float | None  # the model's threshold for this kind of item
    by: str | None = None  # the editor, when decided_by is "editor"
    at: datetime | None = None  # when the editor decided

    @property
    def model(self) -> bool | None:
        """What the model alone says (None: it did not see the item)."""
        if self.probability is None or self.threshold is None:
            return None
        return self.probability >= self.threshold

    @property
    def label(self) -> str:
        return LABELS[self.decided_by]

    @property
    def combined(self) -> bool | None:
        """What the rules and the model together said, as `decided_by` combines them (None: not an automatic
        decision, or a part of it was not recorded)."""
        model = self.model
        parts = {"rules": self.rules, "model": model,
                 "or": None if self.rules is None or model is None else self.rules or model,
                 "and": None if self.rules is None or model is None else self.rules and model}
        return parts.get(self.decided_by)

    @property
    def by_nq71(self) -> bool:
        """The flag is on only because the item cites Resolution 71 (the classifier flags those whatever
        the rules and the model said)."""
        return self.flag and self.nq71 and self.combined is False


def item_kind(item) -> str:
    return "short" if is_short(item.title or "", item.sapo or "", item.body or "") else "full"


def decided_by(item) -> str:
    """editor | rules | model | or | and: who decided the item's education flag (from its columns, no query)."""
    if item.education_manual is not None:
        return "editor"
    if item.education_probability is None:
        return "rules"
    combine, _ = combine_config()
    how = combine.get(item_kind(item), "rules")
    return how if how in DECIDERS else "rules"


def education_view(item) -> EducationView:
    """Everything the item page shows about the flag, from the item's own columns."""
    kind = item_kind(item)
    _, thresholds = combine_config()
    who = decided_by(item)
    return EducationView(
        decided_by=who, kind=kind, flag=bool(item.education), nq71=bool(item.nq71), rules=item.education_rules,
        probability=item.education_probability,
        threshold=thresholds.get(kind, 0.5) if item.education_probability is not None else None,
        by=item.reviewed_by if who == "editor" else None, at=item.reviewed_at if who == "editor" else None)


def versus(probability: float, threshold: float) -> str:
    """The probability beside its threshold, with the places it takes not to look equal to it when it is not
    (0.4996 against 0.5 is "0,4996", not "0,50")."""
    places = 2
    while places < 6 and probability != threshold and decimal(probability, places) == decimal(threshold, places):
        places += 1
    return decimal(probability, places)


def decimal(value: float | None, places: int = 2) -> str:
    """A number as Vietnamese writes it (decimal comma): 0,87; "—" for None. On a page shown in English, as
    English writes it (0.87): `i18n.decimal` in the current language."""
    from mediaplan.i18n import decimal as localised

    return localised(value, places)
