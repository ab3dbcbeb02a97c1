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

_ODD = re.compile("[" + "".join(map(chr, _TABLE)) + "]")  # most texts have none: translate() only when needed

# o+a, o+e, u+y ending a syllable with the tone on the second vowel (hoà, khoẻ, thuỷ), not after q (quý).
# The lookbehind comes after the first vowel so the pattern starts with a character set, which `re` scans for fast.
_TONED = {"a": "àáảãạ", "e": "èéẻẽẹ", "y": "ỳýỷỹỵ"}
_MISPLACED = re.compile(
    "([oOuU])(?<![qQ][oOuU])([" + "".join(v + v.upper() for v in _TONED.values()) + "])(?![^\\W\\d_])"
)
_MAYBE_MISPLACED = re.compile("[oOuU](?=[" + "".join(v + v.upper() for v in _TONED.values()) + "])")  # 10× faster test
# Only what changes: a single space is left alone (matching every space made this the costliest step), and
# each pattern runs only where a plain substring test says it can match (most stored text has nothing to fix).
_SPACES = re.compile(r"\t[ \t]*| [ \t]+")  # a run of spaces and tabs other than one plain space
_LINE_ENDS = re.compile(r" +\n *|\n +")
_BLANK_LINES = re.compile(r"\n{3,}")


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
    text = unicodedata.normalize("NFC", text)
    if _ODD.search(text):
        text = text.translate(_TABLE)
    if _MAYBE_MISPLACED.search(text):
        text = _MISPLACED.sub(_move_tone, text)
    if "\t" in text or "  " in text:
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_ENDS.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


_VIETNAMESE_MARKS = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # what NFD leaves of Vietnamese letters (all Mn)
_BEYOND_LATIN = re.compile("[^\x00-\u02ff]")  # every Mn character is U+0300 or above


def fold(text: str) -> str:
    """Accent-folded key for search; keeps đ distinct from d (Đăk is not Dak)."""
    text = unicodedata.normalize("NFD", text.lower())
    for mark in _VIETNAMESE_MARKS:  # every combining mark (Mn) goes: a replace per mark, not a test per character
        if mark in text:
            text = text.replace(mark, "")
    for ch in set(_BEYOND_LATIN.findall(text)):  # any other mark, among the few characters past Latin left
        if unicodedata.category(ch) == "Mn":
            text = text.replace(ch, "")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def fold_collisions(names) -> dict[str, list[str]]:
    """Names that only accents tell apart (Sơn Hà / Sơn Hạ, Ba Tô / Ba Tơ): where folding is ambiguous.

    Search uses it to say so when a query typed without accents could mean several of them.
    """
    groups: dict[str, set[str]] = {}
    for name in names:
        groups.setdefault(fold(normalize(name)), set()).add(normalize(name))
    return {key: sorted(forms) for key, forms in sorted(groups.items()) if len(forms) > 1}
