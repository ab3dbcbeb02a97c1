"""spaCy for Vietnamese with a syllable tokenizer.

Phrase patterns and texts go through the same `make_doc`, so a phrase always
matches its own text. pyvi (spaCy's default for `vi`) groups syllables into
words, which is slower (~30k words/s against ~300k tokens/s here) and makes
pattern/text tokenisation disagree at word boundaries; the per-syllable split
keeps multi-syllable phrases matchable as token sequences.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.tokens import Doc
from spacy.vocab import Vocab

_TOKEN = re.compile(r"\w+(?:[-/.]\w+)*|[^\w\s]", re.UNICODE)


class SyllableTokenizer:
    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        offsets: list[tuple[int, int]] = []
        for m in _TOKEN.finditer(text):
            words.append(m.group())
            end = m.end()
            spaces.append(end < len(text) and text[end].isspace())
            offsets.append((m.start(), end))
        # Runs of whitespace become one space in doc.text, so the exact character offsets of each
        # token in the original text are kept beside the Doc for evidence.
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data["offsets"] = offsets
        return doc

    def to_bytes(self, **_):
        return b""

    def from_bytes(self, _bytes, **_):
        return self


@lru_cache
def get_nlp():
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.vi.VietnameseTokenizer", "use_pyvi": False}}})
    nlp.tokenizer = SyllableTokenizer(nlp.vocab)
    return nlp


def offsets_of(doc: Doc, text: str) -> list[tuple[int, int]]:
    """Start/end of each token in the original text (Doc text may differ in whitespace)."""
    return doc.user_data.get("offsets") or [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
