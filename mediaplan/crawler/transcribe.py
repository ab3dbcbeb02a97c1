"""Speech-to-text for broadcasts that publish no captions: an optional extra behind one small interface.

The crawl keeps an episode's captions or transcript when its page links them (`SourceSpider.parse_transcript`).
For the others, `transcribe_items` hands each episode's media file to a transcriber and adds the words to the
item, so that classification reads what was said, not only the episode's title and description.

**The interface.** A transcriber is any object with a `name` (kept on each item it transcribed) and
`transcribe(media: Path, language: str) -> Transcript | None`: a local file in, text and its language out (None:
no speech). The setting MEDIAPLAN_TRANSCRIBER names a factory, "package.module:callable", called once with no
argument. mediaplan ships no model and never downloads one at run time: the factory loads a model already on
disk (faster-whisper, whisper.cpp, Vosk…) and fails at once, in one line, if it is not there. The file is ours to
fetch (http(s) only, at most MEDIAPLAN_TRANSCRIBE_MAX_BYTES, into a temporary file removed after), so a
transcriber never does HTTP.

**What it writes.** The text joins the body below the episode's description; `extra.transcript` is
"speech-to-text:<name>", `extra.transcript_lang` the language; `classified_at` is cleared, so the next classify
reads the words. An episode that fails (a 404, a file too large, the model's own error) gets
`extra.transcript_error` with the reason, the run goes on, and it is not tried again until `retry`. An episode
already transcribed, or with captions, is never picked: a re-run is idempotent.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.crawler.store import http_url
from mediaplan.db.schema import Item, utcnow
from mediaplan.vocab import ItemKind

log = logging.getLogger(__name__)
BATCH = 50


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str = "vi"


class Transcriber(Protocol):
    name: str

    def transcribe(self, media: Path, language: str) -> Transcript | None: ...


class TranscribeError(ValueError):
    """No transcriber can be used (unset, not importable, not one): one Vietnamese line for the CLI."""


def load_transcriber(spec: str | None) -> Transcriber:
    """The transcriber the setting names ("package.module:callable")."""
    if not spec:
        raise TranscribeError("chưa cấu hình MEDIAPLAN_TRANSCRIBER (dạng gói.mô_đun:hàm trả về bộ chuyển giọng nói "
                              "thành chữ có sẵn mô hình trên máy); xem mediaplan/crawler/transcribe.py")
    module, _, name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name or "transcriber")
    except (ImportError, AttributeError) as exc:
        raise TranscribeError(f"không nạp được MEDIAPLAN_TRANSCRIBER={spec}: {exc}") from None
    try:
        made = factory()
    except Exception as exc:  # noqa: BLE001 - the model's own failure (not on disk, …), said in one line
        raise TranscribeError(f"MEDIAPLAN_TRANSCRIBER={spec} không khởi động được: {exc}") from None
    if not callable(getattr(made, "transcribe", None)) or not getattr(made, "name", None):
        raise TranscribeError(f"MEDIAPLAN_TRANSCRIBER={spec} không trả về bộ chuyển có name và "
                              "transcribe(media, language)")
    return made


def _download(client: httpx.Client, url: str, folder: Path, limit: int) -> Path:
    """The media file into `folder`, refusing one larger than `limit` before or while it streams."""
    target = folder / (Path(urlsplit(url).path).name or "media")
    with client.stream("GET", url) as response:
        response.raise_for_status()
        size = int(response.headers.get("Content-Length") or 0)
        if size > limit:
            raise ValueError(f"tệp {size:,} byte, quá giới hạn {limit:,}")
        got = 0
        with open(target, "wb") as out:
            for chunk in response.iter_bytes():
                got += len(chunk)
                if got > limit:
                    raise ValueError(f"tệp quá giới hạn {limit:,} byte")
                out.write(chunk)
    return target


def transcribe_items(session: Session, transcriber: Transcriber, *, limit: int | None = None, retry: bool = False,
                     max_bytes: int = 500 * 1024 * 1024, timeout: float = 60.0) -> dict:
    """Transcribe what needs it; commits after each episode (a long run keeps what it did). Returns counts and the
    failures' notes ("#id: reason")."""
    from mediaplan.settings import get_settings

    # Broadcasts with no transcript yet (and no failure, unless retried), chosen in SQL: JSON paths both databases read
    waiting = [Item.kind == ItemKind.BROADCAST, Item.extra["transcript"].as_string().is_(None)]
    if not retry:
        waiting.append(Item.extra["transcript_error"].as_string().is_(None))
    done = {"transcribed": 0, "silent": 0, "failed": 0, "no_media": 0, "notes": []}
    after, seen = 0, 0
    headers = {"User-Agent": get_settings().user_agent.encode()}  # the crawler's own (UTF-8: the name is Vietnamese)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client, \
            tempfile.TemporaryDirectory(prefix="mediaplan-stt-") as tmp:
        while limit is None or seen < limit:
            batch = session.scalars(select(Item).where(*waiting, Item.id > after).order_by(Item.id).limit(BATCH)).all()
            if not batch:
                break
            after = batch[-1].id
            for item in batch:
                if limit is not None and seen >= limit:
                    break
                seen += 1
                extra = dict(item.extra or {})
                media = next((m for m in extra.get("media") or [] if http_url(m)), None)
                if media is None:
                    done["no_media"] += 1
                    continue
                try:
                    path = _download(client, media, Path(tmp), max_bytes)
                    try:
                        heard = transcriber.transcribe(path, item.language or "vi")
                    finally:
                        path.unlink(missing_ok=True)
                except Exception as exc:  # noqa: BLE001 - a 404, a timeout, a file too large, the model's error
                    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip(": ")
                    extra["transcript_error"] = reason[:300]
                    item.extra = extra
                    session.commit()
                    done["failed"] += 1
                    done["notes"].append(f"#{item.id}: {reason}")
                    log.warning("transcribe #%s %s: %s", item.id, media, reason)
                    continue
                extra.pop("transcript_error", None)
                if heard is None or not heard.text.strip():
                    extra["transcript_error"] = "không nghe được lời nói"
                    done["silent"] += 1
                else:
                    item.body = f"{item.body}\n\n{heard.text.strip()}".strip()
                    extra["transcript"] = f"speech-to-text:{transcriber.name}"
                    extra["transcript_lang"] = heard.language
                    extra["transcribed_at"] = utcnow().isoformat(timespec="seconds")
                    item.classified_at = None  # the next classify reads the words
                    done["transcribed"] += 1
                item.extra = extra
                session.commit()
    return done
