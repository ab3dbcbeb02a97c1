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
    former: tuple[str, ...] = ()  # units merged into this one on 1/7/2025 ("Xã Sơn Thành"), from the package
    old_district: bool = False  # its name was also a district, town or province name before 2025

    @property
    def spellings(self) -> tuple[str, ...]:
        """The official short name and the spellings Kon Tum names are seen with (Đăk/Đắk, Ngọk/Ngọc)."""
        forms = {self.short, *_kontum_variants(self.short)}
        return tuple(sorted(forms))

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
    former = _former_units(spec.province, {r["wardShort"] for r in rows})
    districts = _old_district_names(spec.province)
    return [
        Commune(r["wardCode"], r["ward"], r["wardShort"], r["wardType"], tuple(spec.aliases.get(r["wardShort"], ())),
                tuple(former.get(r["wardCode"], ())), r["wardShort"] in districts)
        for r in rows
    ]


def _old_district_names(province: str) -> set[str]:
    """District, town, city and province names before 2025 (Sơn Hà, Đức Phổ, Kon Tum…) in the merged area.

    A bare "Sơn Hà" or "Kon Tum" in the news most often means the old district or city, so
    such names count as a commune only with the unit word ("xã Sơn Hà", "phường Kon Tum").
    """
    import json
    from importlib.resources import files

    from vietnamadminunits.database import query

    data = json.loads((files("vietnamadminunits") / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    key = query(f"SELECT provinceKey FROM admin_units WHERE provinceShort = '{province.replace(chr(39), '')}' LIMIT 1")
    names: set[str] = set()
    for old_province in data["DICT_PROVINCE"].get(key[0]["provinceKey"], []) if key else []:
        for r in query(f"SELECT DISTINCT provinceShort, districtShort FROM admin_units_legacy WHERE provinceKey = '{old_province}'"):
            names |= {r["provinceShort"], r["districtShort"]}
    return names


_VARIANTS = (("Đăk", "Đắk"), ("Đắk", "Đăk"), ("Ngọk", "Ngọc"), ("Đăk", "Đak"))


def _kontum_variants(short: str) -> set[str]:
    return {short.replace(a, b) for a, b in _VARIANTS if a in short} - {short}


def _former_units(province: str, current: set[str]) -> dict[str, list[str]]:
    """Old commune-level units (before the 2025 merger) by the code of the unit they became.

    Only old names that point to exactly one new unit and are not also the name of a current
    unit are kept: "xã Sơn Hạ" today means the new commune, never the old one.
    """
    import json
    from importlib.resources import files

    from vietnamadminunits.database import query

    data = json.loads((files("vietnamadminunits") / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    new_rows = query(f"SELECT wardCode, wardKey, provinceKey FROM admin_units WHERE provinceShort = '{province.replace(chr(39), '')}'")
    if not new_rows:
        return {}
    province_key = new_rows[0]["provinceKey"]
    by_key = {r["wardKey"]: r["wardCode"] for r in new_rows}
    legacy = {}
    for old_province in data["DICT_PROVINCE"].get(province_key, []):
        for r in query(f"SELECT provinceKey, districtKey, wardKey, ward, wardShort FROM admin_units_legacy "
                       f"WHERE provinceKey = '{old_province}'"):
            legacy[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"] = (r["ward"], r["wardShort"])
    targets: dict[str, set[str]] = {}
    for new_key, old_keys in data["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).items():
        for old_key in old_keys:
            if old_key in legacy and new_key in by_key:
                targets.setdefault(legacy[old_key][0], set()).add(by_key[new_key])
    out: dict[str, list[str]] = {}
    for old_name, codes in sorted(targets.items()):
        short = old_name.split(" ", 1)[1] if old_name.startswith(("Xã ", "Phường ")) else old_name.split(" ", 2)[-1]
        if len(codes) == 1 and short not in current:
            out.setdefault(codes.pop(), []).append(old_name)
    return out
