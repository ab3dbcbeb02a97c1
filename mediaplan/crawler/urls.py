"""One identity per story: canonical URLs.

courlan strips tracking parameters and normalises the rest; on top of that the
`www.` and `m.` hosts of a site and http/https are treated as the same site, so a
story shared from the mobile site is not stored twice.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

import courlan

_HOST_PREFIXES = ("www.", "m.", "mobile.")
# Hosts where www. is part of the identity of a different service (not a mirror).
_KEEP_HOST = {"www.youtube.com"}


def site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if host in _KEEP_HOST:
        return host
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            return host[len(prefix):]
    return host


def canonical_url(url: str, declared: str | None = None) -> str:
    """The key an item is stored under; `declared` is the page's link[rel=canonical], if any."""
    if declared:
        declared = urljoin(url, declared.strip())
        # A canonical link pointing to another site is a syndication mark, not our identity.
        if site_host(declared) == site_host(url):
            url = declared
    normal = courlan.normalize_url(url, strict=False) or url
    parts = urlsplit(normal)
    host = site_host(normal)
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    scheme = parts.scheme if parts.port and parts.port not in (80, 443) else "https"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))
