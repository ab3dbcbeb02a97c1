"""Conflicts an editor must see: a broadcast slot booked twice, an overloaded assignee, a key date with nothing planned."""

from datetime import date, datetime

from mediaplan.calendar import stories as planning
from mediaplan.calendar.conflicts import find_conflicts
from mediaplan.db import session_scope
from mediaplan.db.schema import KeyDate, User


def test_conflicts_double_booking_overload_and_empty_key_date(sqlite_db):
    with session_scope() as session:
        session.add(User(username="minhchau", email="mc@bao.example", role="editor", capacity_per_week=2))
        for n, (title, hour) in enumerate((("Tọa đàm A", 20), ("Tọa đàm B", 20))):
            planning.add_story(session, title, "Lan", coverages=[dict(platform="tv", fmt="talk_show", outlet="baoquangngai",
                                                                      publish_at=datetime(2026, 12, 3, hour, 30 * n),
                                                                      assignee="minhchau")])
        planning.add_story(session, "Bài C", "Lan", coverages=[dict(platform="online", fmt="article", outlet="baoquangngai",
                                                                   publish_at=datetime(2026, 12, 4, 9, 0), assignee="minhchau")])
        session.add(KeyDate(key="exam-day", name="Kỳ thi học sinh giỏi tỉnh", on=date(2026, 12, 15), themes=["exams_admissions"]))
        session.flush()
        found = find_conflicts(session, date(2026, 12, 1), date(2026, 12, 31))
    kinds = {c["kind"] for c in found}
    assert {"double_booked", "overloaded", "key_date_empty"} <= kinds
    double = next(c for c in found if c["kind"] == "double_booked")
    assert "20:30" in double["message"]
    assert next(c for c in found if c["kind"] == "overloaded")["assignee"] == "minhchau"
    assert any(c.get("key_date") == "exam-day" for c in found)
