"""Every unit the plan names (V.6): departments, communes, wards, the special zone, the outlet and the province,
with where each belongs, its headcount, its portal and what we collect from it (`mediaplan units list`).

A unit is `monitored` when at least one of its sources is enabled: the same rule as the report's V.6 table
(`reports.counts.monitored_agencies`), so the list and the report never disagree about who is watched.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Agency, Outlet, Source, UnitHeadcount
from mediaplan.reports.counts import monitored_agencies
from mediaplan.services import ServiceError
from mediaplan.vocab import AgencyKind

# Listed first the units V.6 asks to post (departments, then communes), then the outlet and the province.
ORDER = {AgencyKind.DEPARTMENT: 0, AgencyKind.COMMUNE: 1, AgencyKind.OUTLET: 2, AgencyKind.PROVINCE: 3}


def check_kind(kind: str | None) -> AgencyKind | None:
    if kind is None:
        return None
    try:
        return AgencyKind(kind)
    except ValueError:
        raise ServiceError(f"không có loại đơn vị «{kind}»; chọn một trong: {', '.join(k.value for k in AgencyKind)}") from None


def _headcounts(session: Session) -> dict[str, dict[str, int | None]]:
    """The newest figure of each kind per unit (the one in force today; services.registers picks per period)."""
    rows = session.execute(select(UnitHeadcount.unit_key, UnitHeadcount.kind, UnitHeadcount.count)
                           .order_by(UnitHeadcount.unit_key, UnitHeadcount.kind, UnitHeadcount.as_of, UnitHeadcount.id))
    out: dict[str, dict[str, int | None]] = {}
    for key, kind, count in rows:  # ordered by day: the last one seen is the newest
        out.setdefault(key, {})[kind.value] = count
    return out


def list_units(session: Session, kind: str | None = None) -> list[dict]:
    """One dict per unit, in a stable order (kind, then key)."""
    wanted = check_kind(kind)
    query = select(Agency).order_by(Agency.key)
    if wanted is not None:
        query = query.where(Agency.kind == wanted)
    agencies = sorted(session.scalars(query), key=lambda a: (ORDER.get(a.kind, 9), a.key))
    portals: dict[str, str] = {}
    sources: dict[str, list[dict]] = {}
    rows = session.execute(select(Outlet.agency_key, Outlet.homepage, Source.key, Source.kind, Source.channel,
                                  Source.enabled, Source.url)
                           .outerjoin(Source, Source.outlet_id == Outlet.id)
                           .where(Outlet.agency_key.is_not(None)).order_by(Outlet.key, Source.key))
    for agency_key, homepage, key, source_kind, channel, enabled, url in rows:
        if homepage and agency_key not in portals:
            portals[agency_key] = homepage
        if key is not None:
            sources.setdefault(agency_key, []).append({"key": key, "kind": source_kind.value, "channel": channel.value,
                                                       "enabled": bool(enabled), "url": url})
    heads = _headcounts(session)
    watched = monitored_agencies(session)  # the report's own rule, not a second copy of it
    names = {a.key: a.name for a in agencies} | dict(session.execute(select(Agency.key, Agency.name)).all())
    return [{"key": a.key, "name": a.name, "short": a.short_name, "kind": a.kind.value, "unit_type": a.unit_type,
             "admin_code": a.admin_code, "parent": a.parent_key, "parent_name": names.get(a.parent_key),
             "headcount": {"staff": heads.get(a.key, {}).get("staff"), "comms_staff": heads.get(a.key, {}).get("comms_staff")},
             "portal": portals.get(a.key), "monitored": bool(watched.get(a.key)),
             "sources": sources.get(a.key, [])}
            for a in agencies]
