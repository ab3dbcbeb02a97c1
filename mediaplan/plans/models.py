"""What a plan folder must contain, as pydantic models.

Every YAML file of a plan is validated against these models when it loads, so a
typo in a theme code or a date fails loudly with the file and line, not weeks
later as a silently empty report row.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mediaplan.vocab import (AgencyKind, Channel, Format, HeadcountKind, OutletKind, Platform, RegisterKind, SourceKind,
                             TargetMetric, TargetPer, TargetUnit, ThemeGroup)

Key = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanMeta(Strict):
    key: Key
    name: str
    province: str
    province_code: str
    issuer: str
    document: str = ""
    lead_agency: Key
    starts: date
    ends: date
    # The press outlet a story or column is planned for when none is named (the province's newspaper).
    default_outlet: Key
    report_title: str = ""
    report_symbol: str = "BC-SGDĐT"
    # The two lines heading the report's left-hand block, as the official format prints them.
    report_authority: str  # the body above the signer, e.g. "UBND TỈNH QUẢNG NGÃI"
    report_unit: str  # the signer, e.g. "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    # The report's closing block (Decree 30): "Nơi nhận:" lines without the leading "- " or the closing ";" / "."
    # (the document adds them), from "Như trên" to "Lưu: VT, …"; the signer's title lines, upper case, and name.
    report_recipients: list[str] = Field(default_factory=lambda: ["Như trên", "Lưu: VT"])
    signer_title: list[str] = Field(default_factory=lambda: ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"])
    signer_name: str = "(họ và tên)"  # a placeholder until the plan names the signer
    report_place: str = ""  # the place on the date line ("Quảng Ngãi, ngày …"); the province when not given

    @model_validator(mode="before")
    @classmethod
    def _place(cls, data):
        if isinstance(data, dict) and not data.get("report_place") and data.get("province"):
            data = {**data, "report_place": data["province"]}
        return data


class Phrase(Strict):
    text: str
    weight: float = 1.0

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty phrase")
        return v


class FlagRules(Strict):
    definition: str
    threshold: float = 0.0
    phrases: list[Phrase] = Field(default_factory=list)
    negative: list[Phrase] = Field(default_factory=list)


class TokenPattern(Strict):
    """A spaCy Matcher pattern, for what a fixed phrase cannot say ("thiếu 300 giáo viên")."""

    pattern: list[dict]
    weight: float = 1.0

    @field_validator("pattern")
    @classmethod
    def _valid(cls, v: list[dict]) -> list[dict]:
        from spacy.matcher import Matcher

        from mediaplan.nlp.tokenize import get_nlp

        try:
            Matcher(get_nlp().vocab).add("check", [v])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"mẫu spaCy Matcher không hợp lệ: {exc}") from None
        return v


class ThemeSpec(Strict):
    code: Key
    group: ThemeGroup
    name: str
    definition: str
    source: str = ""
    threshold: float = 3.0
    phrases: list[Phrase]
    negative: list[Phrase] = Field(default_factory=list)
    patterns: list[TokenPattern] = Field(default_factory=list)
    requires_education: bool = True
    # A boolean query (AND, OR, NOT, "phrase", NEAR/n, word*) an analyst can edit; a match applies the theme.
    query: str | None = None
    # Stories with this theme feed the commendation shortlist (gương điển hình, mô hình hay).
    shortlist: bool = False

    @field_validator("query")
    @classmethod
    def _query_parses(cls, v: str | None) -> str | None:
        if v is not None:
            from mediaplan.nlp.query import parse

            parse(v)  # a QueryError (a ValueError) names the position; the loader adds file and line
        return v


class ThemesFile(Strict):
    education: FlagRules
    nq71: FlagRules
    themes: list[ThemeSpec]

    @model_validator(mode="after")
    def _unique(self):
        codes = [t.code for t in self.themes]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValueError(f"duplicate theme codes: {sorted(dupes)}")
        return self




class SourceSpec(Strict):
    key: Key
    kind: SourceKind
    url: str
    channel: Channel
    platform: Platform | None = None
    interval_minutes: int = Field(60, ge=5)
    verified: bool = False
    enabled: bool = True
    note: str = ""
    # Listing pages: which links are articles, and how to find the next page.
    article_pattern: str | None = None
    next_page: str | None = None


class OutletSpec(Strict):
    key: Key
    name: str
    kind: OutletKind
    agency: Key | None = None
    commune: str | None = None  # accented official name, resolved to its UBND agency
    homepage: str
    verified: bool = False
    profile: str | None = None
    sources: list[SourceSpec] = Field(default_factory=list)


class OutletsFile(Strict):
    outlets: list[OutletSpec]


# An e-mail address as units publish them (ASCII, one "@", a dotted domain with a TLD). Deliberately strict
# rather than RFC-complete: a typo in plan data should be caught here, not bounce weeks later.
_EMAIL = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}(?<!\.)"
                    r"@(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def email_problem(value: object) -> str | None:
    """Why a unit's e-mail address is refused (one Vietnamese phrase), or None when it is a usable address.

    The plan data's addresses are checked when they load so that a reminder never goes to an address that could
    not be one; the callers name the file and line, and the other units' addresses still load.
    """
    if not isinstance(value, str):
        return f"địa chỉ e-mail phải là một chuỗi, không phải {value!r}"
    if not _EMAIL.fullmatch(value.strip()):
        return f"địa chỉ e-mail không hợp lệ {value.strip()!r} (dạng ten@donvi.gov.vn)"
    return None


class HeadcountSpec(Strict):
    """A unit's headcounts as the unit reported them, the denominators of the registers (services.registers).

    Only a figure the unit itself has given: unknown stays null (the registers then say "chưa có số biên chế"
    instead of dividing by a guess). A figure here is loaded as of the plan's start; `registers` can replace it."""

    staff: int | None = Field(None, ge=0)  # biên chế: every cán bộ, công chức, viên chức
    comms_staff: int | None = Field(None, ge=0)  # cán bộ làm công tác thông tin, truyền thông


