"""Extraction profiles, one per publisher's CMS (as Fundus does), kept as data with dated versions.

A profile (`profiles/<key>.yaml`) says where a CMS puts its title, sapo, body,
author, date and category. It is tried first; JSON-LD/OpenGraph and trafilatura
are the fallbacks (`extract.Extractor`). Outlets name their profile in the plan's
`outlets.yaml`, and several outlets on one CMS share one profile.

Dated versions. A redesign adds a version instead of editing selectors in place,
so that the old version's fixture keeps passing:

    key: example
    versions:
      - title: h1.old            # no valid_from: valid from the beginning
        body: '#content'
      - valid_from: 2026-03-01   # the redesign
        title: h1.title-detail
        body: article.detail

A file without `versions:` is one version valid from the beginning. Each version
is complete (nothing is inherited from another), so it reads on its own.

Which version extracts a page: the newest whose `valid_from` is on or before the
day the page was *fetched* (local time). A redesign re-renders the old articles
too, so the markup of a page depends on when it was served, not on when its
story was written; the page's own date is unknown until it has been extracted.
An old article fetched after a redesign is therefore read with the new version,
and raw pages re-extracted later must be given their original fetch time. With
no fetch time (tools, benchmarks), the newest version is used.

Unusual markup. A version may name a Python class (`extractor: ClassName`) kept
beside the YAML in `profiles/<key>.py`; it subclasses `extract.Extractor` and
overrides single steps (title, sapo, body, author, published_at…), reading its
selectors from the version like the generic steps do.
"""

from __future__ import annotations

import importlib.util
import re
import datetime as dt
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

HERE = Path(__file__).parent
INITIAL = "initial"  # the name of a version valid from the beginning (its fixture folder)


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file."""


class Version(BaseModel):
    """One version of a profile: the CSS selectors of one design of the site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: dt.date | None = None
    extractor: str | None = None  # a class in profiles/<key>.py overriding single steps
    article_url_patterns: tuple[str, ...] = ()
    article: str | None = None
    title: str | None = None
    sapo: str | None = None
    body: str | None = None
    author: str | None = None
    date: str | None = None
    category: str | None = None
    tags: str | None = None

    @property
    def name(self) -> str:
        """How fixtures and messages call this version: its valid_from day, or `initial`."""
        return self.valid_from.isoformat() if self.valid_from else INITIAL

    def is_article_url(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.article_url_patterns)


@dataclass(frozen=True)
class Profile:
    key: str
    versions: tuple[Version, ...]  # oldest first
    module: ModuleType | None = None  # profiles/<key>.py, when the profile has one

    def version_at(self, fetched_at: dt.datetime | None) -> Version:
        """The newest version valid on the (local) day the page was fetched; the newest of all without a
        fetch time, and the oldest for a page fetched before every valid_from."""
        if fetched_at is None:
            return self.versions[-1]
        from mediaplan.localtime import to_local

        day = to_local(fetched_at).date()
        valid = [v for v in self.versions if v.valid_from is None or v.valid_from <= day]
        return valid[-1] if valid else self.versions[0]

    def extractor(self, version: Version):
        """The extractor class of a version: its own class from profiles/<key>.py, or the generic one."""
        from mediaplan.crawler.extract import Extractor

        return getattr(self.module, version.extractor) if version.extractor else Extractor

    def is_article_url(self, path: str) -> bool:
        """Listing pages are read as they are now, so the newest version's URL patterns apply."""
        return self.versions[-1].is_article_url(path)


GENERIC = Profile("generic", (Version(article="article, main, [itemprop=articleBody]", title="h1"),))


def available(folder: Path = HERE) -> list[str]:
    """The keys of the profiles in `folder`, as an outlet names them in outlets.yaml."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _module(path: Path) -> ModuleType:
    """Import profiles/<key>.py by path (profile keys may hold hyphens), once per file."""
    name = f"{__name__}.{path.stem.replace('-', '_')}"
    loaded = sys.modules.get(name)
    if loaded is not None and Path(loaded.__file__).resolve() == path.resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_profile(path: Path) -> Profile:
    """Read and check one profile file (and its class file); errors name the file."""
    from mediaplan.crawler.extract import Extractor

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    key = data.pop("key", path.stem)
    if key != path.stem:
        raise ProfileError(f"{path}: key {key!r} khác tên tệp {path.stem!r}")
    raw_versions = data.pop("versions", None)
    if raw_versions is None:
        raw_versions = [data]
    elif data:
        raise ProfileError(f"{path}: khi có versions, mọi bộ chọn nằm trong từng phiên bản (thừa: {', '.join(data)})")
    try:
        versions = tuple(sorted((Version.model_validate(v) for v in raw_versions),
                                key=lambda v: v.valid_from or dt.date.min))
    except ValidationError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    if not versions:
        raise ProfileError(f"{path}: không có phiên bản nào")
    names = [v.name for v in versions]
    if len(set(names)) != len(names):
        raise ProfileError(f"{path}: mỗi phiên bản cần một valid_from riêng (chỉ phiên bản đầu được bỏ trống)")
    code = path.with_suffix(".py")
    module = _module(code) if code.exists() else None
    for v in versions:
        if not v.extractor:
            continue
        cls = getattr(module, v.extractor, None) if module else None
        if not (isinstance(cls, type) and issubclass(cls, Extractor)):
            raise ProfileError(f"{path}: phiên bản {v.name}: không có lớp {v.extractor} (kế thừa Extractor) trong {code}")
    return Profile(key, versions, module)


@lru_cache
def get_profile(key: str | None) -> Profile:
    if not key:
        return GENERIC
    path = HERE / f"{key}.yaml"
    if not path.exists():
        raise KeyError(f"không có hồ sơ trích xuất {key!r} trong {HERE}")
    return load_profile(path)
