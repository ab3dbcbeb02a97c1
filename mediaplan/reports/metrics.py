"""The figures of a period, computed once from the database and used by every output.

The HTML, the XLSX, the e-mail and the web dashboard all read this one dict, and every count of items in it is
made in SQL by `reports.counts` (a near-duplicate cluster counts once per outlet; docs/metrics.md defines each
figure), so their counts cannot disagree and a month of 40k items is counted without loading it.

A target is evaluated only when its figure is complete: "met" is True or False, or None with the reason
("chưa đủ dữ liệu"): a limit on a channel nobody monitors, units whose portal is not watched, a figure
nobody entered, or a period with no item collected at all. That last case is defined once, by `data_gaps`
(`figures["no_data"]`), and every surface prints its statement rather than a report of zeros that reads like a
month in which nobody published. The commendation shortlist (`exemplary_items`, `figures["exemplary"]`) is the
same list `mediaplan nlp shortlist` prints.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from mediaplan.db.schema import (Agency, Column, Coverage, Item, ItemEntity, ItemTheme, Outlet, Story, Target,
                                 TargetValue, Theme)
from mediaplan.localtime import local_midnight_utc, to_local
from mediaplan.periods import FIRST_DAY, Period, month_bounds, parse_period, shift_month
from mediaplan.reports import counts
from mediaplan.reports.counts import Limits
from mediaplan.reports.narrative import vi_number
from mediaplan.vocab import CHANNELS, FORMATS, AgencyKind, OutletKind, label
from mediaplan.crawler.store import http_url  # the one link rule: only http(s) becomes clickable

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
    "disseminated": "Tỷ lệ cán bộ, công chức, viên chức được quán triệt: mỗi đơn vị lấy số người dự đông nhất trong các "
                    "hội nghị quán triệt đến hết kỳ (không quá biên chế), cộng cả tỉnh, chia cho tổng biên chế của mọi đơn vị.",
    "trained": "Tỷ lệ cán bộ làm công tác truyền thông được đào tạo, bồi dưỡng: mỗi đơn vị cộng số học viên của các lớp "
               "đến hết kỳ (không quá số cán bộ truyền thông của đơn vị), cộng cả tỉnh, chia cho tổng số cán bộ truyền thông.",
    "headcount": "Số biên chế và số cán bộ làm công tác truyền thông của từng đơn vị, theo số liệu gần nhất đến hết kỳ; "
                 "thiếu số của một đơn vị thì chỉ tiêu chưa đủ dữ liệu.",
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


def _seen_by_outlet(session: Session, limits: Limits, column) -> dict[int, list[str]]:
    """Per outlet id, the channels (or formats) on which it ran a counted story in the period, sorted: one query
    for every outlet, grouped in SQL, where asking `count_by` outlet by outlet cost two queries per outlet. The
    multi-platform target only asks which channels and formats an outlet used, never how many stories each."""
    rows = session.execute(limits.where(select(Item.outlet_id, column).where(column.is_not(None))
                                        .group_by(Item.outlet_id, column)))
    out: dict[int, list[str]] = {}
    for outlet_id, key in rows:
        out.setdefault(outlet_id, []).append(key)
    return {k: sorted(v) for k, v in out.items()}


# Targets counted from monitored items: with no item collected in the period their figure says nothing about the
# plan (a zero because nothing was read), so they read "chưa đủ dữ liệu". A figure entered by hand or taken from a
# register does not come from monitoring and keeps its own evaluation.
ITEM_METRICS = frozenset({"outlet_column", "outlet_multiplatform", "portal_posts", "theme_items"})
NO_DATA_LEAD = "Trong kỳ báo cáo chưa có dữ liệu theo dõi"


def no_data_statement(figures: dict) -> str | None:
    """The one sentence saying why a period has no data (`data_gaps`, stored as figures["no_data"]), or None when
    it has data. Every surface that says "no data" (documents, CLI, e-mail) reads it here, never from a count."""
    return (figures.get("no_data") or {}).get("statement") or None


def data_gaps(session: Session, period: Period, items: int, planned: int) -> dict:
    """The one definition of "a period with no data", which every surface reads from the figures (`no_data`):
    the report's HTML, DOCX, PDF and XLSX print `statement` prominently, the targets read "chưa đủ dữ liệu", the
    draft narrative says why. Without it an empty month looks like a month in which nobody published anything.

    `items` is the reason no item was collected (None when some were): the period has not begun, the sources are
    all switched off, have never run, stopped before the period, began only after it (a feed no longer holds what
    was published then), or ran and found nothing published in it. `plan` says the editorial calendar
    has no coverage in the period (None when it has). `statement` is "" when both are there."""
    from mediaplan.db.schema import CrawlRun, Source

    start, end = period.bounds
    why_items = None
    if not items:
        enabled = session.scalar(select(func.count()).select_from(Source)
                                 .where(Source.enabled.is_(True), Source.adhoc.is_(False))) or 0
        first_run, last_run = session.execute(select(func.min(CrawlRun.started_at), func.max(CrawlRun.started_at))).one()
        if start > datetime.now(start.tzinfo):
            why = "do kỳ báo cáo chưa bắt đầu"
        elif not enabled:
            why = "do các nguồn tin đều đã tắt, không nguồn nào đang thu thập"
        elif last_run is None:
            why = "do các nguồn tin chưa chạy lần thu thập nào"
        elif last_run < start:
            why = f"do các nguồn tin ngừng chạy từ ngày {to_local(last_run):%d/%m/%Y}, trước kỳ báo cáo"
        elif first_run >= end:
            why = f"do việc thu thập chỉ bắt đầu từ ngày {to_local(first_run):%d/%m/%Y}, sau kỳ báo cáo"
        else:  # no date here: the reason, and so the version's content, would change with every crawl
            why = "dù các nguồn tin vẫn chạy"
        why_items = f"chưa thu thập được tin, bài nào đăng trong kỳ {why}"
    why_plan = None if planned else "lịch biên tập chưa có tin, bài nào được lên kế hoạch trong kỳ"
    gaps = [x for x in (why_items, why_plan) if x]
    lead = NO_DATA_LEAD if why_items else "Trong kỳ báo cáo chưa có dữ liệu lịch biên tập"
    statement = f"{lead}: {'; '.join(gaps)}." if gaps else ""
    if why_items:
        statement += (" Các số liệu về tin, bài trong báo cáo này bằng 0 và chưa phản ánh kết quả thực hiện Kế hoạch; "
                      "các chỉ tiêu tính từ tin, bài ghi «chưa đủ dữ liệu».")
    return {"items": why_items, "plan": why_plan, "statement": statement}


def has_no_items(figures: dict) -> bool:
    """Whether a figures dict (also one stored on an older version, without `no_data`) has no item collected."""
    gaps = figures.get("no_data")
    return bool(gaps["items"]) if gaps else not (figures.get("totals") or {}).get("items")


def _verdict(value, threshold, missing: str | None) -> tuple[bool | None, str]:
    """(met, evaluation): met only when the figure is complete; otherwise None and why."""
    if value is None or missing:
        return None, f"chưa đủ dữ liệu: {missing or 'chưa có số liệu'}"
    return value >= threshold, "Đạt" if value >= threshold else "Chưa đạt"


def _registers(session: Session, period: Period) -> dict:
    """The registers of conferences and courses (events of the period, both indicators per unit), in the figures so
    that the report's appendix, its XLSX sheets and the version's stored figures come from the same count."""
    from mediaplan.services.registers import register_figures

    return register_figures(session, period)


def _register_target(session: Session, target: Target, period: Period) -> tuple[float | None, str, str | None]:
    """A target counted from a register (services.registers.indicator) as of the period's last day:
    (value, detail, why it is incomplete)."""
    from mediaplan.services.registers import indicator, period_days

    if not target.register or not target.headcount:
        return None, "", "chỉ tiêu chưa khai báo sổ theo dõi và loại biên chế (chạy mediaplan init)"
    figure = indicator(session, target.register, target.headcount, period_days(period)[1])
    return figure["value"], figure["detail"], figure["reason"]


def compute(session: Session, period: str | Period, *, lists: bool = True) -> dict:
    """Every figure of a period ("2026-11", "2026-Q4", "2026-H2", "2026", "since-start"; see `periods.parse_period`).

    `lists=False` (the dashboard) leaves out the two lists only documents print, the period's items (up to
    ITEM_LIST_CAP, loaded with their themes) and the shortlist's stories: `items` and `exemplary.stories` are
    empty and `lists` says so; every count, the shortlist's total included, is the same query either way."""
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
    channels_of = _seen_by_outlet(session, month, Item.channel)
    formats_of = _seen_by_outlet(session, month, Item.format)
    by_outlet = []
    for o in outlets:
        by_outlet.append({"key": o.key, "name": o.name, "kind": o.kind, "education": by_outlet_counts.get(o.key, 0),
                          "nq71": nq71_by_outlet.get(o.key, 0), "channels": channels_of.get(o.id, []),
                          "formats": formats_of.get(o.id, [])})
    channel_counts = counts.count_by(session, month, "channel")
    format_counts = counts.count_by(session, month, "format")

    # Calendar: planned coverages in the month, and those published (a confirmed link to a published item).
    coverages = session.scalars(select(Coverage).join(Story).options(selectinload(Coverage.story), selectinload(Coverage.deliveries))
                                .where(Coverage.publish_at >= start, Coverage.publish_at < end)).all()
    planned = [c for c in coverages if c.status != "cancelled" and c.story.status != "cancelled"]
    gaps = data_gaps(session, period, now["items"], len(planned))
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
            detail = f"{vi_number(len(ok))}/{vi_number(len(press))} cơ quan báo chí"
        elif t.metric == "outlet_multiplatform":
            ok = [o for o in press if len(o["channels"]) >= 2 and MULTIPLATFORM_FORMATS & set(o["formats"])]
            value = len(ok) / len(press) if press else None
            detail = f"{vi_number(len(ok))}/{vi_number(len(press))} cơ quan báo chí"
        elif t.metric == "portal_posts":
            posted = sum(1 for u in units if u["posts"])
            unwatched = sum(1 for u in units if not u["monitored"])
            value = posted / len(units) if units else None
            share = f"{vi_number(posted)}/{vi_number(len(units))}"
            detail = (f"{share} sở, ngành, xã, phường, đặc khu có tin, bài về Nghị quyết 71"
                      + (f"; {vi_number(unwatched)} đơn vị chưa được theo dõi" if unwatched else ""))
            if unwatched:
                missing = (f"{vi_number(unwatched)}/{vi_number(len(units))} đơn vị chưa được theo dõi "
                           "trang thông tin điện tử")
        elif t.metric == "theme_items":
            value = counts.count(session, month.but(theme=t.theme, platform=t.platform, format=t.format))
            limits = ", ".join(x for x in (label("platform", t.platform) if t.platform else "",
                                           label("format", t.format) if t.format else "") if x)
            detail = f"{vi_number(value)} tin, bài" + (f" ({limits})" if limits else "")
            if t.platform:
                off = counts.unwatched_sources(session, counts.channels_for(t.platform))
                if off is None:
                    missing = f"kênh {label('platform', t.platform)} chưa được theo dõi"
                elif off:
                    missing = f"nguồn {', '.join(off)} ({label('platform', t.platform)}) chưa thu thập"
        elif t.metric == "register":
            value, detail, missing = _register_target(session, t, period)
        elif t.metric == "manual":
            latest = session.scalars(select(TargetValue).where(TargetValue.target_key == t.key)
                                     .order_by(TargetValue.as_of.desc(), TargetValue.id.desc())).first()
            if latest:
                value = latest.value
                detail = f"nhập ngày {latest.as_of:%d/%m/%Y} bởi {latest.entered_by}: {latest.evidence}"
            else:
                detail = "chưa có số liệu nhập tay"
        if gaps["items"] and t.metric in ITEM_METRICS:
            missing = gaps["items"]
        met, evaluation = _verdict(value, t.threshold, missing)
        targets.append({"key": t.key, "name": t.name, "metric": t.metric, "unit": t.unit, "threshold": t.threshold,
                        "value": value, "met": met, "evaluation": evaluation, "detail": detail,
                        "due": t.due.isoformat() if t.due else None})

    communes = [u for u in units if u["kind"] == AgencyKind.COMMUNE]
    mentioned = session.scalar(
        select(func.count(func.distinct(ItemEntity.key))).join(Item, Item.id == ItemEntity.item_id)
        .where(ItemEntity.kind == "commune", Item.education.is_(True), Item.published_at >= start,
               Item.published_at < end)) or 0
    listed = counts.representatives(session, month, cap=ITEM_LIST_CAP) if lists else []
    items = _listed_rows(session, listed)
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
        "no_data": gaps,
        "exemplary": exemplary_section(session, period) if lists else
        {**exemplary_section_names(), "stories": [], "total": _exemplary_count(session, period)},
        "lists": lists,
        "registers": _registers(session, period),
        "calendar": {"planned": len(planned),
                     "delivered": sum(1 for p in planned if any(d.status == "confirmed" for d in p.deliveries)),
                     "cancelled": len(coverages) - len(planned),
                     "unplanned": counts.unplanned(session, month.but(outlet_kinds=(OutletKind.PRESS,)))},
        "communes": {"total": len(communes), "mentioned": mentioned,
                     "portals_posting": sum(1 for u in communes if u["posts"]),
                     "portals_monitored": sum(1 for u in communes if u["monitored"])},
        "items": items,
        "generated_on": date.today().isoformat(),
    }


