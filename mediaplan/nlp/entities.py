"""Agencies, communes and schools mentioned in an item, with offsets.

Communes are matched on accented forms only: folding the accents merges distinct
units (Sơn Hà / Sơn Hạ, Ba Tô / Ba Tơ). Old commune names ("xã Sơn Thành", merged into xã Sơn Hạ in 2025) and the Kon
Tum spellings (Đắk/Đăk, Ngọk/Ngọc) map to today's unit. A bare name preceded by an old-unit word
("huyện Sơn Hà", "tỉnh Kon Tum") refers to the former district or province, not to
the commune of the same name, and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.matcher import PhraseMatcher

from mediaplan.nlp.tokenize import get_nlp, offsets_of
from mediaplan.plans import Plan
from mediaplan.vocab import EntityKind

_OLD_UNIT_WORDS = {"huyện", "tỉnh", "thành", "thị", "quận", "sông", "núi", "đèo", "hồ", "cầu"}
_SCHOOL = re.compile(
    r"\bTrường\s+(?:Mầm non|Tiểu học|THCS|THPT|TH&THCS|TH và THCS|THCS&THPT|Phổ thông|PTDTNT|PTDTBT|"
    r"Phổ thông dân tộc (?:nội|bán) trú|Đại học|Cao đẳng|Trung cấp)"
    r"(?:\s+(?:chuyên|số|dân tộc|nội trú|bán trú|liên cấp))*(?:\s+(?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][\w-]*|\d+))+"
)


@dataclass
class Entity:
    kind: str  # agency | commune | school
    key: str
    name: str
    text: str
    field: str
    start: int
    end: int
    note: str = ""


class EntityFinder:
    def __init__(self, plan: Plan, nlp=None):
        nlp = nlp or get_nlp()
        self.nlp = nlp
        self.agencies = PhraseMatcher(nlp.vocab, attr="LOWER")
        for a in plan.agencies.agencies:
            names = {a.name, a.short, *a.aliases} - {""}
            self.agencies.add(a.key, [nlp.make_doc(n) for n in names])
        self.communes = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.bare = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.former = PhraseMatcher(nlp.vocab, attr="LOWER")
        for c in plan.communes:
            prefix = c.unit_type.lower()
            forms = {f for name in c.spellings for f in (f"{prefix} {name}", f"UBND {prefix} {name}")} | set(c.aliases)
            self.communes.add(c.agency_key, [nlp.make_doc(f) for f in forms])
            if len(c.short.split()) >= 2 and not c.old_district:
                self.bare.add(c.agency_key, [nlp.make_doc(name) for name in c.spellings])
            if c.former:  # "xã Sơn Thành (cũ)" now lies in xã Sơn Hạ
                self.former.add(c.agency_key, [nlp.make_doc(f"{old[0].lower()}{old[1:]}") for old in c.former])
        self.names = {c.agency_key: c.name for c in plan.communes} | {a.key: a.name for a in plan.agencies.agencies}

    def find(self, fields: dict[str, str], docs: dict | None = None) -> list[Entity]:
        found: list[Entity] = []
        vocab = self.nlp.vocab.strings
        for field, text in fields.items():
            if not text:
                continue
            doc = docs[field] if docs and field in docs else self.nlp.make_doc(text)
            offsets = offsets_of(doc, text)

            def add(kind: str, match_id: int, s: int, e: int, note: str = "") -> None:
                key = vocab[match_id]
                start, end = offsets[s][0], offsets[e - 1][1]
                found.append(Entity(kind, key, self.names[key], text[start:end], field, start, end, note))

            for match_id, s, e in self.agencies(doc):
                if s > 0 and doc[s].lower_ == "sở" and doc[s - 1].lower_ == "cơ":
                    continue  # "cơ sở y tế" is a health facility, not the Sở Y tế
                add(EntityKind.AGENCY, match_id, s, e)
            schools = list(_SCHOOL.finditer(text))
            taken: list[tuple[int, int]] = []
            # The longest name wins: "xã Sơn Tây Thượng" is not also "xã Sơn Tây".
            for match_id, s, e in sorted(self.communes(doc), key=lambda m: (m[1], -(m[2] - m[1]))):
                if not any(ts <= s < te for ts, te in taken):
                    taken.append((s, e))
                    add(EntityKind.COMMUNE, match_id, s, e)
            for match_id, s, e in self.former(doc):
                if not any(ts <= s < te for ts, te in taken):
                    taken.append((s, e))
                    add(EntityKind.COMMUNE, match_id, s, e, note="tên đơn vị cũ")
            for match_id, s, e in self.bare(doc):
                if any(ts <= s < te for ts, te in taken) or any(m.start() <= offsets[s][0] < m.end() for m in schools):
                    continue  # inside a longer name, or part of a school's name (Trường THCS Nguyễn Nghiêm)
                if s > 0 and doc[s - 1].lower_ in _OLD_UNIT_WORDS | {"xã", "phường", "khu"}:
                    continue
                if s > 1 and f"{doc[s - 2].lower_} {doc[s - 1].lower_}" in {"thị xã", "thị trấn", "thành phố"}:
                    continue
                add(EntityKind.COMMUNE, match_id, s, e)
            for m in schools:
                name = " ".join(m.group(0).split())
                found.append(Entity(EntityKind.SCHOOL, name, name, m.group(0), field, m.start(), m.end()))
        return found
