"""What the JSON API (web/api.py) answers, as pydantic models: every success body and every refusal.

The models are the API's contract: each route names its success model (`response_model=`) and the refusals it
can give (`responses=`, built by `refusals`), so /api/v1/openapi.json describes every answer and the
schemathesis run (tests/test_api_schema.py) holds the app to it. The refusal bodies are the ones the handlers
actually write: `{"detail": "…"}` (a Vietnamese line) from `errors.http_error`, `security._not_signed_in`,
`security._forbidden` and `app._bad_period`, and the 422 of `errors.validation_error`.

Times: a coverage's are local (the plan's zone, with its offset), as the calendar shows them; an item's
`published_at` is UTC.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from mediaplan.auth.roles import Ability
from mediaplan.vocab import Channel, CoverageStatus, Format, ItemKind, Platform, Role, ThemeMethod

# --- refusals ---------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """Every refusal but a 422: one line for people, in Vietnamese."""

    detail: str = Field(examples=["Không tìm thấy tin, bài"])


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body, query or path, then the field", examples=[["body", "date"]])
    msg: str = Field(description="the field and what is wrong with it, in Vietnamese; the input is not echoed")
    type: str = Field(description="pydantic's error type, e.g. missing, date_from_datetime_parsing")


class ValidationErrorOut(BaseModel):
    """A 422 (web/errors.py `validation_error`): one entry per field FastAPI could not validate."""

    detail: list[FieldError]


_REFUSALS: dict[int, tuple[type[BaseModel], str]] = {
    400: (ErrorOut, "Yêu cầu không hợp lệ: tháng ngoài khoảng lập kế hoạch, con trỏ `after` không còn, dữ liệu kế hoạch "
                    "sai (chủ đề, người được giao), hoặc nội dung gửi lên không đọc được (không phải UTF-8)."),
    401: (ErrorOut, "Chưa đăng nhập: cần cookie phiên `mediaplan_session` (đăng nhập ở /login)."),
    403: (ErrorOut, "Vai trò không có quyền này, hoặc (với yêu cầu thay đổi) thiếu hay sai mã CSRF `X-CSRF-Token`, "
                    "hoặc gửi từ trang khác."),
    404: (ErrorOut, "Không có mục với mã này."),
    409: (ErrorOut, "Xung đột với quy trình: trạng thái hiện tại không cho phép chuyển như vậy."),
    422: (ValidationErrorOut, "Dữ liệu gửi lên không hợp lệ."),
    503: (ErrorOut, "Cơ sở dữ liệu tạm thời không sẵn sàng; thử lại sau (Retry-After)."),
}


def refusals(*codes: int) -> dict[int | str, dict]:
    """`responses=` for a route: each refusal it can give, with its model (401 and 503, which any route can give
    before it runs, are always included)."""
    out: dict[int | str, dict] = {}
    for code in sorted({*codes, 401, 503}):
        model, description = _REFUSALS[code]
        out[code] = {"model": model, "description": description}
    out[401]["headers"] = {"WWW-Authenticate": {"description": "Cookie", "schema": {"type": "string"}}}
    out[503]["headers"] = {"Retry-After": {"description": "giây", "schema": {"type": "string"}}}
    return out


# --- answers ----------------------------------------------------------------------------------


class MeOut(BaseModel):
    username: str
    full_name: str
    role: Role
    abilities: list[Ability] = Field(description="what this role may do (auth/roles.py GRANTS)")
    csrf_token: str = Field(description="this session's CSRF token: send it as X-CSRF-Token on every POST")


class CoverageOut(BaseModel):
    """A coverage as the calendar draws it (`api.coverage_json`), times in the plan's zone with their offset."""

    id: int
    story: int = Field(description="the story's id")
    title: str = Field(description="the story's title")
    status: CoverageStatus
    sequence: int = Field(description="the iCal SEQUENCE: raised by every change")
    publish_at: dt.datetime | None = Field(description="local time, with its offset; null: not scheduled")
    due_at: dt.datetime | None = Field(description="the deadline, local time")
    date: dt.date | None = Field(description="the local day of publish_at")
    time: str | None = Field(description="the local time of day of publish_at, HH:MM", pattern=r"^\d{2}:\d{2}$")
    platform: Platform | None
    format: Format | None
    outlet: str | None = Field(description="the outlet's key")
    assignee: str | None = Field(description="the assigned user's username")
    themes: list[str] = Field(description="the story's theme codes")


class StoryOut(BaseModel):
    story: int = Field(description="the new (or existing, same title and day) story's id")
    coverages: list[CoverageOut]


class CoverageListOut(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    coverages: list[CoverageOut] = Field(description="in publication order")


class OutletOut(BaseModel):
    key: str
    name: str


class EvidenceOut(BaseModel):
    """Where a theme or the education model found its reason: the text and its offsets in the field."""

    text: str | None = None
    field: str | None = Field(None, description="title, sapo or body")
    start: int | None = None
    end: int | None = None
    weight: float | None = None


class ItemThemeOut(BaseModel):
    code: str
    name: str
    method: ThemeMethod = Field(description="who decided: the rules, the model or an editor")
    evidence: list[EvidenceOut]


class ItemSummaryOut(BaseModel):
    id: int
    title: str
    url: str
    outlet: OutletOut
    kind: ItemKind
    channel: Channel
    format: Format | None
    published_at: dt.datetime | None = Field(description="UTC")
    education: bool
    themes: list[str] = Field(description="theme codes (not those an editor removed)")


class ItemPageOut(BaseModel):
    items: list[ItemSummaryOut] = Field(description="exact search matches first, then newest first, undated last")
    next: int | None = Field(description="pass as `after` for the next page; null on the last page")
    total: int = Field(description="how many items match the filters, on every page, counted up to 10,000")
    total_exact: bool = Field(description="false when the count stopped early: `total` is then a lower bound (10,000 "
                                         "when more match; for a common word, the matches among the newest rows)")


class ItemOut(BaseModel):
    id: int
    title: str
    sapo: str
    body: str
    url: str
    outlet: OutletOut
    source: str | None = Field(description="the source's key")
    kind: ItemKind
    channel: Channel
    format: Format | None
    author: str | None
    published_at: dt.datetime | None = Field(description="UTC")
    education: bool
    nq71: bool
    education_decided_by: str | None = Field(description="rules, model, or, and, editor (nlp/decided.py)")
    education_probability: float | None
    education_model_terms: list[EvidenceOut]
    themes: list[ItemThemeOut]