def _listed_rows(session: Session, ids: list[int]) -> list[dict]:
    """The report's list of items (the XLSX sheet "Danh sách tin bài", up to ITEM_LIST_CAP), oldest first, as
    plain rows: two queries of columns, not thousands of ORM objects with their themes and outlets loaded."""
    if not ids:
        return []
    themes: dict[int, list[str]] = {}
    for item_id, code in session.execute(select(ItemTheme.item_id, ItemTheme.theme_code)
                                         .where(ItemTheme.item_id.in_(ids), ItemTheme.removed.is_(False))):
        themes.setdefault(item_id, []).append(code)
    rows = session.execute(select(Item.id, Item.title, Item.url, Outlet.name, Item.published_at, Item.channel,
                                  Item.format, Item.nq71, Item.cluster_id)
                           .join(Outlet, Outlet.id == Item.outlet_id, isouter=True)
                           .where(Item.id.in_(ids)).order_by(Item.published_at, Item.id))
    return [{"id": i, "title": title, "url": url, "outlet": outlet or "",
             "published_at": at.isoformat() if at else None, "channel": label("channel", channel),
             "format": label("format", fmt), "themes": sorted(themes.get(i, ())), "nq71": bool(nq71),
             "cluster_id": cluster}
            for i, title, url, outlet, at, channel, fmt, nq71, cluster in rows]


