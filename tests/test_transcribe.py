"""Speech-to-text for broadcasts without captions (`crawler.transcribe`), through the documented interface: the
media file is fetched over real HTTP from a local server and handed to the configured transcriber as a local file;
the words join the body and the item waits for classify; a missing or oversized file is a note and the run goes
on; captions already kept, articles and done episodes are never touched (a re-run is idempotent); the CLI names
an unset or broken transcriber in one line."""

import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import run_cli
from mediaplan.crawler.transcribe import Transcript, TranscribeError, load_transcriber, transcribe_items
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, Outlet

SPOKEN = "Hôm nay chúng tôi trò chuyện với các thầy cô giáo vùng cao về Nghị quyết 71."
# What the local server holds: a "recording" whose bytes carry what is said in it, after a header, so the test's
# transcriber can only answer right if it was handed the very file that was downloaded.
FILES = {"/media/toa-dam.mp3": b"ID3\x03fake-audio\n" + SPOKEN.encode(), "/media/im-lang.mp3": b"ID3\x03fake-audio\n"}


class Heard:
    """A stand-in for a model on disk: reads the words after the header of the file it is given."""

    name = "thử-nghiệm"

    def __init__(self):
        self.files: list[Path] = []

    def transcribe(self, media: Path, language: str):
        self.files.append(media)
        said = media.read_bytes().split(b"\n", 1)[1].decode()
        return Transcript(said, language) if said else None


def factory():
    return Heard()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = FILES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def media_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def store(kind: str, media: list[str], **extra) -> int:
    with session_scope() as session:
        outlet = session.scalar(select(Outlet).where(Outlet.key == "baoquangngai"))
        url = f"https://baoquangngai.vn/multimedia/{uuid.uuid4().hex}.htm"
        item = Item(outlet_id=outlet.id, kind=kind, url=url, canonical_url=url, content_hash=uuid.uuid4().hex,
                    title="Tọa đàm: Người thầy thời chuyển đổi số", sapo="", body="Chương trình tọa đàm.",
                    published_at=datetime(2026, 11, 19, 13, tzinfo=timezone.utc), channel="radio",
                    extra={"media": media, **extra}, classified_at=datetime(2026, 11, 19, 14, tzinfo=timezone.utc))
        session.add(item)
        session.flush()
        return item.id


def get(item_id: int) -> Item:
    with session_scope() as session:
        return session.get(Item, item_id)


def test_the_words_join_the_body_and_the_item_waits_for_classify(db, media_server):
    talk = store("broadcast", [f"{media_server}/media/toa-dam.mp3"])
    silent = store("broadcast", [f"{media_server}/media/im-lang.mp3"])
    gone = store("broadcast", [f"{media_server}/media/khong-con.mp3"])
    captioned = store("broadcast", [f"{media_server}/media/toa-dam.mp3"], transcript="https://baoquangngai.vn/a.vtt")
    article = store("article", [f"{media_server}/media/toa-dam.mp3"])
    no_media = store("broadcast", ["javascript:alert(1)"])
    heard = Heard()
    with session_scope() as session:
        done = transcribe_items(session, heard)
    assert (done["transcribed"], done["silent"], done["failed"], done["no_media"]) == (1, 1, 1, 1)
    assert done["notes"] == [f"#{gone}: HTTPStatusError: Client error '404 Not Found' for url "
                             f"'{media_server}/media/khong-con.mp3'"]
    item = get(talk)
    assert item.body == f"Chương trình tọa đàm.\n\n{SPOKEN}" and item.classified_at is None
    assert item.extra["transcript"] == "speech-to-text:thử-nghiệm" and item.extra["transcript_lang"] == "vi"
    assert get(silent).extra["transcript_error"] == "không nghe được lời nói"
    assert "404" in get(gone).extra["transcript_error"]
    for untouched in (captioned, article):
        assert get(untouched).body == "Chương trình tọa đàm." and get(untouched).classified_at is not None
    assert all(not f.exists() for f in heard.files) and len(heard.files) == 2  # temporary files, removed after
    with session_scope() as session:  # again: nothing left to do, the failed ones wait for --retry
        assert transcribe_items(session, heard)["transcribed"] == 0
    assert get(talk).body == f"Chương trình tọa đàm.\n\n{SPOKEN}"
    FILES["/media/khong-con.mp3"] = b"ID3\x03fake-audio\n" + "Bản tin giáo dục.".encode()
    try:
        with session_scope() as session:
            again = transcribe_items(session, heard, retry=True)
    finally:
        del FILES["/media/khong-con.mp3"]
    assert again["transcribed"] == 1 and "transcript_error" not in get(gone).extra
    assert get(gone).body.endswith("Bản tin giáo dục.")


def test_a_file_over_the_limit_is_a_note_and_not_kept(db, media_server):
    big = store("broadcast", [f"{media_server}/media/toa-dam.mp3"])
    with session_scope() as session:
        done = transcribe_items(session, Heard(), max_bytes=10)
    assert done["failed"] == 1 and "quá giới hạn 10" in get(big).extra["transcript_error"]


def test_the_transcriber_is_named_by_the_setting_and_refused_in_one_line(sqlite_db, media_server, tmp_path):
    with pytest.raises(TranscribeError, match="chưa cấu hình MEDIAPLAN_TRANSCRIBER"):
        load_transcriber(None)
    with pytest.raises(TranscribeError, match="không nạp được"):
        load_transcriber("khong_co_goi:ham")
    with pytest.raises(TranscribeError, match="không khởi động được"):
        load_transcriber("json:dumps")  # a factory that fails (a model not on disk would, the same way)
    with pytest.raises(TranscribeError, match="không trả về bộ chuyển"):
        load_transcriber("builtins:object")  # made, but it has no name and no transcribe()
    store("broadcast", [f"{media_server}/media/toa-dam.mp3"])
    tests = str(Path(__file__).parent)
    done = run_cli("items", "transcribe", env={"MEDIAPLAN_TRANSCRIBER": "test_transcribe:factory", "PYTHONPATH": tests})
    assert "Đã chuyển thành chữ 1 chương trình (thử-nghiệm)" in done.stdout
    unset = run_cli("items", "transcribe", check=False, unset="MEDIAPLAN_TRANSCRIBER")
    lines = [line for line in (unset.stdout + unset.stderr).splitlines() if line.strip()]
    assert unset.returncode == 1 and len(lines) == 1 and "MEDIAPLAN_TRANSCRIBER" in lines[0]
