"""The dashboard's figures are kept per month in the database (`reports.cache`) and used only while current: every
committed write that could change a figure grows the data version in its own transaction (`db.versioning`) —
through the ORM, Core, plain SQL or another process — and a rollback, a login or the cache's own writes do not;
another code's figures or yesterday's are never shown; what a view shows is what a fresh compute gives; two
writers at once never deadlock on the version; classify refreshes the months it changed. Both backends."""

import threading
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text, update

from accounts import signed_in
from conftest import run_cli
from mediaplan.db import session_scope
from mediaplan.db.schema import FiguresCache, Item, LoginAttempt, Outlet
from mediaplan.reports import cache
from mediaplan.reports.metrics import compute

MONTH = "2026-11"
WHEN = datetime(2026, 11, 12, 3, tzinfo=timezone.utc)


def add(session, title="Tuyên dương nhà giáo tiêu biểu", education=True) -> Item:
    outlet = session.scalar(select(Outlet).where(Outlet.key == "baoquangngai"))
    url = f"https://baoquangngai.vn/giao-duc/{uuid.uuid4().hex}.htm"
    item = Item(outlet_id=outlet.id, kind="article", url=url, canonical_url=url, content_hash=uuid.uuid4().hex,
                title=title, sapo="", body="", published_at=WHEN, channel="online", format="news",
                education=education, nq71=False, classified_at=WHEN)
    session.add(item)
    session.flush()
    return item


def version() -> int:
    with session_scope() as session:
        return cache.current_version(session)


class Counted:
    """`make` for cache.figures that counts its calls and gives the month's education count."""

    def __init__(self, session):
        self.session, self.calls = session, 0

    def __call__(self):
        self.calls += 1
        return compute(self.session, MONTH, lists=False)


def shown(session, make) -> int:
    return cache.figures(session, MONTH, make)["totals"]["education"]


def test_every_kind_of_write_makes_the_figures_current_again(db):
    with session_scope() as session:
        add(session)
    with session_scope() as session:
        make = Counted(session)
        assert shown(session, make) == 1 and shown(session, make) == 1 and make.calls == 1  # the second is read back
        add(session)  # the ORM
        session.commit()
        assert shown(session, make) == 2 and make.calls == 2
        outlet = session.scalar(select(Outlet.id).where(Outlet.key == "baoquangngai"))
        session.execute(insert(Item).values(outlet_id=outlet, kind="article", url="https://baoquangngai.vn/c.htm",
                                            canonical_url="https://baoquangngai.vn/c.htm", content_hash="c" * 64,
                                            title="Học sinh đến trường", published_at=WHEN, channel="online",
                                            education=True, classified_at=WHEN))  # Core
        session.commit()
        assert shown(session, make) == 3 and make.calls == 3
        session.execute(text("UPDATE items SET education = :no WHERE canonical_url = :u"),
                        {"no": False, "u": "https://baoquangngai.vn/c.htm"})  # plain SQL
        session.commit()
        assert shown(session, make) == 2 and make.calls == 4
        before = cache.current_version(session)
        add(session)
        session.rollback()  # nothing committed: nothing to recompute
        assert cache.current_version(session) == before and shown(session, make) == 2 and make.calls == 4
        session.add(LoginAttempt(username="ai-do", address="127.0.0.1", ok=False))  # no figure reads logins
        session.commit()
        assert cache.current_version(session) == before and make.calls == 4
    run_cli("items", "label", str(_first_id()), "--add", "teachers", "--by", _editor(db))  # another process
    assert version() > before


def _first_id() -> int:
    with session_scope() as session:
        return session.scalar(select(func.min(Item.id)))


def _editor(url) -> str:
    from accounts import ensure_user

    ensure_user(url, "bien-tap", "editor")
    return "bien-tap"


def test_another_codes_figures_and_old_ones_are_not_shown(db, monkeypatch):
    with session_scope() as session:
        add(session)
        make = Counted(session)
        shown(session, make)
        monkeypatch.setattr(cache, "definition", lambda: "another-code")
        shown(session, make)
        assert make.calls == 2  # an upgrade never shows figures made by the code before it
        session.execute(update(FiguresCache).values(computed_at=datetime.now(timezone.utc) - timedelta(days=1)))
        session.commit()
        shown(session, make)
        assert make.calls == 3  # made yesterday, whatever the version: a period may have begun since
        kept = session.scalars(select(FiguresCache.period)).all()
        assert kept == [f"{MONTH}@another-code"]  # the older code's entry went when this one was stored


def test_the_dashboard_shows_what_a_fresh_compute_gives(db):
    with session_scope() as session:
        add(session)
        add(session, "Giá lúa tăng", education=False)
    client = signed_in(db)
    first = client.get(f"/?month={MONTH}").text
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(FiguresCache)) == 1
        kept = cache.dashboard_figures(session, MONTH)
        fresh = cache._store(session, "fresh", cache.current_version(session), cache._dashboard_make(session, MONTH))
    assert {k: v for k, v in kept.items() if k != "generated_on"} == {k: v for k, v in fresh.items() if k != "generated_on"}
    assert client.get(f"/?month={MONTH}").text == first  # the second view, read back, is the same page
    assert 'id="card-education">1<' in first


def test_two_writers_at_once_never_deadlock_on_the_version(db):
    start = version()
    errors: list[BaseException] = []

    def writer():
        try:
            for _ in range(15):
                with session_scope() as session:
                    add(session)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and version() == start + 45


def test_classify_makes_this_and_last_months_figures(db):
    from mediaplan.periods import current_month, previous_month

    with session_scope() as session:
        item = add(session)
        item.published_at, item.classified_at = datetime.now(timezone.utc), None
    run_cli("classify")
    now = current_month()
    with session_scope() as session:
        kept = {row.period.split("@")[0]: row.version for row in session.execute(select(FiguresCache.period,
                                                                                        FiguresCache.version))}
        assert kept == dict.fromkeys((now, previous_month(now)), cache.current_version(session))


def test_views_arriving_together_make_the_figures_once(db):
    """Fifty users after a crawl: one view per process makes a month's figures, the others read what it kept."""
    from mediaplan.db import get_engine
    from sqlalchemy.orm import Session

    with session_scope() as session:
        add(session)
    calls, lock = [], threading.Lock()
    answers: list[int] = []

    def make(session):
        def run():
            with lock:
                calls.append(1)
            return compute(session, MONTH, lists=False)
        return run

    def view():
        with Session(get_engine()) as session:
            answers.append(cache.figures(session, MONTH, make(session))["totals"]["education"])

    threads = [threading.Thread(target=view) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert answers == [1] * 8 and len(calls) == 1
