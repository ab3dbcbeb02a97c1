"""`mediaplan units list`: every unit V.6 names, as data (issue 13): the 96 communes, wards and the special zone from
vietnamadminunits, every department agencies.yaml lists, each with its parent, headcount, portal and sources, and
"monitored" by the same rule as the report's V.6 table."""

from __future__ import annotations

import json

from mediaplan.db import session_scope
from mediaplan.plans import current_plan
from mediaplan.reports.metrics import unit_compliance
from mediaplan.vocab import AgencyKind


def _jsonl(cli, *args: str) -> list[dict]:
    return [json.loads(line) for line in cli("units", "list", "--format", "jsonl", *args).stdout.splitlines() if line]


def test_jsonl_lists_every_commune_and_every_department(db, cli):
    units = _jsonl(cli)
    plan = current_plan()
    communes = [u for u in units if u["kind"] == "commune"]
    departments = [u for u in units if u["kind"] == "department"]
    assert len(communes) == 96 and {u["unit_type"] for u in communes} == {"Xã", "Phường", "Đặc khu"}
    assert sorted(u["key"] for u in departments) == sorted(a.key for a in plan.agencies.agencies if a.kind == AgencyKind.DEPARTMENT)
    assert len(departments) >= 14 and len({u["key"] for u in units}) == len(units)
    for u in units:
        assert set(u) >= {"key", "name", "kind", "portal", "monitored", "sources", "parent", "headcount"}
        assert u["monitored"] == any(s["enabled"] for s in u["sources"])
    province = next(a.key for a in plan.agencies.agencies if a.kind == AgencyKind.PROVINCE)
    assert all(u["parent"] == province for u in communes + departments)  # every unit belongs to the UBND tỉnh
    by_key = {u["key"]: u for u in units}
    assert by_key["soyte"]["portal"] == "https://soyte.quangngai.gov.vn/" and by_key["soyte"]["monitored"]
    assert by_key["sonoivu"]["portal"] is None and not by_key["sonoivu"]["monitored"]  # listed, not watched
    assert by_key["sonoivu"]["headcount"] == {"staff": None, "comms_staff": None}  # unknown stays unknown


def test_monitored_is_what_the_report_says(db, cli):
    from datetime import datetime, timezone

    listed = {u["key"]: u["monitored"] for u in _jsonl(cli)}
    with session_scope() as session:
        rows = unit_compliance(session, datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert {r["key"]: r["monitored"] for r in rows} == {k: v for k, v in listed.items() if k in {r["key"] for r in rows}}
    assert sum(r["monitored"] for r in rows) >= 15  # the snapshot's portals on both platforms


def test_kind_filter_the_table_and_a_wrong_kind(db, cli):
    assert {u["kind"] for u in _jsonl(cli, "--kind", "department")} == {"department"}
    table = cli("units", "list", "--kind", "commune").stdout
    assert "96 đơn vị" in table and "UBND xã Sơn Hà" in table and "https://sonha.quangngai.gov.vn/" in table
    wrong = cli("units", "list", "--kind", "school", code=1)
    assert "không có loại đơn vị «school»" in wrong.stderr and "Traceback" not in wrong.stderr + wrong.stdout
