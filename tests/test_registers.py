"""The registers of conferences and courses (plan II.1, III.4) and the staff targets counted from them.

Workbooks are built here with openpyxl, as units send them; the indicators are checked on a worked example whose
numbers are computed by hand below, and the same figure is read back from the report's XLSX, HTML and DOCX.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from mediaplan.db import session_scope
from mediaplan.db.schema import Agency, RegisterEvidence, RegisterParticipation, UnitHeadcount
from mediaplan.services import NotFound, ServiceError
from mediaplan.services import registers as reg


def xlsx(participants=None, headcounts=None, title_row: str | None = "DANH SÁCH ĐẠI BIỂU THAM DỰ") -> bytes:
    """A workbook as a unit sends it: a title line, the header, the rows, a total row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    if participants is not None:
        if title_row:
            ws.append([title_row])
        ws.append(["TT", "Đơn vị", "Số người tham dự"])
        for i, (unit, count) in enumerate(participants, 1):
            ws.append([i, unit, count])
        ws.append([None, "Tổng cộng", 99999])
    else:
        wb.remove(ws)
    if headcounts is not None:
        hs = wb.create_sheet("Biên chế")
        hs.append(["Đơn vị", "Biên chế", "Cán bộ truyền thông"])
        for row in headcounts:
            hs.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _units(session) -> list[str]:
    return list(session.scalars(select(Agency.key).where(Agency.kind.in_(reg.UNITS)).order_by(Agency.key)))


def _key(session, name: str) -> str:
    return reg.UnitMatcher(session).match(name)


# --- import ----------------------------------------------------------------------------------------------------


def test_xlsx_import_refuses_bad_rows_imports_the_rest_and_reimports_idempotently(db):
    data = xlsx([("Sở Nội vụ", 40), ("Xã Sơn Hạ", "5"), ("Xa Son Ha", 3), ("Xã Không Có Thật", 2),
                 ("Sở Tài chính", "mười"), ("Phường Cẩm Thành", "1.234"), ("ubnd-21040", 7.0), ("Sở Nội vụ", 1),
                 ("Sở Văn hóa, Thể thao và Du lịch", 2.5), ("Xã Sơn Hà", " ")],
                headcounts=[("Sở Nội vụ", 50, 4), ("Xã Sơn Hạ", 20, None), ("Xã Nào Đó", 3, 1), ("Sở Tài chính", 10, 12)])
    with session_scope() as session:
        event = reg.add_event(session, "conference", "Hội nghị quán triệt Nghị quyết 71", "2026-11-10", by="Lan",
                              organiser="Tỉnh ủy", place="Hội trường tỉnh")
        result = reg.import_workbook(session, data, "danh-sach.xlsx", event_id=event.id, by="Lan")
        event_id = event.id
    # Rows: 1 title, 2 header, 3.. data (the total row at the bottom is skipped).
    assert (result.participants, result.attendees) == (4, 40 + 5 + 1234 + 7)
    errors = result.errors
    assert len(errors) == 8, errors
    assert errors[0].startswith("dòng 5 (trang «Danh sách»): «Xa Son Ha» có thể là Xã Sơn Hà, Xã Sơn Hạ")
    assert errors[1].startswith("dòng 6 (trang «Danh sách»): không có đơn vị «Xã Không Có Thật»")
    assert errors[2].startswith("dòng 7 (trang «Danh sách»): số người tham dự không hợp lệ 'mười'")
    assert errors[3] == "dòng 10 (trang «Danh sách»): Sở Nội vụ đã có ở dòng 3"
    assert errors[4].startswith("dòng 11 (trang «Danh sách»): số người tham dự không hợp lệ 2.5")
    assert errors[5] == "dòng 12 (trang «Danh sách»): thiếu số người tham dự"
    assert errors[6].startswith("dòng 4 (trang «Biên chế»): không có đơn vị «Xã Nào Đó»")
    assert errors[7] == "dòng 5 (trang «Biên chế»): số cán bộ truyền thông lớn hơn biên chế"
    assert all("\n" not in line for line in errors)
    assert result.headcounts == 3  # Nội vụ ×2, Sơn Hạ ×1; Tài chính refused (more comms staff than staff)

    def state():
        with session_scope() as session:
            rows = dict(session.execute(select(RegisterParticipation.unit_key, RegisterParticipation.count)
                                        .where(RegisterParticipation.event_id == event_id)).all())
            files = session.scalar(select(func.count()).select_from(RegisterEvidence))
            heads = session.scalar(select(func.count()).select_from(UnitHeadcount))
            return rows, files, heads

    first = state()
    with session_scope() as session:
        assert first[0] == {"sonoivu": 40, _key(session, "Xã Sơn Hạ"): 5, _key(session, "Phường Cẩm Thành"): 1234,
                            "ubnd-21040": 7}
        staff = session.scalar(select(UnitHeadcount.as_of).where(UnitHeadcount.unit_key == "sonoivu").limit(1))
    assert staff == date(2026, 11, 10)  # a headcount sent with a list is as of the event's day
    with session_scope() as session:
        again = reg.import_workbook(session, data, "danh-sach (1).xlsx", event_id=event_id, by="Hà")
    assert (again.participants, again.attendees, len(again.errors)) == (result.participants, result.attendees, 8)
    assert state() == first  # the same list twice: the same register, one evidence file, no doubled numbers
    # A corrected list from the same unit replaces its number; the other units are untouched.
    with session_scope() as session:
        reg.import_workbook(session, xlsx([("Sở Nội vụ", 42)]), "noi-vu-bo-sung.xlsx", event_id=event_id, by="Lan")
    rows, files, _ = state()
    assert rows["sonoivu"] == 42 and rows["ubnd-21040"] == 7 and files == 2


