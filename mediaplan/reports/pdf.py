"""report.pdf: the report's HTML (report.html, also the e-mail body) printed by WeasyPrint on A4.

The HTML is written for e-mail clients (a 760 px table, inline styles); a print stylesheet given as a *user*
stylesheet with !important (which wins over the inline author styles in the cascade) turns it into a page of the
official format: A4 portrait, margins 20/20/30/20 mm, Times New Roman with Liberation Serif and DejaVu Serif as
fallbacks (both have every Vietnamese letter; fonts-liberation2, not the old fonts-liberation 1.07, which lacks
them), body 13 pt, page numbers centred in the header from page 2.

The charts go in as data: URIs (`charts_html`), so the PDF needs no files next to it and no base URL. Every section
of the PDF is the HTML's (the shortlist "Gương điển hình", the framed statement of a period with no data): one
template, so the PDF cannot lack what the HTML and the e-mail show.
"""

from __future__ import annotations

import base64
import contextlib
import html as _html
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

SERIF = '"Times New Roman", "Liberation Serif", "DejaVu Serif", serif'
PRINT_CSS = f"""
@page {{
  size: A4 portrait;
  margin: 20mm 20mm 20mm 30mm;
  @top-center {{ content: counter(page); font-family: {SERIF}; font-size: 13pt; vertical-align: bottom;
                 padding-bottom: 4mm; }}
}}
@page :first {{ @top-center {{ content: none; }} }}
html, body {{ background: #fff !important; margin: 0 !important; padding: 0 !important; }}
body, table, td, th, p, span, strong, em {{ font-family: {SERIF} !important; color: #000 !important; }}
table[role="presentation"] {{ width: 100% !important; background: #fff !important; }}
table[role="presentation"] > tbody > tr > td, table[role="presentation"] > tr > td {{ padding: 0 !important; }}
table[width="760"] {{ font-size: 13pt !important; line-height: 1.35 !important; }}
table[width="760"] > tbody > tr > td {{ text-align: left !important; }}  /* the e-mail wrapper centres everything */
table[width="760"] > tbody > tr > td > table:first-child td {{ font-size: 12pt !important; }}  /* the header block */
p {{ orphans: 2; widows: 2; }}
p[style*="font-weight:bold"], p[style*="font-style:italic"] {{ break-after: avoid; page-break-after: avoid; }}
tr, img, figure {{ break-inside: avoid; page-break-inside: avoid; }}
th {{ background: #fff !important; text-align: center; }}
figure.chart {{ margin: 8pt 0 10pt; text-align: center; }}
figure.chart img {{ width: 100% !important; height: auto !important; }}
figure.chart figcaption {{ font-style: italic; font-size: 12pt; margin-top: 3pt; }}
a {{ color: #000 !important; text-decoration: underline; word-break: break-all; }}  /* black, as Decree 30 asks */
#no-data {{ border-color: #000 !important; }}  /* the no-data statement's frame (red on screen) */
thead {{ display: table-header-group; }}  /* a long table's header repeats, and never ends a page alone */
/* The long tables (a hundred shortlisted stories, every unit) and the wrappers take the column widths their first
   row declares instead of measuring every cell's text first: the automatic layout was a third of the PDF's time. */
table[role="presentation"], #exemplary-stories, #units-table {{ table-layout: fixed !important; }}
"""


def charts_html(charts: dict[str, bytes] | None, keys: tuple[str, ...] | None = None, *, start: int = 1) -> str:
    """<figure> blocks, one a chart, the PNG inline as a data: URI, captioned "Biểu đồ 1. …" (numbered from
    `start`, in the order of `keys`: all three by default). Empty for no charts. For the HTML and the PDF;
    e-mail clients that block data: images (Gmail, Outlook) show the caption and the alt text."""
    from mediaplan.reports.charts import TITLES

    if not charts:
        return ""
    out, n = [], start
    for key in keys or tuple(TITLES):
        png = charts.get(key)
        if not png:
            continue
        title = _html.escape(f"Biểu đồ {n}. {TITLES[key]}")
        data = base64.b64encode(png).decode("ascii")
        out.append(f'<figure class="chart" data-chart="{key}" style="margin:12px 0;text-align:center;">'
                   f'<img src="data:image/png;base64,{data}" alt="{_html.escape(TITLES[key])}" width="680" '
                   f'style="max-width:100%;height:auto;">'
                   f'<figcaption style="font-style:italic;font-size:13px;">{title}</figcaption></figure>')
        n += 1
    return "\n".join(out)


def closing_html() -> str:
    """The closing block as report.html can print it (after the "./." sentence): a borderless two-column table,
    "Nơi nhận:" and the recipients on the left, the signer's title, room to sign and the name on the right, from
    the plan (the same lines as report.docx)."""
    from mediaplan.plans import current_plan
    from mediaplan.reports.docx import SIGNATURE_LINES, recipients

    meta = current_plan().meta
    left = "".join(f"<br>{_html.escape(line)}" for line in recipients(meta))
    titles = "<br>".join(_html.escape(t.upper()) for t in (meta.signer_title or ["GIÁM ĐỐC"]))
    return ('<table role="presentation" class="closing" width="100%" cellpadding="0" cellspacing="0" '
            'style="margin-top:12px;page-break-inside:avoid;"><tr>'
            f'<td width="45%" valign="top" align="left" style="font-size:11pt;"><strong><em style="font-size:12pt;">'
            f'Nơi nhận:</em></strong>{left}</td>'
            f'<td width="55%" valign="top" align="center" style="font-size:14pt;"><strong>{titles}</strong>'
            f'{"<br>" * (SIGNATURE_LINES + 1)}<strong>{_html.escape(meta.signer_name or "(họ và tên)")}</strong></td>'
            '</tr></table>')