class AgencySpec(Strict):
    key: Key
    name: str
    short: str = ""
    kind: Literal[AgencyKind.DEPARTMENT, AgencyKind.OUTLET, AgencyKind.PROVINCE]  # communes come from vietnamadminunits
    aliases: list[str] = Field(default_factory=list)
    # The agency this unit belongs to (a department belongs to the province's UBND); communes belong to it too.
    parent: Key | None = None
    headcount: HeadcountSpec = Field(default_factory=HeadcountSpec)
    # Where the Department sends this unit's reminders (plan V.1, V.6). Only an address the unit itself has given;
    # kept as written here and checked by `services.units.unit_contacts`, so one typo names its line there and
    # leaves the rest of the plan (and the other units' addresses) loading.
    email: str | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        if isinstance(v, str):
            v = unicodedata.normalize("NFC", v).strip()
            return v or None
        return v


class CommuneAliases(Strict):
    province: str
    expected_count: int
    aliases: dict[str, list[str]] = Field(default_factory=dict)


class AgenciesFile(Strict):
    agencies: list[AgencySpec]
    communes: CommuneAliases


class TargetSpec(Strict):
    key: Key
    name: str
    definition: str
    source: str = ""
    metric: TargetMetric
    theme: Key | None = None
    platform: Platform | None = None  # a theme target counted on one platform only (tv, facebook…)
    format: Format | None = None  # and/or in one format only (talk_show, qa…)
    threshold: float
    unit: TargetUnit
    per: TargetPer = TargetPer.MONTH
    due: date | None = None
    # metric "register": the register that counts (conference | training) and the headcount that divides
    # (staff | comms_staff); counted by services.registers, so the YAML names the rule, never a figure.
    # (`register` is read under another name: pydantic models already have a `register` attribute.)
    register_kind: RegisterKind | None = Field(None, alias="register")
    headcount: HeadcountKind | None = None

    @model_validator(mode="after")
    def _register(self):
        named = self.register_kind is not None or self.headcount is not None
        if self.metric == TargetMetric.REGISTER:
            if self.register_kind is None or self.headcount is None:
                raise ValueError("metric: register needs both `register: conference|training` and `headcount: staff|comms_staff`")
            if self.unit != TargetUnit.RATIO:
                raise ValueError("metric: register is a share of a headcount: use `unit: ratio`")
        elif named:
            raise ValueError("`register` and `headcount` belong to `metric: register` only")
        return self


class TargetsFile(Strict):
    targets: list[TargetSpec]


class KeyDateSpec(Strict):
    key: Key
    name: str
    date: dt.date | None = None  # a one-off date
    month: int | None = Field(None, ge=1, le=12)  # or every year on month/day…
    day: int | None = Field(None, ge=1, le=31)
    month_end: int | None = Field(None, ge=1, le=12)  # …possibly a window ("late May")
    day_end: int | None = Field(None, ge=1, le=31)
    themes: list[Key] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _when(self):
        if (self.date is None) == (self.month is None or self.day is None):
            raise ValueError("give either `date: YYYY-MM-DD` or both `month` and `day`")
        return self


class KeyDatesFile(Strict):
    key_dates: list[KeyDateSpec]