def test_a_corrupt_or_wrong_workbook_is_refused_in_one_line(db):
    with session_scope() as session:
        event = reg.add_event(session, "training", "Lớp kỹ năng viết tin", date(2026, 11, 12), by="Lan")
        for data, expected in ((b"PK\x03\x04 not really a zip", "không đọc được như một tệp Excel"),
                               (b"", "tệp rỗng"),
                               (xlsx(headcounts=[("Sở Nội vụ", 1, 1)]), "không có trang nào có cột «Đơn vị» và «Số người tham dự»")):
            with pytest.raises(ServiceError, match=expected):
                reg.import_workbook(session, data, "x.xlsx", event_id=event.id, by="Lan")
        with pytest.raises(NotFound):
            reg.import_workbook(session, xlsx([("Sở Nội vụ", 1)]), "x.xlsx", event_id=9999, by="Lan")
        with pytest.raises(ServiceError, match="chọn sự kiện"):
            reg.import_workbook(session, xlsx([("Sở Nội vụ", 1)]), "x.xlsx", event_id=None, by="Lan")
        for kind, day, message in (("meeting", "2026-11-12", "không hợp lệ"), ("training", "2026-11-31", "ngày không hợp lệ")):
            with pytest.raises(ServiceError, match=message):
                reg.add_event(session, kind, "Lớp", day, by="Lan")
        with pytest.raises(ServiceError, match="cần tên sự kiện"):
            reg.add_event(session, "training", "  ", "2026-11-12", by="Lan")


# --- evidence ----------------------------------------------------------------------------------------------------


def test_evidence_is_hashed_and_stored_once(db, tmp_path):
    from mediaplan.settings import get_settings

    data = "Biên bản hội nghị quán triệt Nghị quyết 71".encode() * 100
    digest = hashlib.sha256(data).hexdigest()
    with session_scope() as session:
        a = reg.add_event(session, "conference", "Hội nghị A", "2026-11-03", by="Lan")
        b = reg.add_event(session, "conference", "Hội nghị B", "2026-11-04", by="Lan")
        first = reg.attach_evidence(session, a.id, "../../bien-ban.pdf", data, by="Lan")
        second = reg.attach_evidence(session, a.id, "bien-ban-ban-sao.pdf", data, by="Hà")
        other = reg.attach_evidence(session, b.id, "bien-ban.pdf", data, by="Lan")
        assert first.id == second.id and other.id != first.id  # idempotent per event
        assert (first.sha256, first.size, first.stored_path, first.filename) == (digest, len(data), f"evidence/{digest}", "bien-ban.pdf")
        with pytest.raises(reg.TooLarge):
            reg.attach_evidence(session, a.id, "big.bin", b"x" * (reg.MAX_FILE_BYTES + 1), by="Lan")
    stored = list((get_settings().data_dir / "evidence").iterdir())
    assert [p.name for p in stored] == [digest]  # one file on disk for the three attachments
    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == digest


