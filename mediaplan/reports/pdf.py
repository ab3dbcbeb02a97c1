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
import html as _html
from pathlib import Path

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
