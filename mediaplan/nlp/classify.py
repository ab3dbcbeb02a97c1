"""Theme classification with evidence: every label says which phrases earned it, and where.

Rules come from the plan data (weighted phrases and negative phrases per theme).
A match in the title or sapo weighs more than one in the body, and repeats of the
same phrase add less and less, so one long article that repeats "học sinh" is not
scored like an article about pupils.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
from spacy.attrs import LOWER
from spacy.matcher import Matcher, PhraseMatcher

from mediaplan.nlp import query
from mediaplan.nlp.entities import EntityFinder
from mediaplan.nlp.formats import detect_channel, detect_format
from mediaplan.nlp.normalize import normalize
from mediaplan.nlp.tokenize import get_nlp, offsets_of
from mediaplan.plans import Plan
from mediaplan.vocab import EntityKind, ItemKind, ThemeMethod

FIELD_WEIGHT = {"title": 2.0, "sapo": 1.5, "body": 1.0}
REPEAT_FACTORS = (1.0, 0.5, 0.25)  # first, second, third occurrence of one phrase; later ones add nothing
EDU_BODY_DENSITY = 0.8
VOCAB_KEPT = 60_000  # lexemes kept between items (`Classifier.classify`); len(vocab) counts freed ones too, so once past it stays past
BODY_ONLY_FACTOR = 2.0  # a theme the title and sapo never mention needs this multiple of its threshold  # education matches per 100 body tokens needed when the title/sapo say nothing

# "Nghị quyết (số) 71", "NQ 71", "NQ71", optionally "-NQ/TW"; not 71/NQ-CP, 71/2026/NQ-HĐND, 71-NQ/TU.
_NQ71 = re.compile(
    r"\b(?:nghị\s+quyết|nq)\s*(?:số\s*)?71(?:\s*-\s*nq\s*/\s*tw\b)?(?!\s*[-/]|\d)"
    r"|\b71\s*-\s*nq\s*/\s*tw\b",
    re.I,
)
_QD157 = re.compile(r"\b157\s*/\s*qđ\s*-\s*ttg\b", re.I)


@dataclass
class Evidence:
    text: str
    field: str
    start: int
    end: int
    weight: float


@dataclass
class ThemeScore:
    code: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    method: ThemeMethod = ThemeMethod.RULE


@dataclass
class Result:
    education: bool
    education_score: float
    nq71: bool
    nq71_evidence: list[Evidence]
    themes: list[ThemeScore]
    format: str
    format_reason: str
    channel: str | None
    agencies: list[dict]
    communes: list[dict]
    schools: list[dict]
    exemplary: bool = False  # a good model or exemplary person: feeds the commendation shortlist
    education_rules: bool | None = None  # the rules' own decision, when a learned education model took part
    education_probability: float | None = None  # that model's probability (None: rules alone decided)
    education_method: str = "rules"  # rules | model | or | and (see nlp/models/education/MODEL_CARD.md)
    education_model_evidence: list[dict] = field(default_factory=list)  # the model's top terms, with offsets
    model_probability: float | None = None  # the model's probability whatever decided (None: no model loaded)
    model_threshold: float | None = None  # its threshold for this kind of item (full article or short item)

    @property
    def review_priority(self) -> float | None:
        """How much an editor's look at this item is worth, for the review queue (None: no model, nothing to weigh).

        Above 1: the model alone would decide the flag otherwise than it was decided, the further from its
        threshold the higher. Below 1: they agree, and the nearer the threshold (the less sure), the higher.
        """
        p, t = self.model_probability, self.model_threshold
        if p is None or t is None:
            return None
        distance = abs(p - t)
        if (p >= t) != self.education:
            return round(1.0 + distance, 4)
        return round(1.0 - min(1.0, distance / max(t, 1.0 - t)), 4)

    def to_json(self) -> dict:
        return {
            "education": self.education,
            "nq71": self.nq71,
            "exemplary": self.exemplary,
            "themes": [{"code": t.code, "score": round(t.score, 2), "method": t.method,
                        "evidence": [asdict(e) for e in t.evidence]}
                       for t in self.themes],
            "format": self.format,
            "channel": self.channel,
            "agencies": self.agencies,
            "communes": self.communes,
            "schools": self.schools,
            "evidence": {"education_score": round(self.education_score, 2), "education_method": self.education_method,
                         **({"education_rules": self.education_rules, "education_probability": round(self.education_probability, 3)}
                            if self.education_probability is not None else {}),
                         **({"education_model_probability": round(self.model_probability, 3),
                             "education_model_threshold": self.model_threshold,
                             "education_model": self.education_model_evidence}
                            if self.model_probability is not None else {}),
                         "nq71": [asdict(e) for e in self.nq71_evidence], "format": self.format_reason},
        }


class Classifier:
    """Built once per process (matchers for every theme); `classify` is then cheap."""

    def __init__(self, plan: Plan, tokenizer: str = "syllable", model=None, education_model=None):
        self.plan = plan
        self.model = model  # a trained ThemeModel, deciding the themes where it beat the rules
        self.education_model = education_model  # nlp.education_model.EducationModel: combined with the rules' flag
        self.nlp = get_nlp(tokenizer)
        self.positive = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.negative = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        # One matcher key per phrase ("code\x1fphrase"), so a match id names its weight without re-reading tokens.
        self.weights: dict[int, tuple[str, str, float]] = {}
        self.patterns = Matcher(self.nlp.vocab)  # token patterns: "thiếu <số> giáo viên"
        self._add("education", plan.themes.education.phrases, plan.themes.education.negative)
        for theme in plan.themes.themes:
            self._add(theme.code, theme.phrases, theme.negative)
            for n, spec in enumerate(theme.patterns):
                key = f"~{theme.code}\x1f{n}"
                self.patterns.add(key, [spec.pattern])
                self.weights[self.nlp.vocab.strings[key]] = (theme.code, key, spec.weight)
                self._anchor(spec.pattern)
        # The syllable tokenizer's tokens are slices of the text (pyvi's need not be), and str.lower() maps
        # characters one by one but for the Greek final sigma: a substring test can then rule the anchors out.
        self.exact_tokens = tokenizer == "syllable" and not any(c in a for a in self.anchors or () for c in "σς")
        self.entities = EntityFinder(plan, self.nlp)
        syllables = lambda text: [t.lower_ for t in self.nlp.make_doc(normalize(text))]  # noqa: E731
        self.queries = {t.code: query.parse(t.query, syllables) for t in plan.themes.themes if t.query}
        self.shortlist = {t.code for t in plan.themes.themes if t.shortlist}

    # Token patterns run only in short windows that start at one of their first words: the Matcher
    # costs more than all the phrase matchers together when it walks every token of a long body.
    anchors: set[str] | None = None  # first words of every pattern; None: some pattern has none
    window = 0
    _anchor_hashes: list | None = None

    def _anchor(self, pattern: list[dict]) -> None:
        first = pattern[0]
        words = first.get("LOWER")
        words = words.get("IN") if isinstance(words, dict) else ([words] if isinstance(words, str) else None)
        unbounded = any(t.get("OP") in ("+", "*") for t in pattern) or first.get("OP")
        if self.anchors is None and self.window:  # an earlier pattern already needs the whole text
            return
        if not words or unbounded:
            self.anchors, self.window = None, -1
            return
        self.anchors = (self.anchors or set()) | {w.lower() for w in words}
        self.window = max(self.window, len(pattern))

    def _pattern_matches(self, doc, text: str | None = None) -> list[tuple[int, int, int]]:
        if not len(self.patterns):
            return []
        if self.anchors is None:
            return self.patterns(doc)
        if text is not None and self.exact_tokens and not any(a in text.lower() for a in self.anchors):
            return []  # a token whose lower form is an anchor leaves that anchor in the lower-cased text
        if self._anchor_hashes is None:
            self._anchor_hashes = [np.uint64(self.nlp.vocab.strings[w]) for w in self.anchors]
        lower = doc.to_array(LOWER)
        hit = np.zeros(len(lower), dtype=bool)
        for h in self._anchor_hashes:  # a few vectorised comparisons; np.isin sorts and costs more here
            hit |= lower == h
        out = []
        for i in np.flatnonzero(hit).tolist():
            out += [(m, i + s, i + e) for m, s, e in self.patterns(doc[i:i + self.window]) if s == 0]
        return out

    def _add(self, code: str, phrases, negatives) -> None:
        for matcher, sign, group in ((self.positive, "+", phrases), (self.negative, "-", negatives)):
            for phrase in group:
                key = f"{sign}{code}\x1f{phrase.text.lower()}"
                matcher.add(key, [self.nlp.make_doc(phrase.text)])
                self.weights[self.nlp.vocab.strings[key]] = (code, phrase.text.lower(), phrase.weight)  # by match id

    def _score(self, fields: dict[str, str], docs: dict) -> tuple[dict[str, float], dict[str, list[Evidence]], dict[str, float], int]:
        scores: dict[str, float] = {}
        evidence: dict[str, list[Evidence]] = {}
        head: dict[str, float] = {}  # score from title + sapo only
        seen: dict[int, int] = {}  # occurrences of each phrase so far (its match id)
        body_tokens = 0
        weights = self.weights
        for name, text in fields.items():
            if not text:
                continue
            doc = docs[name]
            offsets = offsets_of(doc, text)
            if name == "body":
                body_tokens = len(doc)
            for matches, sign in ((self.positive(doc), 1), (self.negative(doc), -1), (self._pattern_matches(doc, text), 1)):
                for match_id, s, e in matches:
                    n = seen.get(match_id, 0)
                    seen[match_id] = n + 1
                    if n >= len(REPEAT_FACTORS):
                        continue
                    code, _, weight = weights[match_id]
                    gained = sign * weight * FIELD_WEIGHT[name] * REPEAT_FACTORS[n]
                    scores[code] = scores.get(code, 0.0) + gained
                    if name != "body":
                        head[code] = head.get(code, 0.0) + gained
                    start, end = offsets[s][0], offsets[e - 1][1]
                    evidence.setdefault(code, []).append(Evidence(text[start:end], name, start, end, round(gained, 2)))
        return scores, evidence, head, body_tokens

    def classify(self, title: str, sapo: str = "", body: str = "", url: str | None = None, kind: ItemKind = ItemKind.ARTICLE,
                 duration_seconds: int | None = None, use_model: bool = True, normalized: bool = False) -> Result:
        """`normalized=True` for stored items: the store already normalised them, and it is a third of the cost.

        The vocabulary keeps the words of the first items until it holds VOCAB_KEPT lexemes: the common syllables,
        met early, stay, and making a lexeme anew for each of them on every item was two thirds of the run. After
        that each call runs in a spaCy memory zone: the strings and lexemes of one item's new (rare) words are
        freed when it is classified, so the vocabulary stays bounded over a long crawl or a 1M-item classify.
        The Result holds only Python values, never a Doc, so nothing outlives the zone."""
        if len(self.nlp.vocab) < VOCAB_KEPT:
            return self._classify(title, sapo, body, url, kind, duration_seconds, use_model, normalized)
        with self.nlp.memory_zone():
            return self._classify(title, sapo, body, url, kind, duration_seconds, use_model, normalized)

    def _classify(self, title: str, sapo: str, body: str, url: str | None, kind: ItemKind, duration_seconds: int | None,
                  use_model: bool, normalized: bool) -> Result:
        clean = (lambda t: t or "") if normalized else normalize
        fields = {"title": clean(title), "sapo": clean(sapo), "body": clean(body)}
        docs = {name: self.nlp.make_doc(text) for name, text in fields.items() if text}  # tokenized once, used twice
        scores, evidence, head, body_tokens = self._score(fields, docs)

        edu_rules = self.plan.themes.education
        edu_score = scores.get("education", 0.0)
        body_matches = sum(1 for e in evidence.get("education", []) if e.field == "body" and e.weight > 0)
        density = 100.0 * body_matches / body_tokens if body_tokens else 0.0
        education = edu_score >= edu_rules.threshold and (head.get("education", 0.0) > 0 or density >= EDU_BODY_DENSITY)
        edu_extra: dict = {}
        if use_model and self.education_model is not None:  # combined only where it beat the rules on held-out data
            rules_said = education
            seen = self.education_model.assess(education, fields["title"], fields["sapo"], fields["body"])
            education = seen.education
            edu_extra = {"education_rules": rules_said, "model_probability": seen.probability,
                         "model_threshold": seen.threshold}
            if seen.how != "rules":
                edu_extra |= {"education_probability": seen.probability, "education_method": seen.how}
            if seen.how != "rules" or seen.disagrees:  # the terms are worth their cost where the model decided or objects
                edu_extra["education_model_evidence"] = self.education_model.contributions(fields)

        nq71_ev = []
        for name, text in fields.items():
            for pattern, number in ((_NQ71, "71"), (_QD157, "157")):
                if number not in text:  # each pattern needs its number: a substring test rules out most texts
                    continue
                for m in pattern.finditer(text):
                    nq71_ev.append(Evidence(m.group(0), name, m.start(), m.end(), 1.0))
        nq71 = bool(nq71_ev)

        index = query.Index({name: fields[name] for name in docs}, docs) if self.queries else None
        model = self.model if use_model and self.model and self.model.themes else None
        probabilities = model.predict("\n".join(fields.values())) if model else {}
        themes: list[ThemeScore] = []
        for theme in self.plan.themes.themes:
            score = scores.get(theme.code, 0.0)
            found = [e for e in evidence.get(theme.code, []) if e.weight > 0]
            # A main subject, not a passing mention: the headline or lead says it, or the body does at length.
            main = head.get(theme.code, 0.0) > 0 or score >= BODY_ONLY_FACTOR * theme.threshold
            if theme.code in self.queries:  # the analyst's query, when it matches, applies the theme by itself
                matched, spans = query.evaluate(self.queries[theme.code], index)
                if matched:
                    score, main = max(score, theme.threshold), True
                    found += [self._span_evidence(fields, docs, span) for span in spans]
            gate = education or nq71 or not theme.requires_education
            if model and theme.code in model.themes:  # the model won this theme on held-out items
                if probabilities.get(theme.code, 0.0) >= 0.5 and gate:
                    themes.append(ThemeScore(theme.code, round(probabilities[theme.code], 3), found, ThemeMethod.MODEL))
            elif score >= theme.threshold and main and gate:
                themes.append(ThemeScore(theme.code, score, found))
        themes.sort(key=lambda t: -t.score)

        fmt, why = detect_format(fields["title"], fields["body"], url, kind, duration_seconds)
        found = self.entities.find(fields, docs)
        pick = lambda kind_: _dedupe([{"key": e.key, "name": e.name, "text": e.text, "field": e.field, "start": e.start, "end": e.end}  # noqa: E731
                                      | ({"note": e.note} if e.note else {}) for e in found if e.kind == kind_])
        return Result(education or nq71, edu_score, nq71, nq71_ev, themes, fmt, why,
                      detect_channel(url, kind, duration_seconds), pick(EntityKind.AGENCY), pick(EntityKind.COMMUNE), pick(EntityKind.SCHOOL),
                      exemplary=any(t.code in self.shortlist for t in themes), **edu_extra)

    @staticmethod
    def _span_evidence(fields: dict[str, str], docs: dict, span: query.Span) -> Evidence:
        name, s, e = span
        offsets = offsets_of(docs[name], fields[name])
        start, end = offsets[s][0], offsets[e - 1][1]
        return Evidence(fields[name][start:end], name, start, end, 0.0)  # weight 0: a query term, not a phrase


def _dedupe(entities: list[dict]) -> list[dict]:
    """Every mention is evidence, but list each entity once with its first mention first."""
    out: dict[str, dict] = {}
    for e in entities:
        if e["key"] in out:
            out[e["key"]].setdefault("mentions", 1)
            out[e["key"]]["mentions"] += 1
        else:
            out[e["key"]] = dict(e)
    return list(out.values())
