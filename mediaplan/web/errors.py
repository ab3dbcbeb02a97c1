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

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

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
_WHAT = {"date": "ngày (YYYY-MM-DD)", "datetime": "thời điểm (YYYY-MM-DDTHH:MM)", "time": "giờ (HH:MM)"}


def message(error: dict) -> str:
    """One pydantic error, said in Vietnamese."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return "thiếu giá trị bắt buộc"
    if kind == "value_error":  # our own validators' messages are already Vietnamese
        return str(ctx.get("error", "giá trị không hợp lệ"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "phải là một số nguyên"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "phải là một số"
    if kind in ("bool_parsing", "bool_type"):
        return "phải là true hoặc false"
    for what in ("datetime", "date", "time"):
        if kind.startswith(what):
            return f"{_WHAT[what]} không hợp lệ"
    if kind == "greater_than_equal":
        return f"phải từ {ctx.get('ge')} trở lên"
    if kind == "greater_than":
        return f"phải lớn hơn {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"không được quá {ctx.get('le')}"
    if kind == "less_than":
        return f"phải nhỏ hơn {ctx.get('lt')}"
    if kind == "string_too_long":
        return f"dài quá {ctx.get('max_length')} ký tự"
    if kind == "string_too_short":
        return "không được để trống" if ctx.get("min_length") == 1 else f"cần ít nhất {ctx.get('min_length')} ký tự"
    if kind == "too_long":
        return f"nhiều quá {ctx.get('max_length')} mục"
    if kind == "too_short":
        return f"cần ít nhất {ctx.get('min_length')} mục"
    if kind == "string_pattern_mismatch":
        return "có ký tự không hợp lệ (ký tự điều khiển)" if ctx.get("pattern") in (ONE_LINE, MULTILINE) else "sai dạng"
    if kind in ("enum", "literal_error"):
        return f"giá trị không hợp lệ; chọn một trong {str(ctx.get('expected', '')).replace(' or ', ' hoặc ')}"
    if kind == "string_type":
        return "phải là một chuỗi ký tự"
    if kind == "list_type":
        return "phải là một danh sách"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "phải là một đối tượng JSON"
    if kind == "json_invalid":
        return "JSON không hợp lệ"
    return "giá trị không hợp lệ"


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

STATUS_TEXT = {400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.", 403: "Bạn không có quyền làm việc này.",
               404: "Không tìm thấy trang hoặc mục được yêu cầu.", 405: "Phương thức không được hỗ trợ.",
               409: "Xung đột với trạng thái hiện tại.", 413: "Tệp hoặc nội dung gửi lên quá lớn.",
               422: "Dữ liệu gửi lên không hợp lệ.", 429: "Quá nhiều yêu cầu; vui lòng thử lại sau.",
               503: "Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau."}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def http_error(request: Request, exc) -> Response:
    """An HTTPException as a Vietnamese HTML page for a browser, as JSON (`detail`) for the API and scripts."""
    detail = exc.detail if isinstance(exc.detail, str) else None
    if _wants_html(request):
        from mediaplan.web.deps import templates

        return templates.TemplateResponse(request, "error.html", {
            "status": exc.status_code, "message": detail or STATUS_TEXT.get(exc.status_code, "Có lỗi xảy ra.")},
            status_code=exc.status_code, headers=getattr(exc, "headers", None))
    return JSONResponse({"detail": exc.detail if exc.detail is not None else STATUS_TEXT.get(exc.status_code)},
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


def server_error(request: Request, exc: Exception) -> Response:
    """What a bug looks like to a user: one Vietnamese line, no stack trace (the trace goes to the log)."""
    import logging

    logging.getLogger("mediaplan.web").exception("lỗi máy chủ ở %s %s", request.method, request.url.path)
    message = "Lỗi máy chủ; sự cố đã được ghi lại. Vui lòng thử lại sau."
    if _wants_html(request):
        from mediaplan.web.deps import templates

        return templates.TemplateResponse(request, "error.html", {"status": 500, "message": message}, status_code=500)
    return JSONResponse({"detail": message}, status_code=500)
