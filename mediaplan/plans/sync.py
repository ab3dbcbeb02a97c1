"""Write the plan's data into the database (upsert by key), keeping what monitoring learned.

Re-running is idempotent: rows are matched by their stable keys, and a source's
health (last success, failures in a row) survives a plan refresh.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Agency, KeyDate, Outlet, Source, Target, Theme, UnitHeadcount
from mediaplan.plans import Plan
from mediaplan.vocab import AgencyKind, HeadcountKind


def _upsert(session: Session, model, key_field: str, key, **values):
    row = session.scalar(select(model).where(getattr(model, key_field) == key))
    if row is None:
        row = model(**{key_field: key}, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def _headcounts(session: Session, plan: Plan) -> None:
    """A headcount the plan data gives (agencies.yaml `headcount:`) becomes the figure as of the plan's start,
    unless one is already stored for that day: a figure a unit later reported through `registers` wins, and an
    unknown one (null) writes nothing, so the registers say it is missing instead of dividing by a guess."""
    for a in plan.agencies.agencies:
        for kind in HeadcountKind:
            count = getattr(a.headcount, kind.value)
            if count is None:
                continue
            exists = session.scalar(select(UnitHeadcount.id).where(UnitHeadcount.unit_key == a.key,
                                                                   UnitHeadcount.kind == kind,
                                                                   UnitHeadcount.as_of == plan.meta.starts))
            if exists is None:
                session.add(UnitHeadcount(unit_key=a.key, kind=kind, count=count, as_of=plan.meta.starts,
                                          source="agencies.yaml", entered_by="plan"))


def sync_plan(session: Session, plan: Plan) -> dict[str, int]:
    for pos, t in enumerate(plan.themes.themes):
        _upsert(session, Theme, "code", t.code, group=t.group, name=t.name, definition=t.definition,
                source=t.source, position=pos)
    # Communes, wards and the special zone belong to the province's UBND (the plan's one `province` agency).
    province = next((a.key for a in plan.agencies.agencies if a.kind == AgencyKind.PROVINCE), None)
    for a in plan.agencies.agencies:
        _upsert(session, Agency, "key", a.key, name=a.name, short_name=a.short or a.name, kind=a.kind,
                unit_type=None, admin_code=None, aliases=list(a.aliases), parent_key=a.parent)
    for c in plan.communes:
        _upsert(session, Agency, "key", c.agency_key, name=c.agency_name, short_name=c.name, kind=AgencyKind.COMMUNE,
                unit_type=c.unit_type, admin_code=c.code, aliases=list(c.aliases), parent_key=province)
    session.flush()
    _headcounts(session, plan)
    n_sources = 0
    for o in plan.outlets.outlets:
        agency = o.agency or (plan.commune_by_name(o.commune).agency_key if o.commune else None)
        outlet = _upsert(session, Outlet, "key", o.key, name=o.name, kind=o.kind, agency_key=agency,
                         homepage=o.homepage, profile=o.profile, verified=o.verified)
        session.flush()
        for s in o.sources:
            config = {k: v for k, v in {"article_pattern": s.article_pattern, "next_page": s.next_page,
                                        "note": s.note}.items() if v}
            existing = session.scalar(select(Source).where(Source.key == s.key))
            manual_off = bool(existing and (existing.config or {}).get("disabled_manually"))
            if manual_off:
                config["disabled_manually"] = True
            _upsert(session, Source, "key", s.key, outlet_id=outlet.id, kind=s.kind, url=s.url, channel=s.channel,
                    platform=s.platform, interval_minutes=s.interval_minutes, verified=s.verified,
                    enabled=s.enabled and not manual_off, config=config, adhoc=False)
            n_sources += 1
    for pos, t in enumerate(plan.targets.targets):
        _upsert(session, Target, "key", t.key, name=t.name, definition=t.definition, source=t.source,
                metric=t.metric, theme=t.theme, platform=t.platform, format=t.format, threshold=t.threshold,
                unit=t.unit, per=t.per, due=t.due, register=t.register_kind, headcount=t.headcount,
                position=pos)
    for k in plan.key_dates.key_dates:
        _upsert(session, KeyDate, "key", k.key, name=k.name, month=k.month, day=k.day, month_end=k.month_end,
                day_end=k.day_end, on=k.date, themes=list(k.themes), note=k.note)
    session.flush()
    return {
        "themes": len(plan.themes.themes),
        "agencies": len(plan.agencies.agencies) + len(plan.communes),
        "communes": len(plan.communes),
        "outlets": len(plan.outlets.outlets),
        "sources": n_sources,
        "targets": len(plan.targets.targets),
        "key_dates": len(plan.key_dates.key_dates),
    }
