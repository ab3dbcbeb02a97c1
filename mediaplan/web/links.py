"""Links from crawled content in the pages: the `safe_url` filter, the one way an item's URL becomes an href.

The store keeps only http(s) links (`crawler.store.http_url`), but rows written before that rule, by hand or by
SQL, may still hold `javascript:` or `data:`; escaping does not help there, since a well-escaped
`href="javascript:…"` still runs when clicked. So templates never put a crawled URL into `href` directly:

    {% set href = item.url|safe_url %}
    {% if href %}<a href="{{ href }}" rel="noopener noreferrer">…</a>{% else %}{{ item.url }}{% endif %}

The filter gives the address back when it is http(s) with a host, else "" (no link: the page shows the text).
`register(env)` adds it to a Jinja environment (the web app's, in `web.deps`).
"""

from __future__ import annotations

from jinja2 import Environment

from mediaplan.crawler.store import http_url


def safe_url(url: str | None) -> str:
    """The URL when a browser may follow it from our pages (http or https, with a host), else ""."""
    return http_url(url) or ""


def register(env: Environment) -> None:
    env.filters["safe_url"] = safe_url
