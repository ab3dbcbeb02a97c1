"""Defaults that belong to the plan, not to the code: which outlet a story is planned for when none is named.

Another province's plan names other outlets, so no outlet key may be written in the
interfaces; they ask here, and the answer is the plan's `default_outlet` (plan.yaml),
which the plan loader checks against outlets.yaml.
"""

from __future__ import annotations

from mediaplan.plans import Plan, current_plan


def press_outlet(plan: Plan | None = None) -> str:
    """The key of the outlet a story, coverage or column is meant for when none is named: the plan's newsroom."""
    return (plan or current_plan()).meta.default_outlet
