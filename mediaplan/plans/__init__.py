"""Load a plan folder (themes, outlets, agencies, targets, key dates) and check it.

A plan is data, not code: another province writes its own folder and points
MEDIAPLAN_PLAN at it. Errors name the file and the line of the offending entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from mediaplan.plans.communes import Commune, load_communes
from mediaplan.plans.models import (
    AgenciesFile,
    KeyDatesFile,
    OutletsFile,
    PlanMeta,
    TargetsFile,
    ThemesFile,
)

PLANS_DIR = Path(__file__).parent


class PlanError(ValueError):
    """A plan file that does not match its schema; the message names file and line."""


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Remembers the line of every mapping so validation errors can point at it. libyaml's parser when PyYAML has
    it (the plan's files in 0.03 s instead of 0.24 s at each start of a command; the same values and lines)."""


class _LineDict(dict):
    line: int = 0
    key_lines: dict[str, int]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(data: Any, loc: tuple) -> int:
    """The line of the deepest mapping (or mapping key) on the error's path."""
    line = getattr(data, "line", 1)
    node = data
    for part in loc:
        if isinstance(node, _LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
            line = getattr(node, "line", line)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def load_file(path: Path, model: type[BaseModel]) -> Any:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PlanError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = ".".join(str(p) for p in loc) or "(file)"
            lines.append(f"{path}:{_line_of(data, loc)}: {where}: {err['msg']}")
        raise PlanError("\n".join(lines)) from exc


@dataclass(frozen=True)
class Plan:
    folder: Path
    meta: PlanMeta
    themes: ThemesFile
    outlets: OutletsFile
    agencies: AgenciesFile
    targets: TargetsFile
    key_dates: KeyDatesFile
    communes: list[Commune] = field(default_factory=list)

    @property
    def theme_codes(self) -> list[str]:
        return [t.code for t in self.themes.themes]

    def theme(self, code: str):
        return next(t for t in self.themes.themes if t.code == code)

    def outlet(self, key: str):
        return next(o for o in self.outlets.outlets if o.key == key)

    @property
    def fold_collisions(self) -> dict[str, list[str]]:
        """Commune and agency names that differ only in accents; see nlp.normalize.fold_collisions."""
        from mediaplan.nlp.normalize import fold_collisions

        # Distinct units only: Đăk Tô and Đắk Tô are two spellings of one commune, not a collision.
        return fold_collisions([c.short for c in self.communes] + [a.name for a in self.agencies.agencies])

    def commune_by_name(self, name: str) -> Commune | None:
        return next((c for c in self.communes if c.short == name), None)


def resolve_folder(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    folder = PLANS_DIR / name_or_path
    if not folder.is_dir():
        known = sorted(p.name for p in PLANS_DIR.iterdir() if (p / "plan.yaml").exists())
        raise PlanError(f"no plan folder {name_or_path!r}; bundled plans: {', '.join(known)}")
    return folder


def load_plan(name_or_path: str) -> Plan:
    folder = resolve_folder(name_or_path)
    meta = load_file(folder / "plan.yaml", PlanMeta)
    themes = load_file(folder / "themes.yaml", ThemesFile)
    outlets = load_file(folder / "outlets.yaml", OutletsFile)
    agencies = load_file(folder / "agencies.yaml", AgenciesFile)
    targets = load_file(folder / "targets.yaml", TargetsFile)
    key_dates = load_file(folder / "key_dates.yaml", KeyDatesFile)
    communes = load_communes(agencies.communes)
    plan = Plan(folder, meta, themes, outlets, agencies, targets, key_dates, communes)
    _check_references(plan)
    _check_profiles(plan)
    return plan


def _check_profiles(plan: Plan) -> None:
    """Every extraction profile an outlet names must exist: a typo is refused here, with its line,
    instead of surfacing as a KeyError in the middle of a crawl."""
    from mediaplan.crawler.profiles import available

    known = available()
    path = plan.folder / "outlets.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    problems = [
        f"{path}:{_line_of(data, ('outlets', i, 'profile'))}: cơ quan {o.key}: không có hồ sơ trích xuất "
        f"{o.profile!r}; có: {', '.join(known)}"
        for i, o in enumerate(plan.outlets.outlets) if o.profile and o.profile not in known
    ]
    if problems:
        raise PlanError("\n".join(problems))


def _check_references(plan: Plan) -> None:
    """Cross-file checks: every key a file refers to must exist somewhere in the plan."""
    problems: list[str] = []
    codes = set(plan.theme_codes)
    agency_keys = {a.key for a in plan.agencies.agencies}
    source_keys: set[str] = set()
    for outlet in plan.outlets.outlets:
        if outlet.agency and outlet.agency not in agency_keys:
            problems.append(f"outlets.yaml: outlet {outlet.key}: unknown agency {outlet.agency!r}")
        if outlet.commune and not plan.commune_by_name(outlet.commune):
            problems.append(f"outlets.yaml: outlet {outlet.key}: unknown commune {outlet.commune!r}")
        for source in outlet.sources:
            if source.key in source_keys:
                problems.append(f"outlets.yaml: duplicate source key {source.key!r}")
            source_keys.add(source.key)
    for target in plan.targets.targets:
        if target.theme and target.theme not in codes:
            problems.append(f"targets.yaml: target {target.key}: unknown theme {target.theme!r}")
    for kd in plan.key_dates.key_dates:
        for code in kd.themes:
            if code not in codes:
                problems.append(f"key_dates.yaml: {kd.key}: unknown theme {code!r}")
    for agency in plan.agencies.agencies:
        if agency.parent and agency.parent not in agency_keys:
            problems.append(f"agencies.yaml: {agency.key}: unknown parent {agency.parent!r}")
    if plan.meta.lead_agency not in agency_keys:
        problems.append(f"plan.yaml: unknown lead_agency {plan.meta.lead_agency!r}")
    if plan.meta.default_outlet not in {o.key for o in plan.outlets.outlets}:
        problems.append(f"plan.yaml: unknown default_outlet {plan.meta.default_outlet!r}")
    if problems:
        raise PlanError("\n".join(f"{plan.folder}/{p}" for p in problems))


@lru_cache
def current_plan() -> Plan:
    from mediaplan.settings import get_settings

    return load_plan(get_settings().plan)