# --- the indicators -------------------------------------------------------------------------------------------------


def _worked_example(session) -> dict:
    """Every unit: 10 staff, 2 communication staff (110 units: 1.100 and 220).

    Conferences (largest per unit, capped): A on 05/11, every unit 6; B on 20/11, Sở Nội vụ 8, Xã Sơn Hà 3.
    → Nội vụ 8, Sơn Hà 6, the other 108 units 6: 662/1.100 = 60,2%. (A sum would give 667.)
    Courses (sum per unit, capped): 1 on 10/11, Nội vụ 1, Sơn Hà 2; 2 on 25/11, Nội vụ 1, Sơn Hà 1, Cẩm Thành 3.
    → Nội vụ 2, Sơn Hà min(3, 2) = 2, Cẩm Thành min(3, 2) = 2: 6/220 = 2,7%.
    A course on 05/12 (every unit 2) counts from December on, not in November.
    """
    units = _units(session)
    assert len(units) == 110
    heads = xlsx(headcounts=[(key, 10, 2) for key in units])
    result = reg.import_workbook(session, heads, "bien-che.xlsx", event_id=None, by="Lan", as_of="2026-10-01")
    assert (result.headcounts, result.errors) == (220, [])
    son_ha, cam_thanh = _key(session, "Xã Sơn Hà"), _key(session, "Phường Cẩm Thành")
    reg.add_event(session, "conference", "Hội nghị quán triệt A", "2026-11-05", by="Lan", participants={k: 6 for k in units})
    b = reg.add_event(session, "conference", "Hội nghị quán triệt B", "2026-11-20", by="Lan",
                      participants={"Sở Nội vụ": 8, "Xã Sơn Hà": 3})
    reg.attach_evidence(session, b.id, "bien-ban-B.pdf", b"bien ban B", by="Lan")
    reg.add_event(session, "training", "Lớp 1: viết tin", "2026-11-10", by="Lan", participants={"sonoivu": 1, son_ha: 2})
    reg.add_event(session, "training", "Lớp 2: quản trị website", "2026-11-25", by="Lan",
                  participants={"sonoivu": 1, son_ha: 1, cam_thanh: 3})
    reg.add_event(session, "training", "Lớp 3: truyền thông số", "2026-12-05", by="Lan", participants={k: 2 for k in units})
    return {"son_ha": son_ha, "cam_thanh": cam_thanh, "evidence": hashlib.sha256(b"bien ban B").hexdigest()}


def test_the_indicators_on_a_worked_example(db):
    from mediaplan.reports.metrics import compute

    with session_scope() as session:
        keys = _worked_example(session)
        end = date(2026, 11, 30)
        conf = reg.indicator(session, "conference", "staff", end)
        train = reg.indicator(session, "training", "comms_staff", end)
        december = reg.indicator(session, "training", "comms_staff", date(2026, 12, 31))
        per_unit = {r["key"]: r for r in reg.unit_indicators(session, "conference", "staff", end)}
        figures = compute(session, "2026-11")
    assert (conf["covered"], conf["denominator"], conf["missing"], conf["events"], conf["value"]) == (662, 1100, 0, 2, 662 / 1100)
    assert (train["covered"], train["denominator"], train["events"], train["value"]) == (6, 220, 2, 6 / 220)
    assert december["value"] == 1.0  # the December course brings every unit to its 2 communication staff
    assert per_unit["sonoivu"]["covered"] == 8 and per_unit[keys["son_ha"]]["share"] == 0.6 and len(per_unit) == 110
    targets = {t["key"]: t for t in figures["targets"]}
    assert (targets["staff_disseminated"]["value"], targets["staff_disseminated"]["evaluation"]) == (662 / 1100, "Chưa đạt")
    assert targets["staff_disseminated"]["detail"] == "662/1.100 người được quán triệt ở 110 đơn vị; 2 hội nghị quán triệt đến 30/11/2026"
    assert (targets["staff_trained_2030"]["value"], targets["staff_trained_2030"]["met"]) == (6 / 220, False)
    assert targets["staff_trained_2035"]["value"] == 6 / 220
    events = figures["registers"]["events"]
    assert [e["title"] for e in events] == ["Hội nghị quán triệt A", "Lớp 1: viết tin", "Hội nghị quán triệt B",
                                            "Lớp 2: quản trị website"]  # December's course is not in November
    assert events[2]["attendees"] == 11 and events[2]["units"] == 2 and events[2]["evidence"][0]["sha256"] == keys["evidence"]
    with session_scope() as session:
        full = compute(session, "2026-12")
    assert {t["key"]: t["evaluation"] for t in full["targets"]}["staff_trained_2030"] == "Đạt"


