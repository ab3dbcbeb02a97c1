"""Hand-counted target figures (staff trained, schools reached…) that no crawl can measure.

Each value is kept with its evidence, its date and who entered it, so the report can
show where a figure comes from; a later value for the same date does not erase an
earlier one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mediaplan.db.schema import Target, TargetValue
from mediaplan.localtime import local_today
from mediaplan.plans import current_plan
from mediaplan.services import NotFound, ServiceError
from mediaplan.vocab import TargetMetric, TargetUnit


def set_target_value(session: Session, key: str, value: float, evidence: str, *, as_of: date | None = None,
                     by: str | None = None) -> TargetValue:
    """Record `value` for target `key` as of a day (default today), entered by `by` (default the plan's lead agency).

    A ratio target takes a share between 0 and 1 (0.45 for 45%).
    """
    target = session.get(Target, key)
    if target is None:
        raise NotFound(f"không có chỉ tiêu {key!r}")
    if target.metric == TargetMetric.REGISTER:  # counted from the registers: a typed-in share would be ignored
        raise ServiceError(f"chỉ tiêu {key!r} được tính từ sổ theo dõi (mediaplan registers …), không nhập tay")
    if target.unit == TargetUnit.RATIO and not 0 <= value <= 1:
        raise ServiceError("tỷ lệ phải trong khoảng 0–1 (ví dụ 0.45 cho 45%)")
    row = TargetValue(target_key=key, as_of=as_of or local_today(), value=value, evidence=evidence,
                      entered_by=by or current_plan().meta.lead_agency)
    session.add(row)
    session.flush()
    return row
