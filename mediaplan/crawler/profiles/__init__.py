"""Per-outlet extraction profiles (one YAML spec per publisher, as Fundus does).

A profile says where an outlet puts its title, sapo, body, author, date and
category. It is tried first; JSON-LD/OpenGraph and trafilatura are the fallbacks.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

HERE = Path(__file__).parent


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    hosts: list[str] = Field(default_factory=list)
    article_url_patterns: list[str] = Field(default_factory=list)
    article: str | None = None
    title: str | None = None
    sapo: str | None = None
    body: str | None = None
    author: str | None = None
    date: str | None = None
    category: str | None = None
    tags: str | None = None
    inline_script: bool = False

    def is_article_url(self, path: str) -> bool:
        return any(re.search(p, path) for p in self.article_url_patterns)


GENERIC = Profile(key="generic", article="article, main, [itemprop=articleBody]", title="h1")


@lru_cache
def get_profile(key: str | None) -> Profile:
    if not key:
        return GENERIC
    path = HERE / f"{key}.yaml"
    if not path.exists():
        raise KeyError(f"no extraction profile {key!r} in {HERE}")
    return Profile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
