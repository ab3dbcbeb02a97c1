"""One canonical form for Vietnamese text, so that matching, hashing and search agree.

NFC first (pyvi and the phrase matcher see garbage in NFD), then the common
keyboard mistakes: Icelandic eth for Đ, NBSP and zero-width characters, and the
"old" tone placement (hoà → hòa). The raw text is kept by the caller.
"""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}  # huyền, sắc, hỏi, ngã, nặng
# One translation table: Icelandic eth for Đ, invisible characters dropped, odd spaces made plain.
_TABLE = {ord("Ð"): "Đ", ord("ð"): "đ"} | dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None) \
    | dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")

# o+a, o+e, u+y ending a syllable with the tone on the second vowel (hoà, khoẻ, thuỷ), not after q (quý).
_TONED = {"a": "àáảãạ", "e": "èéẻẽẹ", "y": "ỳýỷỹỵ"}
_MISPLACED = re.compile(
    "(?<![qQ])([oOuU])([" + "".join(v + v.upper() for v in _TONED.values()) + "])(?![^\\W\\d_])"
)


def _move_tone(match: re.Match) -> str:
    first, second = match.groups()
    base, tone = _strip_tone(second)
    if (first.lower(), base.lower()) not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return match.group(0)
    return unicodedata.normalize("NFC", first + tone) + base


def _strip_tone(ch: str) -> tuple[str, str | None]:
    parts = unicodedata.normalize("NFD", ch)
    tone = next((c for c in parts if c in _TONES), None)
    base = "".join(c for c in parts if c not in _TONES)
    return unicodedata.normalize("NFC", base), tone


def fix_tone_placement(text: str) -> str:
    """hoà → hòa, khoẻ → khỏe, thuỷ → thủy, Uỷ → Ủy; closed syllables (hoàn) and quý are left alone."""
    return _MISPLACED.sub(_move_tone, text)


def normalize(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_TABLE)
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


def fold_collisions(names) -> dict[str, list[str]]:
    """Names that only accents tell apart (Sơn Hà / Sơn Hạ, Ba Tô / Ba Tơ): where folding is ambiguous.

    Search uses it to say so when a query typed without accents could mean several of them.
    """
    groups: dict[str, set[str]] = {}
    for name in names:
        groups.setdefault(fold(normalize(name)), set()).add(normalize(name))
    return {key: sorted(forms) for key, forms in sorted(groups.items()) if len(forms) > 1}
