"""baoquangngai.vn: some article pages ship an empty #content and fill it from an inline script.

Two forms are seen (field notes): a jQuery call, `$('#content').html(`…`)` with a
template literal or a JSON string, and a variable, `outputData = "…"`. The
selector body is used when it has real text; otherwise the injected HTML is.
"""

from __future__ import annotations

import json
import re

from parsel import Selector

from mediaplan.crawler.extract import Body, Extractor, Page, paragraphs

_TEMPLATE_BODY = re.compile(r"""\$\(\s*['"]#content['"]\s*\)\s*\.html\(\s*`((?:\\.|[^`\\])*)`\s*\)""", re.S)
_QUOTED_BODY = re.compile(r"""\$\(\s*['"]#content['"]\s*\)\s*\.html\(\s*("(?:\\.|[^"\\])*")\s*\)""", re.S)
_OUTPUT_DATA = re.compile(r"""outputData\s*=\s*("(?:\\.|[^"\\])*")""", re.S)
SHORT = 200  # characters: less than this in #content is a placeholder, not the story


def script_body(html: str) -> str | None:
    """The article HTML that an inline script injects into #content, if the page does that."""
    if m := _TEMPLATE_BODY.search(html):
        return re.sub(r"\\([`\\$])", r"\1", m.group(1))
    for pattern in (_OUTPUT_DATA, _QUOTED_BODY):
        if m := pattern.search(html):
            try:
                return json.loads(m.group(1))
            except json.JSONDecodeError:
                continue
    return None


class BaoQuangNgai(Extractor):
    def body(self, page: Page) -> Body:
        selected = self.selected_body(page)
        if (selected is None or len(selected.text) < SHORT) and (injected := script_body(page.html)):
            if text := paragraphs(Selector(text=f"<div>{injected}</div>")):
                return Body(text, "script")
        return super().body(page)
