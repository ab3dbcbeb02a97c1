"""The real labelled news in ../shared/data/training/, read for the `education` flag (never copied into the repo).

Three files (see ../shared/data/README.md): VnExpress full articles (title, lead, body), VnExpress titles
(title only) and DANeS, a multi-outlet set of short items with noisy human labels. Each row becomes one
`Example` with the lead split from the body, and a *group* key: the article's URL (or, for a title that is
also the title of a full article, that article's URL), so a split by group never puts one article on both
sides. Folds are fixed by a hash of the group key: 0–2 train, 3 validation, 4 test.

VnExpress files its general-knowledge quizzes ("Tỉnh nào ít mưa nhất cả nước?", sub-section `trac-nghiem`)
under giao-duc; by ../shared/docs/themes.md they are not education news, so the whole sub-section is
left out of training and of the figures (`quiz=True`; counted, never fitted).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mediaplan.nlp.normalize import normalize

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TRAINING = DATA / "training"
SHORT_WORDS = 40  # a short item: the headline and the first 40 words after it
FOLDS = 5
VALIDATION_FOLD, TEST_FOLD = 3, 4
_SPACES = re.compile(r"\s+")


@dataclass
class Example:
    id: str
    source: str  # vnexpress-sections | vnexpress-titles | danes-multi-outlet
    title: str
    sapo: str
    body: str
    education: bool
    group: str
    subsection: str | None = None

    @property
    def quiz(self) -> bool:
        return self.subsection == "trac-nghiem"

    @property
    def fold(self) -> int:
        return int(hashlib.md5(self.group.encode()).hexdigest(), 16) % FOLDS

    def full(self) -> tuple[str, str, str]:
        return self.title, self.sapo, self.body

    def short(self) -> tuple[str, str, str]:
        """Headline + first 40 words (of lead and body), as a feed summary or a social post: (title, sapo, "")."""
        return self.title, short_lead(self.sapo, self.body), ""


def short_lead(sapo: str, body: str = "", words: int = SHORT_WORDS) -> str:
    return " ".join(_SPACES.split(f"{sapo} {body}".strip())[:words])


def text_of(parts: tuple[str, str, str]) -> str:
    return normalize("\n".join(p for p in parts if p))


def available(data: Path = TRAINING) -> bool:
    return data.is_dir() and any(data.glob("*.jsonl"))


def _title_key(title: str) -> str:
    return _SPACES.sub(" ", normalize(title).lower()).strip()


def load(data: Path = TRAINING) -> list[Example]:
    rows: dict[str, list[dict]] = {}
    for path in sorted(data.glob("*.jsonl")):
        rows[path.stem] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: list[Example] = []
    article_of_title: dict[str, str] = {}
    for row in rows.get("vnexpress-sections", []):
        lead, _, body = (row.get("text") or "").partition("\n")
        group = row.get("url") or row["id"]
        article_of_title.setdefault(_title_key(row["title"]), group)
        out.append(Example(row["id"], "vnexpress-sections", row["title"], lead, body, bool(row["education"]), group,
                           row.get("subsection")))
    for row in rows.get("vnexpress-titles", []):
        group = article_of_title.get(_title_key(row["title"]), "title:" + _title_key(row["title"]))
        out.append(Example(row["id"], "vnexpress-titles", row["title"], "", "", bool(row["education"]), group))
    for row in rows.get("danes-multi-outlet", []):
        out.append(Example(row["id"], "danes-multi-outlet", row["title"], row.get("text") or "", "",
                           bool(row["education"]), row.get("url") or row["id"]))
    return out
