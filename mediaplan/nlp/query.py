"""Boolean queries an analyst writes in the plan data, the way media-monitoring tools take them.

    ("gương điển hình" OR tuyên dương OR "mô hình hay") AND NOT "xổ số"
    "học sinh" NEAR/5 "đuối nước"
    học* AND "Sơn Hà"          (juxtaposed terms mean AND: tuyên dương = tuyên AND dương)

Terms are single syllables (a trailing * matches any syllable starting so), or
"quoted phrases" matched syllable by syllable with the same tokenizer as the
texts. Matching ignores case but not accents (Sơn Hà is not Sơn Hạ). Operators
bind NOT, then NEAR/n (both terms within n syllables, either order), then AND,
then OR; parentheses group. A query never spans title, sapo and body for NEAR.
The grammar is pyparsing's; evaluation returns the matched spans as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyparsing as pp
from spacy.attrs import LOWER
from spacy.strings import hash_string

Span = tuple[str, int, int]  # field, first token, end token (exclusive)


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False

    @property
    def hashes(self) -> np.ndarray:
        return np.array([hash_string(w) for w in self.words], dtype=np.uint64)


@dataclass(frozen=True)
class Op:
    name: str  # and | or | not | near
    args: tuple
    distance: int = 0


def _grammar():
    not_ = pp.CaselessKeyword("NOT")
    and_ = pp.CaselessKeyword("AND")
    or_ = pp.CaselessKeyword("OR")
    near = pp.Regex(r"NEAR/(\d+)", flags=0).set_parse_action(lambda t: ("near", int(t[0].split("/")[1])))
    keyword = not_ | and_ | or_ | pp.Regex(r"NEAR/\d+")
    phrase = pp.QuotedString('"', unquote_results=True).set_parse_action(lambda t: ("phrase", t[0]))
    word = (~keyword + pp.Regex(r"[^\s()\"]+")).set_parse_action(lambda t: ("word", t[0]))
    operand = phrase | word
    return pp.infix_notation(operand, [
        (not_, 1, pp.OpAssoc.RIGHT),
        (near, 2, pp.OpAssoc.LEFT),
        (and_, 2, pp.OpAssoc.LEFT),
        (or_, 2, pp.OpAssoc.LEFT),
    ])


_GRAMMAR = _grammar()
_PIECES = re.compile(r'"[^"]*"|\(|\)|[^\s()"]+')
_OPERATORS = re.compile(r"(?i)^(?:AND|OR|NEAR/\d+)$")


def _explicit_and(query: str) -> str:
    """Juxtaposed terms mean AND, as in search boxes: write the AND out for the grammar."""
    out: list[str] = []
    for piece in _PIECES.findall(query):
        opens = piece == "(" or piece.upper() == "NOT" or not (_OPERATORS.match(piece) or piece == ")")
        prev = out[-1] if out else None
        if prev and opens and not (prev == "(" or prev.upper() == "NOT" or _OPERATORS.match(prev)):
            out.append("AND")
        out.append(piece)
    return " ".join(out)


@lru_cache(maxsize=256)
def parse(query: str, tokenize=None):
    """Parse once; `tokenize` splits a phrase into syllables the way texts are split."""
    try:
        tree = _GRAMMAR.parse_string(_explicit_and(query), parse_all=True)[0]
    except pp.ParseBaseException as e:
        raise QueryError(f"truy vấn không hợp lệ ở ký tự {e.loc + 1}: {query!r}") from None
    return _build(tree, tokenize or str.split)


def _build(node, tokenize):
    if isinstance(node, tuple):
        kind, text = node
        text = text.lower()
        if kind == "word" and text.endswith("*") and len(text) > 1:
            return Term((text[:-1],), prefix=True)
        words = tuple(tokenize(text))
        if not words:
            raise QueryError(f"cụm từ rỗng trong truy vấn: {text!r}")
        return Term(words)
    items = list(node)
    if isinstance(items[0], str) and items[0].upper() == "NOT":
        return Op("not", (_build(items[1], tokenize),))
    left = _build(items[0], tokenize)
    for i in range(1, len(items), 2):
        op, right = items[i], _build(items[i + 1], tokenize)
        if isinstance(op, tuple):
            left = Op("near", (left, right), distance=op[1])
        else:
            left = Op(op.lower(), (left, right))
    return left


class Index:
    """The item's fields, searched term by term.

    A field is only looked into when every syllable of the term occurs in its lower-cased
    text, so the many items a query cannot match cost a few `in` tests. Then the field's
    tokens are compared as spaCy LOWER hashes in numpy, not as Python strings.
    """

    def __init__(self, texts: dict[str, str], docs: dict | None = None, split=None):
        self.lower = {name: text.lower() for name, text in texts.items()}
        self.docs = docs or {}
        self.split = split or (lambda _name, text: text.split())
        self._hashes: dict[str, np.ndarray] = {}
        self._words: dict[str, list[str]] = {}

    def words(self, name: str) -> list[str]:
        if name not in self._words:
            doc = self.docs.get(name)
            self._words[name] = [t.lower_ for t in doc] if doc is not None else self.split(name, self.lower[name])
        return self._words[name]

    def hashes(self, name: str) -> np.ndarray:
        if name not in self._hashes:
            doc = self.docs.get(name)
            self._hashes[name] = doc.to_array(LOWER) if doc is not None else \
                np.array([hash_string(w) for w in self.words(name)], dtype=np.uint64)
        return self._hashes[name]

    def find(self, term: Term) -> list[Span]:
        spans: list[Span] = []
        for name, text in self.lower.items():
            if not all(w in text for w in term.words):
                continue
            if term.prefix:
                spans += [(name, i, i + 1) for i, w in enumerate(self.words(name)) if w.startswith(term.words[0])]
                continue
            arr, wanted, n = self.hashes(name), term.hashes, len(term.words)
            for i in np.flatnonzero(arr == wanted[0]).tolist():
                if i + n <= len(arr) and (n == 1 or np.array_equal(arr[i:i + n], wanted)):
                    spans.append((name, i, i + n))
        return spans


def evaluate(node, index: Index) -> tuple[bool, list[Span]]:
    """Whether the query matches, and the spans that made it match (for evidence)."""
    if isinstance(node, Term):
        spans = index.find(node)
        return bool(spans), spans
    if node.name == "not":
        matched, _ = evaluate(node.args[0], index)
        return not matched, []
    left, right = (evaluate(a, index) for a in node.args)
    if node.name == "and":
        return (left[0] and right[0]), (left[1] + right[1] if left[0] and right[0] else [])
    if node.name == "or":
        return (left[0] or right[0]), (left[1] if left[0] else []) + (right[1] if right[0] else [])
    near = [(a, b) for a in left[1] for b in right[1]
            if a[0] == b[0] and max(a[1], b[1]) - min(a[2], b[2]) <= node.distance]
    spans = sorted({s for pair in near for s in pair})
    return bool(near), spans
