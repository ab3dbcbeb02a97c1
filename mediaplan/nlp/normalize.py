"""One canonical form for Vietnamese text, so that matching, hashing and search agree.

NFC first (pyvi and the phrase matcher see garbage in NFD), then the common
keyboard mistakes: Icelandic eth for Đ, NBSP and zero-width characters, and the
"old" tone placement (hoà → hòa). The raw text is kept by the caller.
"""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền, sắc, hỏi, ngã, nặng
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")
_ETH = str.maketrans({"Ð": "Đ", "ð": "đ"})

# o+a, o+e, u+y at the end of a syllable, tone on the second vowel, not after q.
_MISPLACED = re.compile(r"(?<![qQ\w])([^\W\d_]*?)([oOuU])([^\W\d_])(?![^\W\d_])")


def _strip_tone(ch: str) -> tuple[str, str | None]:
    parts = unicodedata.normalize("NFD", ch)
    tone = next((c for c in parts if c in _TONES), None)
    base = "".join(c for c in parts if c not in _TONES)
    return unicodedata.normalize("NFC", base), tone


def _move_tone(match: re.Match) -> str:
    onset, first, second = match.groups()
    if onset[-1:].lower() == "q":
        return match.group(0)
    base, tone = _strip_tone(second)
    pair = (first.lower(), base.lower())
    if tone is None or pair not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return match.group(0)
    return onset + unicodedata.normalize("NFC", first + tone) + base


def fix_tone_placement(text: str) -> str:
    """hoà → hòa, khoẻ → khỏe, thuỷ → thủy, Uỷ → Ủy; closed syllables (hoàn) and quý are left alone."""
    return _MISPLACED.sub(_move_tone, text)


def normalize(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_ETH).translate(_INVISIBLE).translate(_SPACES)
    text = fix_tone_placement(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def fold(text: str) -> str:
    """Accent-folded key for search; keeps đ distinct from d (Đăk is not Dak)."""
    out = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.category(ch) != "Mn":
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))