def write_pdf(html: str, path: Path | str, base_url: str | None = None) -> Path:
    """Print `html` (report.html, charts inline) to a PDF at `path`."""
    from weasyprint import CSS, HTML

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=base_url).write_pdf(path, stylesheets=[CSS(string=PRINT_CSS)], presentational_hints=True)
    return path


class Printer:
    """Prints report.pdf in a second process while this one writes the XLSX and the DOCX.

    WeasyPrint's layout is pure Python and the largest step of a build (a 20-page month: about 5 s on this
    machine, against 2 s for both office files), so on two cores the PDF costs its own time instead of adding to
    theirs. The process is a plain `python -m mediaplan.reports.pdf` reading requests on its stdin, one JSON line
    each (the report.html already written, the PDF to write), and answering one line: not multiprocessing, whose
    "spawn" runs the caller's main script again in the child (a script without a __main__ guard would build, and
    send, its report twice), and never a fork of a web worker whose other threads may hold Pango's locks. It is
    started, and WeasyPrint imported and its fonts loaded in it (`_warm`), when the build begins, so that this too
    overlaps the figures.

    One process serves a whole program (`Printer.shared`), one PDF at a time: builds one after another reuse it
    warm, and a build that finds it busy prints here. Whatever goes wrong over there (it cannot start, it dies,
    WeasyPrint raises), `finish` prints the PDF here instead, so a build fails only where printing in process would
    fail, and with the same error.
    """

    _shared: Printer | None = None
    _lock = threading.Lock()

    def __init__(self):
        self._busy = threading.Lock()
        try:
            self._proc = subprocess.Popen([sys.executable, "-m", "mediaplan.reports.pdf"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True, encoding="utf-8")
        except OSError as exc:  # no process can start here (a sandbox, a limit): print in process
            log.warning("report.pdf sẽ được in trong tiến trình này: %s", exc)
            self._proc = None

    @classmethod
    def shared(cls) -> Printer:
        with cls._lock:
            if cls._shared is None or not cls._shared.alive:
                cls._shared = cls()
            return cls._shared

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, html_file: Path, pdf_file: Path) -> bool:
        """Ask for `html_file` (written) to be printed at `pdf_file`; False when `finish` will print it here (no
        process, or busy with another build's PDF)."""
        if not self.alive or not self._busy.acquire(blocking=False):
            return False
        try:
            self._proc.stdin.write(json.dumps({"html": str(html_file), "pdf": str(pdf_file)}) + "\n")
            self._proc.stdin.flush()
            return True
        except OSError as exc:  # it died since
            self._broken(exc)
            self._busy.release()
            return False

    def finish(self, sent: bool, html: str, pdf_file: Path) -> float | None:
        """Wait for the PDF `start` sent; print it here if it was not printed there. Returns the seconds it took
        the other process (None when it was printed here)."""
        if sent:
            try:
                answer = json.loads(self._proc.stdout.readline() or "null")  # "": it died before answering
            except (OSError, ValueError) as exc:  # a closed pipe, or a line that is not its answer
                answer = exc
            finally:
                self._busy.release()
            if not isinstance(answer, dict):
                self._broken(answer or EOFError("tiến trình đã dừng"))
            elif answer.get("ok"):
                return float(answer["seconds"])
            else:  # WeasyPrint's own error: printing here gives it again, with its traceback
                log.warning("in report.pdf ở tiến trình phụ không được (%s), in lại trong tiến trình này",
                            answer.get("error"))
        write_pdf(html, pdf_file)
        return None

    def _broken(self, exc: BaseException) -> None:
        log.warning("tiến trình in report.pdf đã dừng (%s); in trong tiến trình này, lần sau khởi động lại", exc)
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)  # reaped, not left a zombie


def _warm() -> None:
    """In the printing process: import WeasyPrint and lay out one line in the report's fonts (fontconfig and
    Pango load them once), while the first process is still computing the figures."""
    from weasyprint import CSS, HTML

    HTML(string="<p>Báo cáo <strong>đ</strong> <em>ữ</em></p>").render(stylesheets=[CSS(string=PRINT_CSS)])


def _serve(requests, answers) -> None:
    """The printing process: one PDF per request line, one answer line each, until its stdin closes (the program
    that started it ended, however it ended)."""
    _warm()
    for line in requests:
        started = time.perf_counter()
        try:
            job = json.loads(line)
            write_pdf(Path(job["html"]).read_text(encoding="utf-8"), job["pdf"])
            answer = {"ok": True, "seconds": time.perf_counter() - started}
        except Exception as exc:  # noqa: BLE001 - said to the first process, which prints it again to raise it
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def pdf_text(path: Path | str) -> str:
    """The text of a PDF, by pdftotext (poppler-utils) when it is installed; "" when it is not."""
    import shutil
    import subprocess

    tool = shutil.which("pdftotext")
    if not tool:
        return ""
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def laid_out_text(html: str) -> str:
    """The text WeasyPrint lays out on the pages of `html` (what write_pdf draws), without pdftotext."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure.boxes import TextBox

    document = HTML(string=html).render(stylesheets=[CSS(string=PRINT_CSS)], presentational_hints=True)
    parts = []
    for page in document.pages:
        parts.extend(box.text for box in page._page_box.descendants() if isinstance(box, TextBox))
    return " ".join(parts)


if __name__ == "__main__":  # the printing process (`Printer`): its stdout carries the answers, and nothing else
    answers, sys.stdout = sys.stdout, sys.stderr
    _serve(sys.stdin, answers)
