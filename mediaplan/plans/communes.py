"""The commune-level units of the plan's province, from vietnamadminunits (2025 units).

A hand-typed list of 96 names would drift; the package carries the official codes
and the old-to-new conversions, so we read it and only add spelling aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from vietnamadminunits.database import query

from mediaplan.plans.models import CommuneAliases


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # "Xã Sơn Hà"
    short: str  # "Sơn Hà"
    unit_type: str  # Xã | Phường | Đặc khu
    aliases: tuple[str, ...] = ()

    @property
    def agency_key(self) -> str:
        return f"ubnd-{self.code}"

    @property
    def agency_name(self) -> str:
        return f"UBND {self.name[0].lower()}{self.name[1:]}"


def load_communes(spec: CommuneAliases) -> list[Commune]:
    from mediaplan.plans import PlanError

    rows = query(
        "SELECT DISTINCT ward, wardShort, wardType, wardCode FROM admin_units "
        f"WHERE provinceShort = '{spec.province.replace(chr(39), '')}' ORDER BY wardCode"
    )
    if len(rows) != spec.expected_count:
        raise PlanError(
            f"agencies.yaml: vietnamadminunits has {len(rows)} units for {spec.province!r}, "
            f"the plan expects {spec.expected_count}"
        )
    known = {r["wardShort"] for r in rows}
    unknown = sorted(set(spec.aliases) - known)
    if unknown:
        raise PlanError(f"agencies.yaml: communes.aliases names unknown units: {unknown}")
    return [
        Commune(r["wardCode"], r["ward"], r["wardShort"], r["wardType"], tuple(spec.aliases.get(r["wardShort"], ())))
        for r in rows
    ]
