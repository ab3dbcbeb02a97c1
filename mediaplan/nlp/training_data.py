"""The real labelled news in ../shared/data/training/, read for the `education` flag (never copied into the repo).

Where it is read: `MEDIAPLAN_TRAINING_DIR` (setting `training_dir`) when set, else `../shared/data/training/`
beside the repository (`training_dir()`). Tests point the setting at `tests/fixtures/training/`, a few dozen
hand-written lines in the same format.

Three files (see ../shared/data/README.md): VnExpress full articles (title, lead, body), VnExpress titles
(title only) and DANeS, a multi-outlet set of short items with noisy human labels. Each row becomes one
`Example` with the lead split from the body, and a *group* key: the article's URL (or, for a title that is
also the title of a full article, that article's URL), so a split by group never puts one article on both
sides. Folds are fixed by a hash of the group key: 0–2 train, 3 validation, 4 test.

VnExpress files its general-knowledge quizzes ("Tỉnh nào ít mưa nhất cả nước?", sub-section `trac-nghiem`)
under giao-duc; by ../shared/docs/themes.md they are not education news, so the whole sub-section is
left out of training and of the figures (`quiz=True`; counted, never fitted).

Editors' decisions from the review queue (`services.review.editor_labels`) become examples too
(`editor_example`, source `editors`, each item its own group): `nlp train` learns from them beside these files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from mediaplan.nlp.normalize import normalize

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TRAINING = DATA / "training"
SHORT_WORDS = 40  # a short item: the headline and the first 40 words after it
FOLDS = 5
VALIDATION_FOLD, TEST_FOLD = 3, 4
EDITORS = "editors"  # the source of examples taken from editors' decisions
_SPACES = re.compile(r"\s+")


@dataclass
class Example:
    id: str
    source: str  # vnexpress-sections | vnexpress-titles | danes-multi-outlet | editors
    title: str
    sapo: str
    body: str
    education: bool
    group: str
    subsection: str | None = None
    themes: dict[str, bool] = field(default_factory=dict)  # editors' items: the themes decided (code → kept)

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


def training_dir() -> Path:
    """Where the labelled news is: the `training_dir` setting (MEDIAPLAN_TRAINING_DIR), else ../shared/data/training/."""
    from mediaplan.settings import get_settings

    return get_settings().training_dir or TRAINING


def available(data: Path | None = None) -> bool:
    data = data or training_dir()
    return data.is_dir() and any(data.glob("*.jsonl"))


class MissingData(ValueError):
    """The labelled news is not there: the message names the folder, in Vietnamese, for one line of the CLI."""


def require(data: Path | None = None) -> Path:
    """The training folder, or MissingData naming it."""
    data = data or training_dir()
    if not available(data):
        raise MissingData(f"không có dữ liệu huấn luyện ở {data} (cần thư mục ../shared/data/training/ "
                          "hoặc đặt MEDIAPLAN_TRAINING_DIR)")
    return data


def _title_key(title: str) -> str:
    return _SPACES.sub(" ", normalize(title).lower()).strip()


def load(data: Path | None = None) -> list[Example]:
    data = data or training_dir()
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


def editor_example(row: dict) -> Example:
    """One item an editor decided on (a row of `services.review.editor_labels`) as an example: its flag
    (`education`, False where the editor decided only themes) and the themes decided."""
    return Example(row["id"], EDITORS, row["title"] or "", row.get("sapo") or "", row.get("body") or "",
                   bool(row.get("education")), row["id"], themes=dict(row.get("themes") or {}))
