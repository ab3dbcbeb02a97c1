"""Decode HTML from Vietnamese sites that still serve windows-1258 or mislabel their charset.

Order of trust: a BOM; then bytes that are valid UTF-8 (a page whose header says
ISO-8859-1 but whose bytes are UTF-8 is mislabelled, and valid multi-byte UTF-8
almost never happens by accident); then the declared charset (header or meta);
then windows-1258, the legacy Vietnamese code page. Tone marks that windows-1258
keeps as combining characters are composed by `normalize` downstream.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

LEGACY = "cp1258"


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Returns (text, encoding used)."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        return body[len(bom):].decode(bom_encoding, errors="replace"), bom_encoding
    if any(b >= 0x80 for b in body[:200_000]):
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    else:
        return body.decode("ascii"), "ascii"
    declared = http_content_type_encoding(content_type or "") or html_body_declared_encoding(body)
    declared = resolve_encoding(declared) if declared else None
    if declared and declared not in ("utf-8", "utf8"):
        try:
            codecs.lookup(declared)
            return body.decode(declared, errors="replace"), declared
        except LookupError:
            pass
    return body.decode(LEGACY, errors="replace"), LEGACY


def looks_html(body: bytes, content_type: str = "") -> bool:
    """Whether an answer is an HTML page (by its Content-Type when given, else by its first bytes): where a feed,
    a sitemap or a caption file was expected, that is an error page, a login wall or a moved address."""
    head = body[:1024].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))
