"""Gaps: for a month and each theme (× platform × format where the plan sets a target),
target, planned and delivered side by side, with what to plan next.

Delivered counts published items of the theme (within the target's platform and format), once per
story per outlet, whether or not they were planned: `reports.counts.count`, the same count the report's
targets use. "Unplanned" is the part of it that delivers no coverage. Planned counts coverages in the
month that are not cancelled.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mediaplan.calendar.month import coverages_between, key_dates_in
from mediaplan.db.schema import Item, Outlet, Target, Theme
from mediaplan.localtime import local_midnight_utc, local_today
from mediaplan.periods import month_bounds
from mediaplan.reports import counts
from mediaplan.reports.counts import Limits
from mediaplan.vocab import CoverageStatus, Format, OutletKind, Platform, StoryStatus, TargetMetric


def compute_gaps(session: Session, period: str, weeks: int = 4, today: date | None = None) -> dict:
    start, end = month_bounds(period)
    today = today or local_today()
    themes = {t.code: t.name for t in session.scalars(select(Theme).order_by(Theme.position))}
    coverages = [c for c in coverages_between(session, start, end) if c.status != CoverageStatus.CANCELLED and c.story.status != StoryStatus.CANCELLED]
    month = Limits(start=start, end=end)

    def row(theme: str, platform: str | None, fmt: str | None, target: float | None, key: str | None) -> dict:
        planned = [c for c in coverages if theme in (c.story.themes or [])
                   and (not platform or c.platform == platform) and (not fmt or c.format == fmt)]
        limits = month.but(theme=theme, platform=platform, format=fmt)  # the report's target counts the same
        return {"theme": theme, "theme_name": themes.get(theme, theme), "platform": platform, "format": fmt,
                "target": target, "target_key": key, "planned": len(planned), "delivered": counts.count(session, limits),
                "unplanned": counts.unplanned(session, limits),
                "planned_ids": [c.id for c in planned], "delivered_ids": counts.representatives(session, limits)}

    rows = []
    targeted = set()
    for t in session.scalars(select(Target).where(Target.metric == TargetMetric.THEME_ITEMS).order_by(Target.position)):
        rows.append(row(t.theme, t.platform, t.format, t.threshold, t.key))
        targeted.add(t.theme)
    for code in themes:
        if code not in targeted:
            rows.append(row(code, None, None, None, None))
    rows.sort(key=lambda r: (list(themes).index(r["theme"]) if r["theme"] in themes else 99, r["platform"] or "", r["format"] or ""))

    # Each flag and suggestion carries its facts (the page says them in its own language) and a Vietnamese
    # `message` (the command line): names and labels, never codes.
    flags, hints = [], []
    for r in rows:
        if r["target"] is not None and r["delivered"] < r["target"]:
            where = ", ".join(x for x in (r["platform"] and Platform(r["platform"]).label,
                                          r["format"] and Format(r["format"]).label) if x)
            flags.append({"kind": "under_target", "theme": r["theme"], "theme_name": r["theme_name"],
                          "platform": r["platform"], "format": r["format"], "delivered": r["delivered"],
                          "target": r["target"], "planned": r["planned"],
                          "message": f"{r['theme_name']}{f' ({where})' if where else ''}: đã đăng {r['delivered']}/{r['target']:g} "
                                     f"theo chỉ tiêu, đã lên kế hoạch {r['planned']}"})
    horizon_start = local_midnight_utc(today)
    upcoming = coverages_between(session, horizon_start, horizon_start + timedelta(weeks=weeks))
    planned_ahead = {t for c in upcoming if c.status != CoverageStatus.CANCELLED for t in (c.story.themes or [])}
    for code, name in themes.items():
        if code not in planned_ahead:
            flags.append({"kind": "nothing_planned", "theme": code, "theme_name": name, "weeks": weeks,
                          "message": f"{name}: chưa có gì trong kế hoạch {weeks} tuần tới"})
    uncovered = [r["theme_name"] for r in rows if r["planned"] == 0 and r["delivered"] == 0 and r["platform"] is None]
    if uncovered:
        names = list(dict.fromkeys(uncovered))
        hints.append({"kind": "uncovered", "themes": names,
                      "message": "Chủ đề chưa có tin, bài nào trong tháng: " + ", ".join(names)})
    for d, kds in _key_dates_ahead(session, today, weeks).items():
        for kd in kds:
            hints.append({"kind": "key_date", "day": d, "name": kd.name,
                          "message": f"Mốc {d:%d/%m}: {kd.name} — lên kế hoạch tin bài trước ngày này"})
    for item in _exemplary_not_featured(session, start, end):
        hints.append({"kind": "exemplary", "item_id": item.id, "title": item.title, "outlet": item.outlet.name,
                      "message": f"Gương điển hình chưa được báo chí khai thác: “{item.title}” ({item.outlet.name})"})
    return {"period": period, "rows": rows, "flags": flags, "hints": hints,
            "suggestions": [h["message"] for h in hints]}


def _key_dates_ahead(session: Session, today: date, weeks: int) -> dict:
    out = {}
    last = today + timedelta(weeks=weeks)
    months = {(today.year, today.month), (last.year, last.month)}
    for year, month in sorted(months):
        for d, kds in key_dates_in(session, year, month).items():
            if today <= d <= last:
                out[d] = kds
    return dict(sorted(out.items()))


def _exemplary_not_featured(session: Session, start, end) -> list[Item]:
    """Exemplary stories on department and commune sites that no press outlet has told yet."""
    from mediaplan.plans import current_plan

    shortlist = {t.code for t in current_plan().themes.themes if t.shortlist}
    rows = session.scalars(select(Item).join(Outlet).options(selectinload(Item.themes), selectinload(Item.outlet))
                           .where(Item.published_at >= start, Item.published_at < end, Outlet.kind != OutletKind.PRESS)).all()
    press_clusters = set(session.scalars(select(Item.cluster_id).join(Outlet).where(Outlet.kind == OutletKind.PRESS, Item.cluster_id.is_not(None))))
    return [i for i in rows if {t.theme_code for t in i.themes if not t.removed} & shortlist
            and (i.cluster_id is None or i.cluster_id not in press_clusters)][:5]
