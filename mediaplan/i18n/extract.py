"""The strings that pages show but that no `_()` call spells out: the vocabularies' labels and a few label tables
kept as data by modules that stay Vietnamese (the report, the classifier). `babel.cfg` maps this file to `labels`,
so `make messages` puts them in the catalogue; the pages translate them where they show them (`vocab.label`,
`_(text)`), and tests/test_i18n.py checks that each one has its English.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

# module:attribute of each code → Vietnamese label table shown on a page (besides every vocabulary of vocab.py).
SHOWN = (
    "mediaplan.nlp.decided:LABELS",  # who decided an item's education flag (item page, review queue)
    "mediaplan.nlp.decided:KIND_LABELS",  # full article / short item
    "mediaplan.reports.narrative:TITLES",  # the report's narrative sections (report version page)
    "mediaplan.auth.roles:REFUSALS",  # a role without the ability (403 pages and answers)
)


def shown_labels() -> Iterator[tuple[str, str]]:
    """(where, Vietnamese label) of every vocabulary label and every table of SHOWN."""
    from mediaplan import vocab

    for name, value in vars(vocab).items():
        if isinstance(value, type) and issubclass(value, vocab.Vocabulary) and value is not vocab.Vocabulary:
            for member in value:
                yield f"mediaplan.vocab:{name}.{member.name}", member.label
    for where in SHOWN:
        module, attribute = where.split(":")
        for text in getattr(importlib.import_module(module), attribute).values():
            yield where, text


def labels(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """A Babel extractor (babel.cfg): one message per distinct label, its origin as the translator's comment."""
    seen: dict[str, list[str]] = {}
    for where, text in shown_labels():
        if text and text.strip():
            seen.setdefault(text, []).append(where)
    for text, places in seen.items():
        yield 1, "gettext", text, [", ".join(places[:3])]
