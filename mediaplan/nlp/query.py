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

import pyparsing as pp

Span = tuple[str, int, int]  # field, first token, end token (exclusive)


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False


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
    """The item's fields, lower-cased, searched term by term.

    Syllables are only split out for a field that contains a term's first syllable as a
    substring, so the many items a query cannot match cost one `in` test per term.
    """

    def __init__(self, texts: dict[str, str], split=None):
        self.lower = {name: text.lower() for name, text in texts.items()}
        self.split = split or str.split
        self._words: dict[str, list[str]] = {}

    def words(self, name: str) -> list[str]:
        if name not in self._words:
            self._words[name] = self.split(name, self.lower[name])
        return self._words[name]

    @staticmethod
    def _occurrences(words: list[str], word: str) -> list[int]:
        """Positions of one syllable, found with list.index (a C loop) rather than a Python scan."""
        out, i = [], -1
        try:
            while True:
                i = words.index(word, i + 1)
                out.append(i)
        except ValueError:
            return out

    def find(self, term: Term) -> list[Span]:
        spans: list[Span] = []
        for name, text in self.lower.items():
            if term.words[0] not in text:
                continue
            words = self.words(name)
            if term.prefix:
                spans += [(name, i, i + 1) for i, w in enumerate(words) if w.startswith(term.words[0])]
                continue
            n = len(term.words)
            for i in self._occurrences(words, term.words[0]):
                if tuple(words[i:i + n]) == term.words:
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
