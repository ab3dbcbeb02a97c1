"""The `mediaplan` command: a stable contract for users, cron jobs and outside checks.

One module per command group; each command parses its arguments, calls one service
(`mediaplan.services`) or domain function, and prints. Typer lives only in this package.
"""

from __future__ import annotations

import typer

from mediaplan.cli import core
from mediaplan.cli.calendar import calendar_app
from mediaplan.cli.items import items_app
from mediaplan.cli.nlp import nlp_app
from mediaplan.cli.registers import registers_app
from mediaplan.cli.report import report_app
from mediaplan.cli.snapshot import snapshot_app
from mediaplan.cli.sources import sources_app
from mediaplan.cli.targets import targets_app
from mediaplan.cli.units import units_app
from mediaplan.cli.users import users_app

app = typer.Typer(help="mediaplan: theo dõi và lập kế hoạch truyền thông Nghị quyết 71-NQ/TW.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
core.register(app)
app.add_typer(calendar_app, name="calendar")
app.add_typer(report_app, name="report")
app.add_typer(items_app, name="items")
app.add_typer(sources_app, name="sources")
app.add_typer(snapshot_app, name="snapshot")
app.add_typer(targets_app, name="targets")
app.add_typer(units_app, name="units")
app.add_typer(nlp_app, name="nlp")
app.add_typer(registers_app, name="registers")
app.add_typer(users_app, name="users")


def _usage_line(exc) -> str:
    """A usage error said in one Vietnamese line (Typer's own panel is English and several lines)."""
    import re

    from typer._click import exceptions as errors  # Typer 0.29 vendors click; pinned in pyproject.toml

    param = getattr(exc, "param", None)
    hint = param.get_error_hint().replace("'", "") if param is not None else ""
    if isinstance(exc, errors.MissingParameter):
        return f"thiếu {hint or 'một tham số'}"
    if isinstance(exc, errors.NoSuchOption):
        maybe = f"; có phải {', '.join(sorted(exc.possibilities))}?" if exc.possibilities else ""
        return f"không có tùy chọn {exc.option_name}{maybe}"
    if isinstance(exc, errors.BadParameter):
        if m := re.search(r"'(.*)' is not one of (.*?)\.?$", exc.message or ""):
            choices = ", ".join(c.strip(" '") for c in m.group(2).split(","))
            return f"{hint} {m.group(1)!r} không hợp lệ; chọn một trong: {choices}"
        return f"{hint}: giá trị không hợp lệ ({exc.message})"
    if m := re.match(r"No such command '(.*)'", exc.message or ""):
        return f"không có lệnh {m.group(1)!r} (xem mediaplan --help)"
    return f"{exc.format_message()} (xem --help)"


def main(args: list[str] | None = None, prog_name: str = "mediaplan") -> None:
    """The installed entry point: Typer's app, with a usage error said in one line, exit status 2."""
    import sys

    from typer._click import exceptions as errors
    from typer.exceptions import Abort

    try:
        code = typer.main.get_command(app).main(args=args, prog_name=prog_name, standalone_mode=False)
    except errors.NoArgsIsHelpError as exc:
        exc.show()
        code = exc.exit_code
    except errors.UsageError as exc:
        from mediaplan.cli._kit import err

        err.print(f"[red]Lỗi:[/] {_usage_line(exc)}", soft_wrap=True, highlight=False)
        code = 2
    except (Abort, KeyboardInterrupt):
        code = 130
    except Exception as exc:  # a database that cannot be used is the operator's to mend: one line, not a traceback
        from mediaplan.db.failures import explain
        from mediaplan.settings import get_settings

        try:
            url = get_settings().db_url
        except Exception:
            url = None
        line = explain(exc, url)
        if line is None:
            raise
        import logging

        logging.getLogger("mediaplan.db").debug("database unavailable", exc_info=exc)
        from mediaplan.cli._kit import err

        err.print(f"[red]Lỗi:[/] {line}", soft_wrap=True, highlight=False, markup=True)
        code = 1
    except BrokenPipeError:  # `mediaplan … | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        else:
            raise
    sys.exit(code if isinstance(code, int) else 0)