def test_a_missing_headcount_or_an_empty_register_is_not_judged(db):
    from mediaplan.reports.metrics import compute

    with session_scope() as session:
        before = {t["key"]: t for t in compute(session, "2026-11")["targets"]}
        reg.set_headcount(session, "Sở Nội vụ", "staff", 50, by="Lan", as_of="2026-11-01", source="Báo cáo 12/BC-SNV")
        reg.add_event(session, "conference", "Hội nghị", "2026-11-05", by="Lan", participants={"Sở Nội vụ": 45})
        after = {t["key"]: t for t in compute(session, "2026-11")["targets"]}
    for key in ("staff_disseminated", "staff_trained_2030", "staff_trained_2035"):
        assert before[key]["met"] is None and before[key]["value"] is None
        assert before[key]["evaluation"].startswith("chưa đủ dữ liệu: chưa có sổ theo dõi"), before[key]
    target = after["staff_disseminated"]
    assert (target["value"], target["met"], target["evaluation"]) == (None, None, "chưa đủ dữ liệu: 109 đơn vị chưa có số biên chế")
    assert target["detail"].startswith("45/50 người được quán triệt ở 1/110 đơn vị đã có số biên chế")
    assert after["staff_trained_2030"]["evaluation"].startswith("chưa đủ dữ liệu: chưa có sổ theo dõi; 110 đơn vị chưa có số cán bộ")


def test_the_headcount_in_force_is_the_latest_by_the_periods_end(db):
    with session_scope() as session:
        for day, count in (("2026-01-01", 40), ("2026-10-01", 50), ("2027-01-01", 60)):
            reg.set_headcount(session, "Sở Nội vụ", "staff", count, by="Lan", as_of=day)
        reg.set_headcount(session, "Sở Nội vụ", "staff", 55, by="Hà", as_of="2026-10-01")  # a correction of the same day
        reg.set_headcount(session, "Sở Tài chính", "staff", 30, by="Lan", as_of="2027-03-01")  # recorded after the period
        rows = {r["key"]: r for r in reg.unit_indicators(session, "conference", "staff", date(2026, 11, 30))}
        with pytest.raises(ServiceError, match="số biên chế không hợp lệ"):
            reg.set_headcount(session, "Sở Nội vụ", "staff", -1, by="Lan")
    assert (rows["sonoivu"]["headcount"], rows["sonoivu"]["headcount_as_of"]) == (55, "2026-10-01")
    assert rows["sotaichinh"]["headcount"] == 30  # no figure by the period's end: the earliest one after it


# --- the report ---------------------------------------------------------------------------------------------------


