"""The figures of a month, computed once from the database and used by every output.

The HTML, the XLSX, the e-mail and the web dashboard all read this one dict, so
their counts cannot disagree. A syndicated story (one near-duplicate cluster) is
counted once per outlet.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.periods import month_bounds, previous_month
from mediaplan.db.schema import Agency, Column, Coverage, Item, Outlet, Story, Target, TargetValue, Theme
from mediaplan.vocab import CHANNELS, FORMATS, label

MULTIPLATFORM_FORMATS = {"infographic", "short_video", "qa", "podcast"}


def _items(session: Session, period: str) -> list[Item]:
    start, end = month_bounds(period)
    return list(session.scalars(
        select(Item).options(selectinload(Item.themes), selectinload(Item.outlet))
        .where(Item.published_at >= start, Item.published_at < end).order_by(Item.published_at)
    ))


def _active_themes(item: Item) -> set[str]:
    return {t.theme_code for t in item.themes if not t.removed}


def count_month(session: Session, period: str, items: list[Item] | None = None) -> dict:
    """Counts only (also used for the previous-month comparison)."""
    items = _items(session, period) if items is None else items
    edu = [i for i in items if i.education]
    units = {(i.cluster_id or i.id, i.outlet_id) for i in edu}
    by_theme: Counter = Counter()
    seen: set = set()
    for i in edu:
        for code in _active_themes(i):
            key = (code, i.cluster_id or i.id, i.outlet_id)
            if key not in seen:
                seen.add(key)
                by_theme[code] += 1
    return {"items": len(items), "education": len(units), "nq71": len({(i.cluster_id or i.id, i.outlet_id) for i in edu if i.nq71}),
            "themes": dict(by_theme)}


def compute(session: Session, period: str) -> dict:
    items = _items(session, period)
    edu = [i for i in items if i.education]
    now = count_month(session, period, items)
    before = count_month(session, previous_month(period))
    themes = session.scalars(select(Theme).order_by(Theme.position)).all()
    outlets = session.scalars(select(Outlet).order_by(Outlet.id)).all()

    def once_per_outlet(rows: list[Item]) -> list[Item]:
        seen, out = set(), []
        for i in rows:
            key = (i.cluster_id or i.id, i.outlet_id)
            if key not in seen:
                seen.add(key)
                out.append(i)
        return out

    unique_edu = once_per_outlet(edu)
    by_outlet = []
    for o in outlets:
        mine = [i for i in unique_edu if i.outlet_id == o.id]
        by_outlet.append({"key": o.key, "name": o.name, "kind": o.kind, "education": len(mine),
                          "nq71": sum(1 for i in mine if i.nq71),
                          "channels": sorted({i.channel for i in mine}),
                          "formats": sorted({i.format for i in mine if i.format})})
    channel_counts = Counter(i.channel for i in unique_edu)
    format_counts = Counter(i.format for i in unique_edu if i.format)

    # Calendar: planned vs delivered in the month.
    start, end = month_bounds(period)
    coverages = session.scalars(select(Coverage).join(Story).options(selectinload(Coverage.story), selectinload(Coverage.deliveries))
                                .where(Coverage.publish_at >= start, Coverage.publish_at < end)).all()
    planned = [c for c in coverages if c.status != "cancelled" and c.story.status != "cancelled"]
    delivered_item_ids = {d.item_id for p in planned for d in p.deliveries if d.status == "confirmed"}
    theme_rows = []
    for t in themes:
        theme_rows.append({
            "code": t.code, "name": t.name, "group": t.group,
            "items": now["themes"].get(t.code, 0), "previous": before["themes"].get(t.code, 0),
            "planned": sum(1 for p in planned if t.code in (p.story.themes or [])),
            "delivered": sum(1 for p in planned if t.code in (p.story.themes or [])
                             and any(d.status == "confirmed" for d in p.deliveries)),
        })

    # Targets.
    active_columns = {c.outlet_id for c in session.scalars(select(Column).where(Column.active.is_(True)))}
    press = [o for o in by_outlet if o["kind"] == "press"]
    press_ids = {o.key: o for o in outlets}
    portals = [o for o in by_outlet if o["kind"] in ("department", "province", "commune")]
    targets = []
    for t in session.scalars(select(Target).order_by(Target.position)):
        value, detail = None, ""
        if t.metric == "outlet_column":
            ok = [o for o in press if press_ids[o["key"]].id in active_columns and o["education"] > 0]
            value = len(ok) / len(press) if press else None
            detail = f"{len(ok)}/{len(press)} cơ quan báo chí"
        elif t.metric == "outlet_multiplatform":
            ok = [o for o in press if len(o["channels"]) >= 2 and MULTIPLATFORM_FORMATS & set(o["formats"])]
            value = len(ok) / len(press) if press else None
            detail = f"{len(ok)}/{len(press)} cơ quan báo chí"
        elif t.metric == "portal_posts":
            ok = [o for o in portals if o["education"] > 0]
            value = len(ok) / len(portals) if portals else None
            detail = f"{len(ok)}/{len(portals)} trang thông tin điện tử được theo dõi"
        elif t.metric == "theme_items":
            value = now["themes"].get(t.theme, 0)
            detail = f"{value} tin, bài"
        elif t.metric == "manual":
            latest = session.scalars(select(TargetValue).where(TargetValue.target_key == t.key)
                                     .order_by(TargetValue.as_of.desc(), TargetValue.id.desc())).first()
            if latest:
                value = latest.value
                detail = f"nhập ngày {latest.as_of:%d/%m/%Y} bởi {latest.entered_by}: {latest.evidence}"
            else:
                detail = "chưa có số liệu nhập tay"
        met = None if value is None else value >= t.threshold
        targets.append({"key": t.key, "name": t.name, "metric": t.metric, "unit": t.unit, "threshold": t.threshold,
                        "value": value, "met": met, "detail": detail, "due": t.due.isoformat() if t.due else None})

    communes = session.scalars(select(Agency).where(Agency.kind == "commune")).all()
    mentioned = {e.key for i in unique_edu for e in i.entities if e.kind == "commune"}

    return {
        "period": period,
        "previous_period": previous_month(period),
        "totals": {"items": len(items), "education": now["education"], "nq71": now["nq71"],
                   "previous_education": before["education"], "previous_nq71": before["nq71"],
                   "clusters_merged": len(edu) - len(unique_edu)},
        "themes": theme_rows,
        "outlets": by_outlet,
        "channels": [{"code": c, "name": CHANNELS[c], "items": channel_counts.get(c, 0)} for c in CHANNELS],
        "formats": [{"code": f, "name": FORMATS[f], "items": format_counts.get(f, 0)} for f in FORMATS],
        "targets": targets,
        "calendar": {"planned": len(planned),
                     "delivered": sum(1 for p in planned if any(d.status == "confirmed" for d in p.deliveries)),
                     "cancelled": len(coverages) - len(planned),
                     "unplanned": sum(1 for i in unique_edu if i.id not in delivered_item_ids
                                      and i.outlet and i.outlet.kind == "press")},
        "communes": {"total": len(communes), "mentioned": len(mentioned),
                     "portals_posting": sum(1 for o in portals if o["kind"] == "commune" and o["education"] > 0),
                     "portals_monitored": sum(1 for o in portals if o["kind"] == "commune")},
        "items": [{"id": i.id, "title": i.title, "url": i.url, "outlet": i.outlet.name if i.outlet else "",
                   "published_at": i.published_at.isoformat() if i.published_at else None,
                   "channel": label("channel", i.channel), "format": label("format", i.format),
                   "themes": sorted(_active_themes(i)), "nq71": bool(i.nq71), "cluster_id": i.cluster_id}
                  for i in unique_edu],
        "generated_on": date.today().isoformat(),
    }


def exemplary_items(session: Session, period: str) -> list[dict]:
    """Stories about a good model or an exemplary person in the month: the commendation shortlist.

    One row per story (near-duplicates reprinted by several sites count once), with the
    phrases that put it there and the communes it names, so the Department can check it.
    """
    from mediaplan.db.schema import ItemEntity
    from mediaplan.plans import current_plan
    from mediaplan.localtime import to_local

    shortlist = {t.code for t in current_plan().themes.themes if t.shortlist}
    names = {c.agency_key: c.name for c in current_plan().communes}
    rows, seen = [], set()
    for item in _items(session, period):
        hits = [t for t in item.themes if t.theme_code in shortlist and not t.removed]
        if not hits or (item.cluster_id or item.id) in seen:
            continue
        seen.add(item.cluster_id or item.id)
        places = session.scalars(select(ItemEntity.key).where(ItemEntity.item_id == item.id, ItemEntity.kind == "commune")).all()
        evidence = [e["text"] for t in hits for e in (t.evidence or [])]
        rows.append({
            "id": item.id, "url": item.url, "title": item.title, "outlet": item.outlet.name,
            "date": f"{to_local(item.published_at):%d/%m/%Y}" if item.published_at else "",
            "evidence": ", ".join(dict.fromkeys(evidence[:4])) or ("biên tập viên gắn nhãn" if hits else ""),
            "places": ", ".join(dict.fromkeys(names.get(k, k) for k in places)),
        })
    return rows
