"""Vietnamese first, English on request: the current language of a request, and gettext through the catalogues.

Vietnamese is the source language: every string in the code and the templates is written in Vietnamese and is
its own msgid, so with no catalogue a page reads as written. English comes from `mediaplan/locale/en/LC_MESSAGES/
messages.po`, read once per process with `babel.messages.pofile.read_po` (no compiled .mo in git, no build step:
a fresh clone works). `make messages` re-extracts the strings (`babel.cfg`) and updates the .po.

The language is a context variable. The web app sets it per request from the `mediaplan_lang` cookie
(`web.language`); everything else (the CLI, the scheduler, the report the Department receives, e-mails) runs in
Vietnamese, the default. The browser's Accept-Language is not followed: Vietnamese comes first.

- `gettext` (`_`), `ngettext`: translate into the current language; `N_` marks a string for extraction where it
  is defined as data, to be translated where it is shown (`_(text)`).
- `using("vi")`: a block in one language, e.g. building the report from a page shown in English.
- `number`, `decimal`, `month_name`, `period_name`: numbers, months and reporting periods as the current
  language writes them (vi: 1.234,5 and "tháng 11/2026"; en: 1,234.5 and "November 2026").
- `Labels`: a code → label mapping whose labels are translated when read (the vocabularies' choices).
"""

from __future__ import annotations

from decimal import Decimal

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
# What the switch offers, each in its own language.
NAMES = {"vi": "Tiếng Việt", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("mediaplan_language", default=DEFAULT)


def language(value: str | None) -> str | None:
    """A supported language code from user input ("en", "vi"), or None."""
    value = (value or "").strip().lower()
    return value if value in LANGUAGES else None


def current() -> str:
    return _current.get()


def set_current(lang: str):
    """Set the language of the running context (a request); returns the token to reset it with."""
    return _current.set(language(lang) or DEFAULT)


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Run a block in one language, whatever the request's: the report and e-mails are always Vietnamese."""
    token = set_current(lang)
    try:
        yield
    finally:
        _current.reset(token)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The catalogue of a language, from its .po (fuzzy entries are not used); Vietnamese has none."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = po_path(lang)
    if lang == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(message: str) -> str:
    """`message` (a Vietnamese msgid) in the current language."""
    if not message:
        return message
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(current()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction only: it is translated where it is shown, with `_(text)`."""
    return message


class Labels(Mapping):
    """A code → Vietnamese label mapping whose labels read in the current language (dict order kept)."""

    def __init__(self, labels: Mapping[str, str]):
        self._labels = dict(labels)

    def __getitem__(self, code: str) -> str:
        return gettext(self._labels[code])

    def __iter__(self):
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


# --- numbers, months, periods -------------------------------------------------------------------------------


def number(value: float | int | None, decimals: int = 0) -> str:
    """1234 → "1.234" (vi) or "1,234" (en); number(1234.5, 1) → "1.234,5" / "1,234.5"; None → "—".

    Up to `decimals` places, a trailing zero dropped (as `reports.narrative.vi_number`, which the report keeps)."""
    from babel.numbers import format_decimal

    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(value, decimals) if decimals else round(value), format=pattern, locale=current())


def decimal(value: float | None, places: int = 2) -> str:
    """A fraction with exactly `places` places: 0,87 (vi) or 0.87 (en); "—" for None."""
    from babel.numbers import format_decimal

    if value is None:
        return "—"
    # Rounded as Python rounds the float (0.885 → 0,89, as before), then only the separators are the locale's:
    # Babel would round the exact decimal "0.885" half-even to 0,88, and a figure would change with the language.
    rounded = Decimal(f"{value:.{places}f}")
    return format_decimal(rounded, format="0." + "0" * places if places else "0", locale=current(),
                          decimal_quantization=True)


def percent(value: float | None, decimals: int = 1) -> str:
    """A share already multiplied by 100: 45.5 → "45,5%" / "45.5%"."""
    return "—" if value is None else f"{number(value, decimals)}%"


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def month_name(period: str | date) -> str:
    """A month as the page's language names it: "tháng 11/2026" / "November 2026" (from "2026-11" or a date)."""
    if isinstance(period, date):
        year, month = period.year, period.month
    else:
        year, month = (int(part) for part in str(period).split("-")[:2])
    if current() == "en":
        return f"{_MONTHS_EN[month - 1]} {year}"
    return f"tháng {month}/{year}"


def period_name(period) -> str:
    """A reporting period (a `periods.Period` or its key) in the page's language: "quý IV năm 2026" / "Q4 2026"."""
    from mediaplan.periods import Period, PeriodError, parse_period

    if not isinstance(period, Period):
        try:
            period = parse_period(str(period))
        except PeriodError:
            return str(period)
    if current() != "en":
        return period.label
    year, month = (int(part) for part in period.first.split("-"))
    kind = period.kind
    if kind in ("since-start", "span"):
        return f"from {month_name(period.first)} to {month_name(period.last)}"
    if kind == "month":
        return month_name(period.first)
    if kind == "quarter":
        return f"Q{(month - 1) // 3 + 1} {year}"
    if kind == "half":
        return f"{'first' if month == 1 else 'second'} half of {year}"
    return str(year)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