def test_the_report_lists_the_registers_with_the_same_figure_everywhere(db, tmp_path):
    from docx import Document

    from mediaplan.reports.build import build_report, fmt_target

    with session_scope() as session:
        keys = _worked_example(session)
        _, figures = build_report(session, "2026-11", tmp_path)
    value = next(t for t in figures["targets"] if t["key"] == "staff_disseminated")["value"]
    assert value == 662 / 1100 and fmt_target(value, "ratio") == "60,2%"

    book = load_workbook(tmp_path / "report.xlsx", read_only=True)
    targets = {r[1]: r for r in book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    assert targets["staff_disseminated"][3] == "60,2%" and targets["staff_trained_2030"][3] == "2,7%"
    register = list(book["Sổ theo dõi"].iter_rows(values_only=True))
    assert register[0][:4] == ("Hội nghị, lớp đào tạo", "Mã", "Loại", "Ngày") and register[0][-1] == "SHA-256"
    assert ("Hội nghị quán triệt B", "hội nghị quán triệt", "20/11/2026", 2, 11, "bien-ban-B.pdf", keys["evidence"]) == \
        tuple(x for i, x in enumerate(next(r for r in register if r[0] == "Hội nghị quán triệt B")) if i not in (1, 4, 5))
    units = {r[1]: r for r in book["Sổ theo dõi theo đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert len(units) == 110 and units[keys["son_ha"]][:5] == ("Xã Sơn Hà", keys["son_ha"], 10, 6, "60%")

    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    row = re.search(r'<tr data-target="staff_disseminated">.*?</tr>', html, re.S).group(0)
    assert ">60,2%</td>" in row and "Chưa đạt" in row
    section = html[html.index('id="registers"'):]
    assert "Hội nghị quán triệt B" in section and keys["evidence"][:12] in section and "bien-ban-B.pdf" in section
    assert re.search(r'data-indicator="conference">.*?<strong>60,2%</strong>', section)

    text = "\n".join(p.text for p in Document(tmp_path / "report.docx").paragraphs)
    cells = "\n".join(c.text for t in Document(tmp_path / "report.docx").tables for r in t.rows for c in r.cells)
    assert "Sổ theo dõi hội nghị quán triệt, lớp đào tạo, bồi dưỡng" in text and "60,2%" in text
    assert f"bien-ban-B.pdf ({keys['evidence'][:12]})" in cells


# --- CLI ----------------------------------------------------------------------------------------------------------


def test_the_registers_commands(sqlite_db, cli, tmp_path, acting):
    acting("analyst", "lan")  # MEDIAPLAN_USER, for the commands below without --by
    evidence = tmp_path / "bien-ban.pdf"
    evidence.write_bytes(b"%PDF-1.4 bien ban")
    out = cli("registers", "add", "--kind", "training", "--title", "Lớp kỹ năng viết tin", "--date", "2026-11-12",
              "--evidence", str(evidence), "--by", "lan").stdout
    event = re.search(r"#(\d+)", out).group(1)
    assert hashlib.sha256(b"%PDF-1.4 bien ban").hexdigest() in out.replace("\n", "")
    listing = tmp_path / "danh-sach.xlsx"
    listing.write_bytes(xlsx([("Sở Nội vụ", 3), ("Xã Không Có", 1)], headcounts=[("Sở Nội vụ", 50, 4)]))
    result = cli("registers", "import", str(listing), "--event", event, code=1)
    assert "1 đơn vị, 3 người tham dự" in result.stdout and "dòng 4 (trang «Danh sách»): không có đơn vị «Xã Không Có»" in result.stderr
    cli("registers", "headcount", "Xã Sơn Hà", "--staff", "30", "--comms-staff", "2", "--as-of", "2026-11-01")
    shown = cli("registers", "list", "--period", "2026-11").stdout
    assert "Lớp kỹ năng viết tin" in shown and "108 đơn vị chưa có số cán bộ làm công tác truyền thông" in shown
    assert "lớn hơn" not in shown
    for args, expected in ((("add", "--kind", "training", "--title", "x", "--date", "2026-02-30"), "--date ngày không hợp lệ"),
                           (("import", str(evidence), "--event", event), "không đọc được như một tệp Excel"),
                           (("import", str(tmp_path / "khong-co.xlsx"), "--event", event), "không đọc được tệp"),
                           (("headcount", "Xa Son Ha", "--staff", "3"), "có thể là Xã Sơn Hà, Xã Sơn Hạ"),
                           (("headcount", "Sở Nội vụ"), "cần --staff hoặc --comms-staff"),
                           (("list", "--period", "2026-13"), "kỳ báo cáo không hợp lệ")):
        err = cli("registers", *args, code=2).stderr
        assert expected in err and err.strip().count("\n") == 0, err
    cli("registers", "add", "--kind", "meeting", "--title", "x", "--date", "2026-11-12", code=2)


# --- web ----------------------------------------------------------------------------------------------------------


def _client(url):
    """Signed in as an analyst when accounts are there (tests/accounts.py), so the posts carry a CSRF token."""
    try:
        from accounts import signed_in
    except ImportError:
        from fastapi.testclient import TestClient

        from mediaplan.web.app import create_app

        return TestClient(create_app(url))
    return signed_in(url, "analyst")


def test_the_registers_page_takes_uploads_and_refuses_bad_ones_with_4xx(db, monkeypatch):
    client = _client(db)
    added = client.post("/registers/events", data={"kind": "conference", "title": "Hội nghị quán triệt NQ 71",
                                                   "date": "2026-11-10", "organiser": "Sở GD&ĐT"},
                        files={"file": ("giay-moi.pdf", b"%PDF giay moi", "application/pdf")}, follow_redirects=False)
    assert added.status_code == 303, added.text[:300]
    page = client.get(added.headers["location"])
    assert page.status_code == 200 and "Hội nghị quán triệt NQ 71" in page.text and "giay-moi.pdf" in page.text
    event = re.search(r'data-event="(\d+)"', page.text).group(1)

    good = client.post(f"/registers/events/{event}/import?period=2026-11",
                       files={"file": ("ds.xlsx", xlsx([("Sở Nội vụ", 40), ("Xã Sơn Hạ", 5), ("Xã Ma", 1)]),
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert good.status_code == 200 and "Đã nhập 2 đơn vị, 45 người tham dự" in good.text
    assert "dòng 5 (trang «Danh sách»): không có đơn vị «Xã Ma»" in good.text
    typed = client.post(f"/registers/events/{event}/participants?period=2026-11", data={"unit": "Sở Tài chính", "count": "7"})
    assert typed.status_code == 200 and "Đã ghi 7 người tham dự của Sở Tài chính" in typed.text
    headcount = client.post("/registers/headcounts?period=2026-11", data={"unit": "Sở Nội vụ", "staff": "50", "as_of": "2026-11-01"})
    assert headcount.status_code == 200 and "Đã ghi số liệu của Sở Nội vụ" in headcount.text
    detail = client.get(f"/registers?period=2026-11&event={event}")
    assert 'id="participants"' in detail.text and ">40</td>" in detail.text
    evidence = re.search(r'href="/registers/evidence/(\d+)">giay-moi.pdf', detail.text).group(1)
    download = client.get(f"/registers/evidence/{evidence}")
    assert download.status_code == 200 and download.content == b"%PDF giay moi"
    assert "attachment" in download.headers["content-disposition"]

    refusals = [
        (f"/registers/events/{event}/import", {"files": {"file": ("hong.xlsx", b"PK\x03\x04 hong", "application/octet-stream")}},
         400, "không đọc được như một tệp Excel"),
        (f"/registers/events/{event}/import", {"files": {"file": ("trong.xlsx", b"", "application/octet-stream")}}, 400, "tệp rỗng"),
        (f"/registers/events/{event}/import", {"data": {"x": "1"}}, 400, "Chưa chọn tệp"),
        ("/registers/events", {"data": {"kind": "conference", "title": "x", "date": "2026-11-31"}}, 400, "ngày không hợp lệ"),
        ("/registers/events", {"data": {"kind": "party", "title": "x", "date": "2026-11-03"}}, 400, "không hợp lệ"),
        (f"/registers/events/{event}/participants", {"data": {"unit": "Xã Ma", "count": "3"}}, 400, "không có đơn vị «Xã Ma»"),
        (f"/registers/events/{event}/participants", {"data": {"unit": "Sở Nội vụ", "count": "-3"}}, 400, "số người không hợp lệ"),
        ("/registers/events/999999/evidence", {"files": {"file": ("a.pdf", b"a", "application/pdf")}}, 404, "không có sự kiện #999999"),
        ("/registers/events/99999999999/evidence", {"files": {"file": ("a.pdf", b"a", "application/pdf")}}, 404, "Không có sự kiện"),
        ("/registers/headcounts", {"data": {"unit": "Sở Nội vụ"}}, 400, "Cần số biên chế"),
        ("/registers/headcounts", {"data": {"unit": "Sở Nội vụ", "staff": "5", "period": "2026-99"}}, 400, "kỳ báo cáo không hợp lệ"),
    ]
    for path, body, status, message in refusals:
        answer = client.post(path, **body)
        assert (answer.status_code, message in answer.text) == (status, True), (path, answer.status_code, answer.text[-600:])
    assert client.get("/registers/evidence/424242").status_code == 404
    assert client.get("/registers?period=2026-13").status_code == 400

    monkeypatch.setattr(reg, "MAX_FILE_BYTES", 1000)
    big = client.post(f"/registers/events/{event}/evidence", files={"file": ("lon.bin", b"x" * 2000, "application/octet-stream")})
    assert big.status_code == 413 and "lớn hơn" in big.text
    huge = client.post(f"/registers/events/{event}/evidence", content=b"x", headers={
        "content-type": "multipart/form-data; boundary=b", "content-length": str(200 * 1024 * 1024)})
    assert huge.status_code == 413


# --- the migration --------------------------------------------------------------------------------------------------


def test_the_registers_migration_downgrades_and_upgrades_again(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect, text

    from mediaplan.db import downgrade, get_engine, migrate
    from mediaplan.db.schema import Base, Target
    from mediaplan.db.search_index import include_object

    with session_scope() as session:
        reg.add_event(session, "training", "Lớp", "2026-11-12", by="Lan", participants={"Sở Nội vụ": 2})
        assert session.get(Target, "staff_trained_2030").metric == "register"
    downgrade("0007")
    with get_engine().connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert not {"register_events", "register_participants", "register_evidence", "unit_headcounts"} & tables
        assert conn.execute(text("SELECT metric FROM targets WHERE key = 'staff_trained_2030'")).scalar() == "manual"
    migrate()
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), Base.metadata) == []


BAD = ["0001-01-01", "9999-12-31", "-1", "0", str(10**20), "abc", "x" * 10_000, "", " ", "\x00", "2026-11-31", "2026-13", "1.5"]


def test_no_bad_value_on_the_registers_page_is_a_500(sqlite_db):
    """Each field of each form tried alone with out-of-range and malformed values (as tests/test_web_fuzz.py does
    for the other pages): a 4xx or a page, never a server error."""
    from urllib.parse import quote

    with session_scope() as session:
        event = reg.add_event(session, "conference", "Hội nghị", "2026-11-03", by="Lan").id
    client = _client(sqlite_db)  # a server error raises here, which fails the test as surely as a 500
    forms = {"/registers/events": {"kind": "conference", "title": "Hội nghị", "date": "2026-11-03", "organiser": "",
                                   "place": "", "period": "2026-11"},
             f"/registers/events/{event}/participants": {"unit": "Sở Nội vụ", "count": "3", "period": "2026-11"},
             "/registers/headcounts": {"unit": "Sở Nội vụ", "staff": "3", "comms_staff": "1", "as_of": "2026-11-01",
                                       "source": "Báo cáo", "period": "2026-11"}}
    failures = []
    for path, fields in forms.items():
        for name in fields:
            for value in BAD:
                answer = client.post(path, data={**fields, name: value})
                if answer.status_code >= 500:
                    failures.append((path, name, value[:20], answer.status_code))
    listing = xlsx([("Sở Nội vụ", 1)])
    for value in (quote(v, safe="") for v in BAD):
        for path in (f"/registers/events/{value}/import", f"/registers/events/{value}/evidence"):
            answer = client.post(path, files={"file": ("a.xlsx", listing, "application/octet-stream")})
            if answer.status_code >= 500:
                failures.append((path, answer.status_code))
        for answer in (client.get(f"/registers?period={value}"), client.get(f"/registers?event={value}"),
                       client.get(f"/registers/evidence/{value}")):
            if answer.status_code >= 500 or (answer.status_code >= 400 and "detail" in answer.text and "Input" in answer.text):
                failures.append((str(answer.url), answer.status_code))
    assert failures == []
