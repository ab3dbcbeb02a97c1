"""The architecture page is a map a newcomer follows: every path and `module.function` it names must exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "docs" / "ARCHITECTURE.md", ROOT / "docs" / "adding-an-outlet.md"]
_CODE = re.compile(r"`([^`\s]+)`")
_PATH = re.compile(r"^[\w.-]+(/[\w.<>*-]*)+$|^[\w-]+\.(py|yaml|md|toml|json|html|js|css)$")
_DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+(\(\))?$")
_NOT_CODE = {".env"}
_GENERATED = ("var/", "out/")  # written by runs, not in the repository; "../" is outside it (../shared/)
_OURS = {"mediaplan", "crawler", "nlp", "calendar", "reports", "web", "cli", "services", "db", "plans", "snapshot",
         "vocab", "localtime", "periods", "tabular", "settings", "scheduler", "demo", "bench", "smtp", "mailsink"}


def _names(doc: Path) -> tuple[set[str], set[str]]:
    paths, dotted = set(), set()
    for token in _CODE.findall(doc.read_text(encoding="utf-8")):
        token = token.rstrip(".,:;")
        if token in _NOT_CODE or token.startswith(("http", "-", "/", "$", "..", *_GENERATED)) or "=" in token:
            continue
        if _PATH.match(token):
            paths.add(token)
        elif _DOTTED.match(token) and token.split(".")[0] in _OURS:
            dotted.add(token.removesuffix("()"))
    return paths, dotted


def _path_exists(token: str) -> bool:
    if "*" in token:  # a glob: something must match it
        return any(any(base.glob(token)) for base in (ROOT, ROOT / "mediaplan"))
    if "<" in token:  # a pattern such as profiles/<profile>.yaml: its folder must exist
        token = token.split("<")[0].rstrip("/")
    if "/" not in token:  # a bare file name: somewhere in the repository
        return any(ROOT.glob(f"mediaplan/**/{token}")) or any(ROOT.glob(f"tests/**/{token}")) or (ROOT / token).exists()
    return any((base / token).exists() for base in (ROOT, ROOT / "mediaplan", ROOT / "tests"))


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] != "mediaplan":
        parts = ["mediaplan", *parts]
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("doc", [d for d in DOCS if d.exists()], ids=lambda d: d.name)
def test_every_name_on_the_page_exists(doc):
    paths, dotted = _names(doc)
    assert len(paths) + len(dotted) > 10, "the page should name the code it describes"
    assert sorted(p for p in paths if not _path_exists(p)) == []
    assert sorted(d for d in dotted if not _resolves(d)) == []
