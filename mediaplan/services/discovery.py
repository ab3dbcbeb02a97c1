"""`mediaplan sources discover`: which units to read, what is already known, and what is kept.

A unit is an agency (a department, a commune, ward or the special zone, …) and its portal is the home page of its
outlets (`outlets.agency_key`, `outlets.homepage`); an outlet key names one outlet directly. Each portal is read
by `crawler.discover.discover_portal`; here its proposals lose every URL already a source (compared by
`crawler.discover.same_url`) and every URL already proposed in this run, so a run proposes nothing twice and a
run after `--apply` proposes nothing.

The portal's health is stored on its outlet on every run, applied or not: `checked_at` (UTC) and `check_error`
(the Vietnamese line, NULL when the home page was read). Sources are stored only with `apply=True`, through
`services.sources.add_source` (channel portal, verified false, `added_by` the acting user); the platform's
profile is set on an outlet that has none.

The network is read outside any database transaction: a slow portal never holds a lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.crawler.discover import Discovery, Fetcher, Proposal, discover_portal, same_url
from mediaplan.db import session_scope
from mediaplan.db.schema import Agency, Outlet, Source, utcnow
from mediaplan.services import NotFound, ServiceError
from mediaplan.services.sources import KEY_MAX, add_source
from mediaplan.settings import Settings, get_settings
from mediaplan.vocab import Channel

NO_PORTAL = "chưa biết địa chỉ trang thông tin điện tử"
INTERVAL = 180  # minutes: a government portal posts a few times a day at most
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Portal:
    outlet: str  # outlet key
    homepage: str
    profile: str | None  # the outlet's profile, as the plan names it


@dataclass(frozen=True)
class Unit:
    key: str
    name: str
    portals: tuple[Portal, ...]


@dataclass
class Proposed:
    """A proposal with the source key it gets (or got, with `applied`)."""

    key: str
    proposal: Proposal
    applied: bool = False
    refused: str | None = None  # why add_source refused it


@dataclass
class PortalResult:
    unit: Unit
    portal: Portal
    discovery: Discovery
    proposed: list[Proposed] = field(default_factory=list)
    skipped: int = 0  # proposals left out: already a source, or already proposed in this run
    profile_set: str | None = None  # the profile given to the outlet (apply)

    @property
    def error(self) -> str | None:
        return self.discovery.error


@dataclass
class Summary:
    portals: list[PortalResult] = field(default_factory=list)
    no_portal: list[Unit] = field(default_factory=list)

    @property
    def proposed(self) -> int:
        return sum(len(r.proposed) for r in self.portals)

    @property
    def applied(self) -> int:
        return sum(p.applied for r in self.portals for p in r.proposed)

    @property
    def unreachable(self) -> int:
        return sum(r.error is not None for r in self.portals)


# --- reading the database ------------------------------------------------------------------------------------


def _portals(outlets: list[Outlet]) -> tuple[Portal, ...]:
    return tuple(Portal(o.key, o.homepage.strip(), o.profile) for o in outlets if o.homepage and o.homepage.strip())


def units(session: Session, names: list[str] | None = None) -> list[Unit]:
    """The units named (agency keys or outlet keys), or every agency when `names` is None, with their portals.

    An unknown name is refused (NotFound) before anything is read.
    """
    outlets = session.scalars(select(Outlet).order_by(Outlet.key)).all()
    by_agency: dict[str, list[Outlet]] = {}
    for o in outlets:
        if o.agency_key:
            by_agency.setdefault(o.agency_key, []).append(o)
    agencies = {a.key: a for a in session.scalars(select(Agency).order_by(Agency.key))}
    if names is None:
        return [Unit(a.key, a.name, _portals(by_agency.get(a.key, []))) for a in agencies.values()]
    by_key = {o.key: o for o in outlets}
    chosen: list[Unit] = []
    for name in dict.fromkeys(n.strip() for n in names):
        if name in agencies:
            chosen.append(Unit(name, agencies[name].name, _portals(by_agency.get(name, []))))
        elif name in by_key:
            chosen.append(Unit(name, by_key[name].name, _portals([by_key[name]])))
        else:
            raise NotFound(f"không có đơn vị hay cơ quan {name[:80]!r} (mã đơn vị hoặc mã cơ quan, xem mediaplan units list)")
    return chosen


def known(session: Session) -> tuple[set[str], set[str]]:
    """(every source's URL as `same_url` sees it, every source key)."""
    rows = session.execute(select(Source.url, Source.key)).all()
    return {same_url(url) for url, _ in rows}, {key for _, key in rows}


def source_key(outlet: str, proposal: Proposal, taken: set[str]) -> str:
    """A free key for a proposed source: `<outlet>-rss`, `<outlet>-sitemap`, `<outlet>-<listing slug>`, then -2, -3…"""
    if proposal.kind == "page":
        last = [p for p in urlsplit(proposal.url).path.split("/") if p]
        suffix = _SLUG.sub("-", (last[-1] if last else "trang-chu").lower()).strip("-") or "trang"
    else:
        suffix = proposal.kind
    base = f"{outlet}-{suffix}"[:KEY_MAX - 4]
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key


# --- storing -----------------------------------------------------------------------------------------------


def record_check(session: Session, outlet: str, error: str | None) -> None:
    """The portal's health on its outlet: when it was read, and why it could not be (None: it was)."""
    row = session.scalar(select(Outlet).where(Outlet.key == outlet))
    if row is not None:
        row.checked_at, row.check_error = utcnow(), error


def apply(session: Session, result: PortalResult, added_by: str) -> None:
    """Add the proposed sources of one portal (and the platform's profile to an outlet that has none)."""
    for item in result.proposed:
        p = item.proposal
        try:
            add_source(session, item.key, outlet=result.portal.outlet, kind=p.kind, url=p.url, channel=Channel.PORTAL,
                       interval=INTERVAL, article_pattern=p.article_pattern, next_page=p.next_page, added_by=added_by)
        except ServiceError as exc:
            item.refused = str(exc)
            continue
        item.applied = True
    platform = result.discovery.platform
    outlet = session.scalar(select(Outlet).where(Outlet.key == result.portal.outlet))
    if platform and outlet is not None and not outlet.profile:
        outlet.profile = result.profile_set = platform


# --- one run -----------------------------------------------------------------------------------------------


def fetcher_for(settings: Settings | None = None, snapshot_url: str | None = None, timeout: float | None = None) -> Fetcher:
    """The HTTP client of a run: the crawler's User-Agent, timeout and size cap, and its snapshot server."""
    settings = settings or get_settings()
    return Fetcher(settings.user_agent, timeout if timeout is not None else min(settings.download_timeout, 20.0),
                   snapshot_url if snapshot_url is not None else settings.snapshot_url, settings.max_body_bytes)


def discover(names: list[str] | None, *, apply_changes: bool = False, added_by: str = "cli",
             fetcher: Fetcher | None = None, url: str | None = None,
             each: Callable[[PortalResult | Unit], None] | None = None) -> Summary:
    """Read the portals of the units named (every agency when None) and propose their sources.

    `each` is called with every PortalResult as soon as its portal is read (and stored), and with every Unit
    that has no known portal, so a long run shows its progress. `url` is the database (tests).
    """
    with session_scope(url) as session:
        chosen = units(session, names)
        seen, taken = known(session)
    fetcher = fetcher or fetcher_for()
    summary = Summary()
    try:
        for unit in chosen:
            if not unit.portals:
                summary.no_portal.append(unit)
                if each:
                    each(unit)
                continue
            for portal in unit.portals:
                found = discover_portal(portal.homepage, fetcher, portal.profile)
                result = PortalResult(unit, portal, found)
                for proposal in found.proposals:
                    same = same_url(proposal.url)
                    if same in seen:
                        result.skipped += 1
                        continue
                    seen.add(same)
                    result.proposed.append(Proposed(source_key(portal.outlet, proposal, taken), proposal))
                with session_scope(url) as session:
                    record_check(session, portal.outlet, found.error)
                    if apply_changes and not found.error:
                        apply(session, result, added_by)
                summary.portals.append(result)
                if each:
                    each(result)
    finally:
        fetcher.close()
    return summary
