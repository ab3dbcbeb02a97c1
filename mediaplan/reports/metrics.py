"""The figures of a period, computed once from the database and used by every output.

The HTML, the XLSX, the e-mail and the web dashboard all read this one dict, and every count of items in it is
made in SQL by `reports.counts` (a near-duplicate cluster counts once per outlet; docs/metrics.md defines each
figure), so their counts cannot disagree and a month of 40k items is counted without loading it.

A target is evaluated only when its figure is complete: "met" is True or False, or None with the reason
("chưa đủ dữ liệu"): a limit on a channel nobody monitors, units whose portal is not watched, a figure
nobody entered.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import Agency, Column, Coverage, Item, ItemEntity, Outlet, Story, Target, TargetValue, Theme
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.periods import FIRST_DAY, Period, month_bounds, parse_period, shift_month
from mediaplan.reports import counts
from mediaplan.reports.counts import Limits
from mediaplan.vocab import CHANNELS, FORMATS, AgencyKind, OutletKind, label

# What each figure means, in the users' words: shown as a tooltip on the dashboard and as the report's notes.
# docs/metrics.md gives the same definitions at length; a test keeps every key here named there.
DEFINITIONS = {
    "items": "Mọi tin, bài thu thập được đăng trong kỳ, có hay không về giáo dục.",
    "education": "Tin, bài về giáo dục; các bản trùng nhau của một tin trên cùng một cơ quan tính một lần.",
    "nq71": "Tin, bài về giáo dục có nêu Nghị quyết số 71-NQ/TW hoặc Quyết định số 157/QĐ-TTg.",
    "theme_items": "Tin, bài đã đăng thuộc chủ đề (một tin có thể thuộc nhiều chủ đề).",
    "planned": "Tin, bài đã lên kế hoạch trong lịch biên tập có lịch đăng trong kỳ, không tính mục đã hủy.",
    "delivered": "Tin, bài kế hoạch đã đăng: mục kế hoạch đã được nối với một tin, bài đã đăng.",
    "unplanned": "Tin, bài của cơ quan báo chí không gắn với mục kế hoạch nào.",
    "units": "Mọi sở, ngành trong kế hoạch và 96 xã, phường, đặc khu; đơn vị chưa được theo dõi vẫn tính trong tổng số.",
    "evaluation": "Chỉ đánh giá Đạt / Chưa đạt khi số liệu đủ; nếu không, ghi rõ vì sao chưa đủ dữ liệu.",
}

MULTIPLATFORM_FORMATS = {"infographic", "short_video", "qa", "podcast"}
PORTAL_UNITS = (AgencyKind.DEPARTMENT, AgencyKind.COMMUNE)  # the units plan V.6 asks to post (its denominator)
ITEM_LIST_CAP = 5000  # the report's list of items (the XLSX sheet); the counts are never capped


def count_period(session: Session, period: Period) -> dict:
    """Counts only (also used for the comparison with the previous period)."""
    start, end = period.bounds
    month = Limits(start=start, end=end)
    return {"items": session.scalar(select(func.count()).select_from(Item)
                                    .where(Item.published_at >= start, Item.published_at < end)) or 0,
            "education": counts.count(session, month), "nq71": counts.count(session, month.but(nq71=True)),
            "themes": counts.count_by(session, month, "theme")}


def monthly_series(session: Session, period: Period, months: int = 12) -> list[dict]:
    """Education and NQ 71 stories per month: the months of the period, or the `months` up to its last month
    when it is shorter (the trend chart)."""
    span = max(period.months, months)
    out = []
    for k in range(span - 1, -1, -1):
        m = shift_month(period.last, -k)
        if m < f"{FIRST_DAY.year:04d}-01":
            continue
        limits = Limits(*month_bounds(m))
        out.append({"month": m, "education": counts.count(session, limits), "nq71": counts.count(session, limits.but(nq71=True))})
    return out


def _plan_start() -> datetime | None:
    from mediaplan.plans import current_plan

    starts = getattr(current_plan().meta, "starts", None)
    return local_midnight_utc(starts) if starts else None


def unit_compliance(session: Session, start: datetime, end: datetime) -> list[dict]:
    """Plan V.6, one row per unit it names (every department, commune, ward and the special zone): its portal
    and whether we watch it, its posts about Resolution 71 in the period and since the plan began, its last post,
    and its status. A unit whose portal is not watched stays in the list as "chưa theo dõi", never dropped."""
    nq71 = Limits(nq71=True, education=False)
    in_period = counts.count_by(session, nq71.but(start=start, end=end), "agency")
    since = counts.count_by(session, nq71.but(start=_plan_start(), end=end), "agency")
    last = counts.last_post_by_agency(session, nq71.but(end=end))
    watched = counts.monitored_agencies(session)
    portals = {k: url for k, url in session.execute(select(Outlet.agency_key, Outlet.homepage).where(Outlet.agency_key.is_not(None)))}
    rows = []
    units = session.scalars(select(Agency).where(Agency.kind.in_(PORTAL_UNITS)).order_by(Agency.kind.desc(), Agency.key))
    for unit in units:
        monitored = bool(watched.get(unit.key))
        posts = in_period.get(unit.key, 0)
        status = ("chưa theo dõi" if not monitored else "đã đăng" if posts else "chưa đăng")
        rows.append({"key": unit.key, "name": unit.short_name if unit.kind == AgencyKind.COMMUNE and unit.short_name else unit.name,
                     "kind": unit.kind, "portal": portals.get(unit.key), "monitored": monitored,
                     "sources": watched.get(unit.key, []), "posts": posts, "posts_since_start": since.get(unit.key, 0),
                     "last_post": to_local(last[unit.key]).date().isoformat() if unit.key in last else None,
                     "status": status})
    return rows


def _verdict(value, threshold, missing: str | None) -> tuple[bool | None, str]:
    """(met, evaluation): met only when the figure is complete; otherwise None and why."""
    if value is None or missing:
        return None, f"chưa đủ dữ liệu: {missing or 'chưa có số liệu'}"
    return value >= threshold, "Đạt" if value >= threshold else "Chưa đạt"


def compute(session: Session, period: str | Period) -> dict:
    """Every figure of a period ("2026-11", "2026-Q4", "2026-H2", "2026", "since-start"; see `periods.parse_period`)."""
    period = period if isinstance(period, Period) else parse_period(period)
    previous = period.previous()
    start, end = period.bounds
    month = Limits(start=start, end=end)
    now = count_period(session, period)
    before = count_period(session, previous)
    themes = session.scalars(select(Theme).order_by(Theme.position)).all()
    outlets = session.scalars(select(Outlet).order_by(Outlet.id)).all()
    by_outlet_counts = counts.count_by(session, month, "outlet")
    nq71_by_outlet = counts.count_by(session, month.but(nq71=True), "outlet")
    by_outlet = []
    for o in outlets:
        mine = month.but(outlet_key=o.key)
        channels = counts.count_by(session, mine, "channel") if by_outlet_counts.get(o.key) else {}
        formats = counts.count_by(session, mine, "format") if by_outlet_counts.get(o.key) else {}
        by_outlet.append({"key": o.key, "name": o.name, "kind": o.kind, "education": by_outlet_counts.get(o.key, 0),
                          "nq71": nq71_by_outlet.get(o.key, 0), "channels": sorted(channels), "formats": sorted(formats)})
    channel_counts = counts.count_by(session, month, "channel")
    format_counts = counts.count_by(session, month, "format")

    # Calendar: planned coverages in the month, and those published (a confirmed link to a published item).
    coverages = session.scalars(select(Coverage).join(Story).options(selectinload(Coverage.story), selectinload(Coverage.deliveries))
                                .where(Coverage.publish_at >= start, Coverage.publish_at < end)).all()
    planned = [c for c in coverages if c.status != "cancelled" and c.story.status != "cancelled"]
    theme_rows = []
    for t in themes:
        theme_rows.append({
            "code": t.code, "name": t.name, "group": t.group,
            "items": now["themes"].get(t.code, 0), "previous": before["themes"].get(t.code, 0),
            "planned": sum(1 for p in planned if t.code in (p.story.themes or [])),
            "delivered": sum(1 for p in planned if t.code in (p.story.themes or [])
                             and any(d.status == "confirmed" for d in p.deliveries)),
        })

    # Targets, each counted as the plan data defines it.
    active_columns = {c.outlet_id for c in session.scalars(select(Column).where(Column.active.is_(True)))}
    outlet_ids = {o.key: o.id for o in outlets}
    press = [o for o in by_outlet if o["kind"] == OutletKind.PRESS]
    units = unit_compliance(session, start, end)
    targets = []
    for t in session.scalars(select(Target).order_by(Target.position)):
        value, detail, missing = None, "", None
        if t.metric == "outlet_column":
            ok = [o for o in press if outlet_ids[o["key"]] in active_columns and o["education"] > 0]
            value = len(ok) / len(press) if press else None
            detail = f"{len(ok)}/{len(press)} cơ quan báo chí"
        elif t.metric == "outlet_multiplatform":
            ok = [o for o in press if len(o["channels"]) >= 2 and MULTIPLATFORM_FORMATS & set(o["formats"])]
            value = len(ok) / len(press) if press else None
            detail = f"{len(ok)}/{len(press)} cơ quan báo chí"
        elif t.metric == "portal_posts":
            posted = sum(1 for u in units if u["posts"])
            unwatched = sum(1 for u in units if not u["monitored"])
            value = posted / len(units) if units else None
            detail = (f"{posted}/{len(units)} sở, ngành, xã, phường, đặc khu có tin, bài về Nghị quyết 71"
                      + (f"; {unwatched} đơn vị chưa được theo dõi" if unwatched else ""))
            if unwatched:
                missing = f"{unwatched}/{len(units)} đơn vị chưa được theo dõi trang thông tin điện tử"
        elif t.metric == "theme_items":
            value = counts.count(session, month.but(theme=t.theme, platform=t.platform, format=t.format))
            limits = ", ".join(x for x in (label("platform", t.platform) if t.platform else "",
                                           label("format", t.format) if t.format else "") if x)
            detail = f"{value} tin, bài" + (f" ({limits})" if limits else "")
            if t.platform:
                off = counts.unwatched_sources(session, counts.channels_for(t.platform))
                if off is None:
                    missing = f"kênh {label('platform', t.platform)} chưa được theo dõi"
                elif off:
                    missing = f"nguồn {', '.join(off)} ({label('platform', t.platform)}) chưa thu thập"
        elif t.metric == "manual":
            latest = session.scalars(select(TargetValue).where(TargetValue.target_key == t.key)
                                     .order_by(TargetValue.as_of.desc(), TargetValue.id.desc())).first()
            if latest:
                value = latest.value
                detail = f"nhập ngày {latest.as_of:%d/%m/%Y} bởi {latest.entered_by}: {latest.evidence}"
            else:
                detail = "chưa có số liệu nhập tay"
        met, evaluation = _verdict(value, t.threshold, missing)
        targets.append({"key": t.key, "name": t.name, "metric": t.metric, "unit": t.unit, "threshold": t.threshold,
                        "value": value, "met": met, "evaluation": evaluation, "detail": detail,
                        "due": t.due.isoformat() if t.due else None})

    communes = [u for u in units if u["kind"] == AgencyKind.COMMUNE]
    mentioned = session.scalar(
        select(func.count(func.distinct(ItemEntity.key))).join(Item, Item.id == ItemEntity.item_id)
        .where(ItemEntity.kind == "commune", Item.education.is_(True), Item.published_at >= start,
               Item.published_at < end)) or 0
    listed = counts.representatives(session, month, cap=ITEM_LIST_CAP)
    items = session.scalars(select(Item).options(selectinload(Item.themes), selectinload(Item.outlet))
                            .where(Item.id.in_(listed)).order_by(Item.published_at, Item.id)) if listed else []
    edu_rows = session.scalar(select(func.count()).select_from(Item).where(
        Item.education.is_(True), Item.published_at >= start, Item.published_at < end)) or 0

    return {
        "period": period.key,
        "period_kind": period.kind,
        "period_label": period.label,
        "first_month": period.first,
        "last_month": period.last,
        "previous_period": previous.key,
        "previous_label": previous.label,
        "series": monthly_series(session, period),
        "totals": {"items": now["items"], "education": now["education"], "nq71": now["nq71"],
                   "previous_education": before["education"], "previous_nq71": before["nq71"],
                   "clusters_merged": edu_rows - now["education"]},
        "themes": theme_rows,
        "outlets": by_outlet,
        "channels": [{"code": c, "name": CHANNELS[c], "items": channel_counts.get(c, 0)} for c in CHANNELS],
        "formats": [{"code": f, "name": FORMATS[f], "items": format_counts.get(f, 0)} for f in FORMATS],
        "targets": targets,
        "units": units,
        "calendar": {"planned": len(planned),
                     "delivered": sum(1 for p in planned if any(d.status == "confirmed" for d in p.deliveries)),
                     "cancelled": len(coverages) - len(planned),
                     "unplanned": counts.unplanned(session, month.but(outlet_kinds=(OutletKind.PRESS,)))},
        "communes": {"total": len(communes), "mentioned": mentioned,
                     "portals_posting": sum(1 for u in communes if u["posts"]),
                     "portals_monitored": sum(1 for u in communes if u["monitored"])},
        "items": [{"id": i.id, "title": i.title, "url": i.url, "outlet": i.outlet.name if i.outlet else "",
                   "published_at": i.published_at.isoformat() if i.published_at else None,
                   "channel": label("channel", i.channel), "format": label("format", i.format),
                   "themes": sorted(t.theme_code for t in i.themes if not t.removed), "nq71": bool(i.nq71),
                   "cluster_id": i.cluster_id}
                  for i in items],
        "generated_on": date.today().isoformat(),
    }


def exemplary_items(session: Session, period: str) -> list[dict]:
    """Stories about a good model or an exemplary person in the month: the commendation shortlist.

    One row per story (near-duplicates reprinted by several sites count once), with the
    phrases that put it there and the communes it names, so the Department can check it.
    """
    from mediaplan.db.schema import ItemTheme
    from mediaplan.plans import current_plan

    shortlist = {t.code for t in current_plan().themes.themes if t.shortlist}
    names = {c.agency_key: c.name for c in current_plan().communes}
    start, end = parse_period(period).bounds
    candidates = session.scalars(
        select(Item).options(selectinload(Item.themes), selectinload(Item.outlet))
        .where(Item.published_at >= start, Item.published_at < end,
               Item.id.in_(select(ItemTheme.item_id).where(ItemTheme.theme_code.in_(shortlist), ItemTheme.removed.is_(False))))
        .order_by(Item.published_at))
    rows, seen = [], set()
    for item in candidates:
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
