"""The one definition of "how many items", made in SQL: every count a surface shows about published items comes
from here (report, dashboard, gaps, XLSX, e-mail), so two surfaces cannot count the same thing two ways.

An item counts once per story per outlet: the near-duplicates of one cluster published by one outlet are one
story, and the same story published by two outlets counts for each (each did publish it). Only education items
count (the flag as it stands, an editor's decision winning), unless `education=False`.

A count may be limited by theme (not removed by an editor), platform (`platform_clause`, the rule linking uses
too), format, channel, outlet, outlet kinds and
the `nq71` flag; an item counts when it matches every limit given. See docs/metrics.md for every figure's name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Delivery, Item, ItemTheme, Outlet, Source
from mediaplan.vocab import SOCIAL_PLATFORMS, Channel, LinkStatus

def channels_for(platform: str) -> set[str]:
    """The monitoring channels on which a platform's items are seen (which sources must run for it to be watched)."""
    if platform in SOCIAL_PLATFORMS:
        return {Channel.SOCIAL.value}
    return {Channel(platform).value}


def platform_clause(platform: str):
    """The one rule for "published on this platform", for counting and for linking a coverage to what delivered it.

    A social platform's items are those of a source declared on that platform: a TikTok post is not a Facebook
    post although both are on the social channel, and a YouTube upload is platform YouTube although its source
    files it under the TV channel. Any other platform (TV, radio, print, online, portal, grassroots) is the
    monitoring channel itself."""
    if platform in SOCIAL_PLATFORMS:
        return Item.source_id.in_(select(Source.id).where(Source.platform == platform))
    return Item.channel.in_(channels_for(platform))


@dataclass(frozen=True)
class Limits:
    """What an item must match to count; None (or empty) means no limit on that dimension."""

    start: datetime | None = None  # published at or after (UTC)
    end: datetime | None = None  # published before (UTC)
    theme: str | None = None
    platform: str | None = None
    format: str | None = None
    channel: str | None = None
    outlet_key: str | None = None
    outlet_kinds: tuple[str, ...] = ()
    nq71: bool | None = None
    linked: bool | None = None  # True: the item delivers a planned coverage (a confirmed link)
    education: bool = True

    def but(self, **changes) -> Limits:
        return replace(self, **changes)

    def where(self, query: Select) -> Select:
        if self.start is not None:
            query = query.where(Item.published_at >= self.start)
        if self.end is not None:
            query = query.where(Item.published_at < self.end)
        if self.education:
            query = query.where(Item.education.is_(True))
        if self.nq71 is not None:
            query = query.where(Item.nq71.is_(self.nq71))
        if self.linked is not None:
            delivers = exists().where(Delivery.item_id == Item.id, Delivery.status == LinkStatus.CONFIRMED)
            query = query.where(delivers if self.linked else ~delivers)
        if self.theme:
            query = query.where(exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_code == self.theme,
                                               ItemTheme.removed.is_(False)))
        if self.platform:
            query = query.where(platform_clause(self.platform))
        if self.channel:
            query = query.where(Item.channel == self.channel)
        if self.format:
            query = query.where(Item.format == self.format)
        if self.outlet_key or self.outlet_kinds:
            query = query.join(Outlet, Outlet.id == Item.outlet_id)
            if self.outlet_key:
                query = query.where(Outlet.key == self.outlet_key)
            if self.outlet_kinds:
                query = query.where(Outlet.kind.in_(self.outlet_kinds))
        return query


STORY = func.coalesce(Item.cluster_id, Item.id)


def stories(limits: Limits, *extra) -> Select:
    """One row per (story, outlet) that counts: the subquery every count reads."""
    return limits.where(select(STORY.label("story"), Item.outlet_id.label("outlet_id"), *extra)
                        .group_by(STORY, Item.outlet_id))


def count(session: Session, limits: Limits) -> int:
    return session.scalar(select(func.count()).select_from(stories(limits).subquery())) or 0


def count_by(session: Session, limits: Limits, dimension: str) -> dict[str, int]:
    """Counts per theme, channel, format, outlet (key) or agency (the outlet's `agency_key`), in one query."""
    if dimension == "theme":
        units = limits.where(select(STORY.label("story"), Item.outlet_id, ItemTheme.theme_code.label("key"))
                             .join(ItemTheme, ItemTheme.item_id == Item.id).where(ItemTheme.removed.is_(False))
                             .group_by(STORY, Item.outlet_id, ItemTheme.theme_code)).subquery()
    elif dimension in ("channel", "format"):
        # a story an outlet ran on two channels (online and on TV) counts on each: as for themes, a breakdown's
        # rows can add up to more than the total, which counts the story once
        column = getattr(Item, dimension)
        units = limits.where(select(STORY.label("story"), Item.outlet_id, column.label("key"))
                             .group_by(STORY, Item.outlet_id, column)).subquery()
    elif dimension in ("outlet", "agency"):
        inner = stories(limits).subquery()
        key = Outlet.key if dimension == "outlet" else Outlet.agency_key
        rows = session.execute(select(key, func.count()).select_from(inner).join(Outlet, Outlet.id == inner.c.outlet_id)
                               .group_by(key))
        return {k: n for k, n in rows if k is not None}
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    rows = session.execute(select(units.c.key, func.count()).group_by(units.c.key))
    return {k: n for k, n in rows if k is not None}


def unplanned(session: Session, limits: Limits) -> int:
    """Stories that count under `limits` and deliver no planned coverage (none of their items is linked)."""
    return count(session, limits) - count(session, limits.but(linked=True))


def representatives(session: Session, limits: Limits, cap: int = 500) -> list[int]:
    """The first item of each counted story, newest stories first (at most `cap`): what a "see these" link shows."""
    inner = stories(limits, func.min(Item.id).label("item_id"), func.max(Item.published_at).label("at")).subquery()
    return list(session.scalars(select(inner.c.item_id).order_by(inner.c.at.desc(), inner.c.item_id).limit(cap)))


def last_post_by_agency(session: Session, limits: Limits) -> dict[str, datetime]:
    rows = session.execute(limits.where(select(Outlet.agency_key, func.max(Item.published_at))
                                        .join(Outlet, Outlet.id == Item.outlet_id).group_by(Outlet.agency_key)))
    return {k: at for k, at in rows if k is not None}


def unwatched_sources(session: Session, channels: set[str]) -> list[str] | None:
    """The plan's sources on these channels that are switched off (None: no source on them at all).

    A count limited to a channel is complete only when every source the plan lists on it is collecting: a TV
    talk show aired on the broadcast the crawler does not read would otherwise count as not made."""
    rows = session.execute(select(Source.key, Source.enabled).where(Source.channel.in_(channels), Source.adhoc.is_(False)))
    rows = list(rows)
    if not rows:
        return None
    return sorted(key for key, enabled in rows if not enabled)


def monitored_agencies(session: Session) -> dict[str, list[str]]:
    """Per agency key: its outlets' enabled sources (empty list: it has a portal we know but do not watch)."""
    out: dict[str, list[str]] = {}
    for agency, source, enabled in session.execute(
            select(Outlet.agency_key, Source.key, Source.enabled).join(Source, Source.outlet_id == Outlet.id, isouter=True)):
        if agency is None:
            continue
        out.setdefault(agency, [])
        if source and enabled:
            out[agency].append(source)
    return out
