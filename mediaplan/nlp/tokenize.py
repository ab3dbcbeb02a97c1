"""spaCy for Vietnamese with a syllable tokenizer.

Phrase patterns and texts go through the same `make_doc`, so a phrase always
matches its own text. pyvi (spaCy's default for `vi`) groups syllables into
words, which is slower (~30k words/s against ~300k tokens/s here) and makes
pattern/text tokenisation disagree at word boundaries; the per-syllable split
keeps multi-syllable phrases matchable as token sequences.
"""

from __future__ import annotations

import re
from itertools import accumulate
from functools import lru_cache

import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab

TOKEN = re.compile(r"\w+(?:[-/.]\w+)*|[^\w\s]", re.UNICODE)
_TOKEN_AND_SPACE = re.compile(r"(\w+(?:[-/.]\w+)*|[^\w\s])(\s*)", re.UNICODE)


class SyllableTokenizer:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        # One C-level findall gives each token with the whitespace after it; every non-space
        # character belongs to a token, so offsets are running sums of those lengths.
        pairs = _TOKEN_AND_SPACE.findall(text)
        words = [w for w, _ in pairs]
        doc = Doc(self.vocab, words=words, spaces=[bool(sp) for _, sp in pairs])
        # Runs of whitespace become one space in doc.text, so the exact character offsets of each
        # token in the original text are kept beside the Doc for evidence.
        starts = accumulate((len(w) + len(sp) for w, sp in pairs), initial=len(text) - len(text.lstrip()))
        doc.user_data["offsets"] = [(s, s + len(w)) for s, w in zip(starts, words)]
        return doc

    def to_bytes(self, **_):
        return b""

    def from_bytes(self, _bytes, **_):
        return self


TOKENIZERS = ("syllable", "pyvi")


@lru_cache
def get_nlp(tokenizer: str = "syllable"):
    """spaCy `vi` with the chosen tokenizer. Patterns and texts must come from the same one."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; choose one of {', '.join(TOKENIZERS)}")
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.vi.VietnameseTokenizer",
                                                          "use_pyvi": tokenizer == "pyvi"}}})
    if tokenizer == "syllable":
        nlp.tokenizer = SyllableTokenizer(nlp.vocab)
    return nlp


def offsets_of(doc: Doc, text: str) -> list[tuple[int, int]]:
    """Start/end of each token in the original text (Doc text may differ in whitespace).

    pyvi's Docs carry no offsets of their own; their tokens are found again in the text in order.
    """
    offsets = doc.user_data.get("offsets")
    if offsets is not None:
        return offsets
    out, pos = [], 0
    for token in doc:
        start = text.find(token.text, pos)
        if start < 0:
            start = pos
        out.append((start, start + len(token.text)))
        pos = start + len(token.text)
    return out
