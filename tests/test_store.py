"""Storage rules: one item per canonical URL, per outlet and text; changes keep their history."""

from datetime import datetime, timezone

from sqlalchemy import func, select

from mediaplan.crawler.store import Fetched, upsert_item
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemRevision

WHEN = datetime(2026, 11, 3, 1, 0, tzinfo=timezone.utc)


def _save(source: str, url: str, title: str, body: str) -> str:
    with session_scope() as session:
        return upsert_item(session, Fetched(source_key=source, kind="article", url=url, canonical_url=url,
                                            title=title, body=body, published_at=WHEN))


def test_same_text_same_outlet_is_one_item_other_outlet_is_another(db):
    body = "Học sinh xã Sơn Hà được tặng 200 bộ sách giáo khoa."
    assert _save("baoquangngai-rss", "https://baoquangngai.vn/a-1.htm", "Tặng sách", body) == "new"
    assert _save("baoquangngai-sitemap", "https://baoquangngai.vn/tag/a-1.htm", "Tặng sách", body) == "unchanged"
    assert _save("xa-son-ha-tin-tuc", "https://sonha.quangngai.gov.vn/tin-tuc/a-1.html", "Tặng sách", body) == "new"
    with session_scope() as session:
        assert session.scalar(select(func.count(Item.id))) == 2


def test_changed_article_keeps_its_previous_version(db):
    url = "https://baoquangngai.vn/xa-hoi/202611/khai-giang-1a2b3c4/"
    assert _save("baoquangngai-rss", url, "Khai giang nam hoc moi", "Bản đầu.") == "new"
    assert _save("baoquangngai-rss", url, "Khai giang nam hoc moi", "Bản đầu.") == "unchanged"
    assert _save("baoquangngai-rss", url, "Khai giảng năm học mới", "Bản đã sửa, thêm số liệu.") == "updated"
    with session_scope() as session:
        item = session.scalar(select(Item))
        revisions = session.scalars(select(ItemRevision)).all()
    assert item.title == "Khai giảng năm học mới" and item.updated_at is not None and item.classified_at is None
    assert [r.title for r in revisions] == ["Khai giang nam hoc moi"]


def test_two_crawls_saving_the_same_validators_at_once_never_collide(db):
    """Issue 14: two crawls on a fresh database both found no fetch_state row and both inserted it; one crashed
    with a UNIQUE violation. Now each save is an upsert: repeated, in two threads, nothing fails, one row per URL."""
    import threading

    from mediaplan.crawler.store import save_validators
    from mediaplan.db.schema import FetchState

    urls = [f"https://baoquangngai.vn/rss/muc-{n}.rss" for n in range(40)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def crawl(tag: str) -> None:
        try:
            start.wait()
            for round_ in range(5):
                with session_scope() as session:
                    save_validators(session, {u: (f'"{tag}-{round_}"', None, 200) for u in urls})
        except BaseException as exc:  # noqa: BLE001 (the test reports whatever a writer raised)
            errors.append(exc)

    threads = [threading.Thread(target=crawl, args=(tag,)) for tag in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with session_scope() as session:
        rows = session.execute(select(FetchState.url, FetchState.etag)).all()
    assert sorted(u for u, _ in rows) == sorted(urls)
    assert {etag for _, etag in rows} <= {'"a-4"', '"b-4"'}  # each URL ends with one crawl's last answer


def test_a_run_left_running_by_a_dead_process_is_aborted_at_the_next_start(db):
    """Issue 14: a crawl killed mid-run left its run "running" forever. The next crawl marks it aborted: on this
    machine when its process is gone, on any machine when it started over a day ago; a live one is left alone."""
    import os
    import socket
    import subprocess
    import sys
    from datetime import timedelta

    from mediaplan.crawler.store import start_run
    from mediaplan.db.schema import CrawlRun, utcnow

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = socket.gethostname()
    with session_scope() as session:
        dead = CrawlRun(summary={"host": host, "pid": int(gone.stdout)})
        alive = CrawlRun(summary={"host": host, "pid": os.getppid()})  # the test runner's parent: alive
        elsewhere = CrawlRun(summary={"host": "may-khac", "pid": 1}, started_at=utcnow() - timedelta(hours=30))
        recent_elsewhere = CrawlRun(summary={"host": "may-khac", "pid": 1})
        session.add_all([dead, alive, elsewhere, recent_elsewhere])
        session.flush()
        ids = [dead.id, alive.id, elsewhere.id, recent_elsewhere.id]
    with session_scope() as session:
        new = start_run(session)
    with session_scope() as session:
        status = {r.id: r.status.value for r in session.scalars(select(CrawlRun))}
        owner = session.get(CrawlRun, new).summary
    assert [status[i] for i in ids] == ["aborted", "running", "aborted", "running"]
    assert status[new] == "running" and owner == {"host": host, "pid": os.getpid()}
    with session_scope() as session:
        assert start_run(session) and session.get(CrawlRun, ids[0]).finished_at is not None  # idempotent
