"""A database that cannot be used, said in one Vietnamese line instead of a driver's traceback.

A wrong URL, a stopped PostgreSQL, a missing SQLite folder, a full disk or a read-only file are the operator's
to mend, not bugs: the CLI (`mediaplan.cli.main`) prints `explain(exc)` and exits 1, and the full exception goes
to the log at DEBUG for whoever needs the driver's words. The URL shown never carries its password.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url


class DatabaseUnavailable(RuntimeError):
    """Raised by us before the driver is asked (a SQLite file in a folder that does not exist)."""


def shown_url(url: str) -> str:
    """The URL as an operator may see it: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given, minus anything that looks like credentials
        return url.split("@")[-1]


def _where(url: str | None) -> str:
    return f" ({shown_url(url)})" if url else ""


# (words the driver says, what we tell the operator); first match wins, compared case-insensitively
_SAID = (
    ("connection refused", "không kết nối được máy chủ cơ sở dữ liệu{where}: máy chủ chưa chạy hoặc sai địa chỉ, cổng"),
    ("could not translate host name", "không tìm thấy máy chủ cơ sở dữ liệu{where}: kiểm tra tên máy"),
    ("name or service not known", "không tìm thấy máy chủ cơ sở dữ liệu{where}: kiểm tra tên máy"),
    ("timeout expired", "máy chủ cơ sở dữ liệu không trả lời{where}: hết thời gian chờ"),
    ("timed out", "máy chủ cơ sở dữ liệu không trả lời{where}: hết thời gian chờ"),
    ("password authentication failed", "máy chủ cơ sở dữ liệu từ chối đăng nhập{where}: sai tên hoặc mật khẩu"),
    ("does not exist", "cơ sở dữ liệu không tồn tại{where}: tạo nó trước (createdb) hoặc sửa MEDIAPLAN_DATABASE_URL"),
    ("database or disk is full", "đĩa đầy: không ghi được vào cơ sở dữ liệu{where}; giải phóng dung lượng rồi chạy lại"),
    ("no space left on device", "đĩa đầy: không ghi được vào cơ sở dữ liệu{where}; giải phóng dung lượng rồi chạy lại"),
    ("could not extend file", "đĩa đầy: không ghi được vào cơ sở dữ liệu{where}; giải phóng dung lượng rồi chạy lại"),
    ("readonly database", "tệp cơ sở dữ liệu chỉ đọc{where}: cấp quyền ghi cho tệp và thư mục chứa nó"),
    ("read-only", "cơ sở dữ liệu chỉ đọc{where}: cấp quyền ghi"),
    ("unable to open database file", "không mở được tệp cơ sở dữ liệu{where}: thư mục không tồn tại hoặc không có quyền"),
    ("database is locked", "cơ sở dữ liệu đang bị khóa bởi một tiến trình khác{where}; thử lại sau"),
    ("file is not a database", "tệp không phải cơ sở dữ liệu SQLite{where}"),
    ("canceling statement due to statement timeout", "truy vấn quá thời gian cho phép{where}; thử lại sau"),
)


def explain(exc: BaseException, url: str | None = None) -> str | None:
    """One Vietnamese line for a database that cannot be used, or None when `exc` is something else."""
    if isinstance(exc, DatabaseUnavailable):
        return str(exc)
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return f"loại cơ sở dữ liệu không được hỗ trợ{_where(url)}: dùng sqlite:/// hoặc postgresql+psycopg://"
    if isinstance(exc, sa_exc.ArgumentError):
        return f"địa chỉ cơ sở dữ liệu không hợp lệ{_where(url)}: dạng đúng là sqlite:///đường/dẫn.db hoặc postgresql+psycopg://máy:cổng/tên"
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sqlite3.OperationalError,
                            sqlite3.DatabaseError, OSError)):
        return None
    if isinstance(exc, OSError) and not isinstance(exc, (sqlite3.Error,)) and exc.errno != 28:  # ENOSPC only
        return None
    words = str(getattr(exc, "orig", None) or exc).lower()
    for said, line in _SAID:
        if said in words:
            return line.format(where=_where(url))
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return f"không dùng được cơ sở dữ liệu{_where(url)}: {first}"