EXEMPLARY_SHOWN = 100  # stories the HTML, DOCX and PDF list; report.xlsx lists them all (up to ITEM_LIST_CAP)


def exemplary_items(session: Session, period: str | Period, *, cap: int | None = ITEM_LIST_CAP) -> list[dict]:
    """Stories about a good model or an exemplary person in the period: the commendation shortlist, for the
    Department's commendation proposal (đề xuất khen thưởng). `mediaplan nlp shortlist` prints it and the report's
    section "Gương điển hình" lists it, both from here, so the two cannot disagree.

    One row per story (near-duplicates reprinted by several sites count once: the first copy published stands
    for them), oldest first, with the shortlist theme(s) that put it there, the phrases that matched and the
    communes it names, so the Department can check it. Three queries whatever the number of stories (the
    stories, their themes, their communes): a month with hundreds of them costs what a month with one does.
    """
    from mediaplan.db.schema import ItemTheme
    from mediaplan.plans import current_plan

    plan = current_plan()
    shortlist = {t.code: t.name for t in plan.themes.themes if t.shortlist}
    if not shortlist:
        return []
    names = {c.agency_key: c.name for c in plan.communes}
    period = period if isinstance(period, Period) else parse_period(period)
    start, end = period.bounds
    hit = exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_code.in_(shortlist), ItemTheme.removed.is_(False))
    first = func.row_number().over(partition_by=counts.STORY, order_by=(Item.published_at, Item.id))
    ranked = (select(Item.id.label("id"), Item.published_at.label("at"), first.label("n"))
              .where(Item.published_at >= start, Item.published_at < end, hit).subquery())
    shown = select(ranked.c.id).where(ranked.c.n == 1).order_by(ranked.c.at, ranked.c.id)
    shown = (shown.limit(cap) if cap else shown).subquery()
    stories = session.execute(
        select(Item.id, Item.url, Item.title, Item.published_at, Outlet.name).join(Outlet, Outlet.id == Item.outlet_id)
        .where(Item.id.in_(select(shown.c.id))).order_by(Item.published_at, Item.id)).all()
    if not stories:
        return []
    hits: dict[int, list] = {}
    for item_id, code, evidence in session.execute(
            select(ItemTheme.item_id, ItemTheme.theme_code, ItemTheme.evidence)
            .where(ItemTheme.item_id.in_(select(shown.c.id)), ItemTheme.theme_code.in_(shortlist),
                   ItemTheme.removed.is_(False)).order_by(ItemTheme.item_id, ItemTheme.theme_code)):
        hits.setdefault(item_id, []).append((code, evidence or []))
    places: dict[int, list[str]] = {}
    for item_id, key in session.execute(
            select(ItemEntity.item_id, ItemEntity.key)
            .where(ItemEntity.item_id.in_(select(shown.c.id)), ItemEntity.kind == "commune")
            .order_by(ItemEntity.item_id, ItemEntity.id)):
        places.setdefault(item_id, []).append(key)
    rows = []
    for item_id, url, title, published_at, outlet in stories:
        mine = hits.get(item_id, [])
        evidence = {}  # the first four phrases, each once whatever its case ("Tuyên dương", "tuyên dương")
        for text in (e["text"] for _, found in mine for e in found if isinstance(e, dict) and e.get("text")):
            if len(evidence) < 4:
                evidence.setdefault(text.casefold(), text)
        rows.append({
            "id": item_id, "url": url, "link": http_url(url), "title": title, "outlet": outlet,
            "date": f"{to_local(published_at):%d/%m/%Y}" if published_at else "",
            "published_at": published_at.isoformat() if published_at else None,
            "themes": [code for code, _ in mine], "theme_names": "; ".join(shortlist[code] for code, _ in mine),
            "evidence": ", ".join(evidence.values()) or ("biên tập viên gắn nhãn" if mine else ""),
            "places": ", ".join(dict.fromkeys(names.get(k, k) for k in places.get(item_id, []))),
        })
    return rows


def exemplary_section(session: Session, period: Period) -> dict:
    """The report's "Gương điển hình" section: every story of the shortlist (as `exemplary_items`), how many there
    are (counted in SQL, so a capped list still says the whole number) and the names of the themes that feed it
    (for the line that says there is none)."""
    stories = exemplary_items(session, period)
    total = len(stories)
    if total == ITEM_LIST_CAP:
        total = _exemplary_count(session, period)
    return {"total": total, "stories": stories, **exemplary_section_names()}


def exemplary_section_names() -> dict:
    """The names of the themes that feed the shortlist (for the line that says there is none)."""
    from mediaplan.plans import current_plan

    return {"themes": [t.name for t in current_plan().themes.themes if t.shortlist]}


def _exemplary_count(session: Session, period: Period) -> int:
    from mediaplan.db.schema import ItemTheme
    from mediaplan.plans import current_plan

    shortlist = [t.code for t in current_plan().themes.themes if t.shortlist]
    start, end = period.bounds
    hit = exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_code.in_(shortlist), ItemTheme.removed.is_(False))
    return session.scalar(select(func.count(func.distinct(counts.STORY))).where(
        Item.published_at >= start, Item.published_at < end, hit)) or 0
