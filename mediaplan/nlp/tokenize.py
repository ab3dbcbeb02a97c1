"""spaCy for Vietnamese, split into syllables by spaCy's own rule-based tokenizer.

Vietnamese writes a space between syllables, so spaCy's Cython tokenizer (whitespace,
then the multi-language punctuation rules, with its cache) gives syllables directly,
keeps the text exactly (token.idx is the offset in the original), and is about four
times faster than a Python loop and 8–30 times faster than pyvi, which groups
syllables into words (`make bench`). Phrase patterns and texts go through the same
`make_doc`, so a phrase always matches its own text; multi-syllable phrases match as
token sequences. pyvi stays available (`MEDIAPLAN_TOKENIZER=pyvi`) for comparison.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.attrs import IDX, LENGTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

TOKENIZERS = ("syllable", "pyvi")


def syllable_tokenizer(vocab: Vocab) -> Tokenizer:
    """The multi-language punctuation rules without their special cases (English contractions,
    emoticons): a span that hits a special case is never cached, which made it 10× slower here."""
    rules = spacy.blank("xx").tokenizer
    return Tokenizer(vocab, prefix_search=rules.prefix_search, suffix_search=rules.suffix_search,
                     infix_finditer=rules.infix_finditer, token_match=rules.token_match, url_match=rules.url_match)


@lru_cache
def get_nlp(tokenizer: str = "syllable"):
    """spaCy `vi` with the chosen tokenizer. Patterns and texts must come from the same one."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; choose one of {', '.join(TOKENIZERS)}")
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.vi.VietnameseTokenizer",
                                                          "use_pyvi": tokenizer == "pyvi"}}})
    if tokenizer == "syllable":
        nlp.tokenizer = syllable_tokenizer(nlp.vocab)
    return nlp


_OFFSETS = "mediaplan.offsets"  # where a Doc keeps its token offsets once read (its user_data), for the next reader


class _TokenOffsets:
    """Offsets from token.idx, read for all tokens at once in C (to_array) on the first request, and kept
    with the Doc so that the rules, the entities and the query evidence read them once per Doc."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.starts, self.lengths = doc.user_data.get(_OFFSETS, (None, None))

    def __getitem__(self, i: int) -> tuple[int, int]:
        if self.starts is None:
            table = self.doc.to_array([IDX, LENGTH])
            self.starts, self.lengths = table[:, 0].tolist(), table[:, 1].tolist()
            self.doc.user_data[_OFFSETS] = (self.starts, self.lengths)  # plain lists: no reference cycle
        return self.starts[i], self.starts[i] + self.lengths[i]


def offsets_of(doc: Doc, text: str):
    """Start/end of each token in `text`.

    spaCy's tokenizer keeps the text exactly, so token.idx is the answer; pyvi's Docs may
    not, and their tokens are found again in the text in order.
    """
    if not len(doc) or doc[-1].idx + len(doc[-1].text_with_ws) == len(text):  # O(1); doc.text would rebuild it
        return _TokenOffsets(doc)
    out, pos = [], 0
    for token in doc:
        start = text.find(token.text, pos)
        if start < 0:
            start = pos
        out.append((start, start + len(token.text)))
        pos = start + len(token.text)
    return out
