"""Bad input, refused in Vietnamese: the bounded text parameters the page modules declare, and the answer to a
request FastAPI could not validate (422).

FastAPI's own 422 speaks pydantic's English ("Input should be a valid integer") and echoes the input back, a
10,000-character one included. `validation_error` keeps the documented shape (`detail`: a list of `loc`, `msg`,
`type`, as in the OpenAPI schema, so clients and schema checks read it as before) and says `msg` in Vietnamese,
without the input. It is installed in `web.app.create_app` with
`app.add_exception_handler(RequestValidationError, validation_error)`.

The bounds themselves are declared where each value enters (a `Query`, `Form`, `Field` or `DbId`), each length
the column's that keeps or compares the value (`db/schema.py`), so that PostgreSQL never raises on a long name.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from mediaplan.i18n import N_, _

# Text a person can type on one line: no control characters. PostgreSQL refuses NUL in any text (a 500 before
# this), and a tab or a line break has no place in a name, a code or a search.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# Text of several lines (a brief, a note): line breaks and tabs are fine, the other control characters are not.
MULTILINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


# A share or feed token as `secrets.token_urlsafe` makes it, no longer than feed_tokens.token (String(64)).
Token = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def query_text(max_length: int, default: Any = None) -> Any:
    """A one-line query parameter of at most `max_length` characters (the column it is compared with)."""
    return Query(default, max_length=max_length, pattern=ONE_LINE)


def form_text(max_length: int, default: Any = ...) -> Any:
    """A one-line form field of at most `max_length` characters (the column it is written to or compared with)."""
    return Form(default, max_length=max_length, pattern=ONE_LINE)


WHERE = ("body", "query", "path", "form", "header", "cookie")  # the first part of a `loc`, not a field
_WHAT = {"date": N_("ngày (YYYY-MM-DD) không hợp lệ"), "datetime": N_("thời điểm (YYYY-MM-DDTHH:MM) không hợp lệ"),
         "time": N_("giờ (HH:MM) không hợp lệ")}


def message(error: dict) -> str:
    """One pydantic error, said in Vietnamese (in English on a request whose language is English)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("thiếu giá trị bắt buộc")
    if kind == "value_error":  # our own validators' messages are already Vietnamese
        return str(ctx.get("error", _("giá trị không hợp lệ")))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("phải là một số nguyên")
    if kind in ("float_parsing", "float_type", "finite_number"):
        return _("phải là một số")
    if kind in ("bool_parsing", "bool_type"):
        return _("phải là true hoặc false")
    for what in ("datetime", "date", "time"):
        if kind.startswith(what):
            return _(_WHAT[what])
    if kind == "greater_than_equal":
        return _("phải từ %(n)s trở lên") % {"n": ctx.get("ge")}
    if kind == "greater_than":
        return _("phải lớn hơn %(n)s") % {"n": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("không được quá %(n)s") % {"n": ctx.get("le")}
    if kind == "less_than":
        return _("phải nhỏ hơn %(n)s") % {"n": ctx.get("lt")}
    if kind == "string_too_long":
        return _("dài quá %(n)s ký tự") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return (_("không được để trống") if ctx.get("min_length") == 1
                else _("cần ít nhất %(n)s ký tự") % {"n": ctx.get("min_length")})
    if kind == "too_long":
        return _("nhiều quá %(n)s mục") % {"n": ctx.get("max_length")}
    if kind == "too_short":
        return _("cần ít nhất %(n)s mục") % {"n": ctx.get("min_length")}
    if kind == "string_pattern_mismatch":
        return _("có ký tự không hợp lệ (ký tự điều khiển)") if ctx.get("pattern") in (ONE_LINE, MULTILINE) else _("sai dạng")
    if kind in ("enum", "literal_error"):
        return _("giá trị không hợp lệ; chọn một trong %(choices)s") % {
            "choices": str(ctx.get("expected", "")).replace(" or ", _(" hoặc "))}
    if kind == "string_type":
        return _("phải là một chuỗi ký tự")
    if kind == "list_type":
        return _("phải là một danh sách")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("phải là một đối tượng JSON")
    if kind == "json_invalid":
        return _("JSON không hợp lệ")
    return _("giá trị không hợp lệ")


def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A 422 whose every `msg` names the field and says what is wrong in Vietnamese; the input is not echoed."""
    detail = []
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if isinstance(part, (str, int))]
        field = next((p for p in reversed(loc) if isinstance(p, str) and p not in WHERE), None)
        text = message(error)
        detail.append({"loc": loc, "msg": f"{field}: {text}" if field else text, "type": error.get("type", "")})
    return JSONResponse({"detail": detail}, status_code=422)


# --- error pages --------------------------------------------------------------------------

STATUS_TEXT = {400: N_("Yêu cầu không hợp lệ."), 401: N_("Cần đăng nhập."), 403: N_("Bạn không có quyền làm việc này."),
               404: N_("Không tìm thấy trang hoặc mục được yêu cầu."), 405: N_("Phương thức không được hỗ trợ."),
               409: N_("Xung đột với trạng thái hiện tại."), 413: N_("Tệp hoặc nội dung gửi lên quá lớn."),
               422: N_("Dữ liệu gửi lên không hợp lệ."), 429: N_("Quá nhiều yêu cầu; vui lòng thử lại sau."),
               503: N_("Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau.")}


SOMETHING_WRONG = N_("Có lỗi xảy ra.")
# What FastAPI itself refuses with, in English: a body it cannot even read (not UTF-8, a broken upload).
FRAMEWORK_TEXT = {"There was an error parsing the body": N_("JSON không hợp lệ")}


def status_text(status: int) -> str:
    return _(STATUS_TEXT.get(status, SOMETHING_WRONG))


def _phrase(status: int) -> str | None:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def http_error(request: Request, exc) -> Response:
    """An HTTPException as a Vietnamese HTML page for a browser, as JSON (`detail`) for the API and scripts."""
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):  # Starlette's English default ("Not Found"): say it in the page's words
        detail = None
    if detail in FRAMEWORK_TEXT:  # FastAPI's own English refusals, said in the request's language
        detail = _(FRAMEWORK_TEXT[detail])
    if _wants_html(request):
        from mediaplan.web.deps import templates

        return templates.TemplateResponse(request, "error.html", {
            "status": exc.status_code, "message": _(detail) if detail else status_text(exc.status_code)},
            status_code=exc.status_code, headers=getattr(exc, "headers", None))
    body = (detail or status_text(exc.status_code)) if isinstance(exc.detail, str) or exc.detail is None else exc.detail
    return JSONResponse({"detail": body}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


BUSY_RETRY_SECONDS = 10


def busy(request: Request, exc: Exception) -> Response:
    """The database is saturated (no free connection in time, a query over the statement timeout) or gone: 503
    with Retry-After, so a user or a load balancer tries again, never a 500 for what is not a bug."""
    import logging

    logging.getLogger("mediaplan.web").warning("cơ sở dữ liệu bận hoặc không sẵn sàng ở %s %s: %s", request.method,
                                               request.url.path, str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
    message = _("Cơ sở dữ liệu tạm thời không sẵn sàng; vui lòng thử lại sau.")
    headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if _wants_html(request):
        from mediaplan.web.deps import templates

        return templates.TemplateResponse(request, "error.html", {"status": 503, "message": message}, status_code=503,
                                          headers=headers)
    return JSONResponse({"detail": message}, status_code=503, headers=headers)


def server_error(request: Request, exc: Exception) -> Response:
    """What a bug looks like to a user: one Vietnamese line, no stack trace (the trace goes to the log)."""
    import logging

    logging.getLogger("mediaplan.web").exception("lỗi máy chủ ở %s %s", request.method, request.url.path)
    message = _("Lỗi máy chủ; sự cố đã được ghi lại. Vui lòng thử lại sau.")
    if _wants_html(request):
        from mediaplan.web.deps import templates

        return templates.TemplateResponse(request, "error.html", {"status": 500, "message": message}, status_code=500)
    return JSONResponse({"detail": message}, status_code=500)
