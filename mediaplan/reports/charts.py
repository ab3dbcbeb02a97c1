"""The report's three charts, as PNG bytes drawn from the figures: the monthly trend, the themes against their
targets, and the outlets and channels. The documents caption them (`TITLES`), so the images carry no title.

Matplotlib's object API on the Agg canvas (no display, no pyplot state), DejaVu Sans (it has every Vietnamese
letter), Vietnamese numbers on the axes (1.234; 2,5), 150 dpi, and no "Software" or date in the PNG metadata,
so the same figures always give the same bytes (the tests compare them, and a rebuilt report does not change).
"""

from __future__ import annotations

import io
import textwrap

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mediaplan.reports.narrative import vi_number

DPI = 150
WIDTH = 6.3  # inches: the text width of an A4 page with 30 + 20 mm margins (16 cm)
EDU, NQ71, TARGET, GREY = "#1f5f99", "#d9822b", "#c0392b", "#9aa7b4"
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans"],
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "svg.hashsalt": "mediaplan",
    "path.simplify": False,
}
TOP_OUTLETS = 10  # outlets drawn one by one; the rest are one bar "Các cơ quan, đơn vị khác"
TITLES = {"trend": "Tin, bài về giáo dục theo tháng",
          "themes": "Tin, bài theo chủ đề của Kế hoạch và chỉ tiêu",
          "outlets": "Tin, bài theo cơ quan, đơn vị và theo kênh"}

_vi_ticks = FuncFormatter(lambda v, _pos: vi_number(v, 0 if float(v).is_integer() else 1))


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _counts_axis(axis) -> None:
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(_vi_ticks)


def _wrap(name: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(name, width)) or name


def _month(key: str) -> str:
    """"2026-11" → "11/2026"."""
    return f"{int(key[5:7])}/{key[:4]}"


def trend(figures: dict) -> bytes:
    series = figures.get("series") or []
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, 2.9), layout="constrained")
        ax = fig.add_subplot()
        xs = list(range(len(series)))
        edu = [m["education"] for m in series]
        nq = [m["nq71"] for m in series]
        ax.plot(xs, edu, marker="o", color=EDU, linewidth=1.8, markersize=4, label="Tin, bài về giáo dục")
        ax.plot(xs, nq, marker="s", color=NQ71, linewidth=1.8, markersize=4, label="Nêu Nghị quyết số 71-NQ/TW")
        for x, y in zip(xs, edu):
            if y:
                ax.annotate(vi_number(y), (x, y), textcoords="offset points", xytext=(-4, 6), ha="right",
                            fontsize=7, color=EDU)
        ax.set_xticks(xs, [_month(m["month"]) for m in series], rotation=45 if len(series) > 6 else 0,
                      ha="right" if len(series) > 6 else "center")
        ax.set_ylim(bottom=0, top=max([*edu, *nq, 1]) * 1.18)
        _counts_axis(ax.yaxis)
        ax.set_ylabel("Số tin, bài")
        ax.grid(axis="x", visible=False)
        fig.legend(loc="outside upper center", ncols=2)
        return _png(fig)


def _theme_targets(figures: dict) -> dict[str, float]:
    """theme code → the threshold of a theme_items target that counts the whole theme (no platform or format
    limit: a limited target counts a subset, and its threshold would mislead next to the theme's bar)."""
    try:
        from mediaplan.plans import current_plan

        specs = {t.key: t for t in current_plan().targets.targets}
    except Exception:  # figures read back without the plan: bars only
        return {}
    out = {}
    for t in figures.get("targets") or []:
        spec = specs.get(t["key"])
        if t["metric"] == "theme_items" and spec and spec.theme and not spec.platform and not spec.format:
            out[spec.theme] = max(out.get(spec.theme, 0), t["threshold"])
    return out


def themes(figures: dict) -> bytes:
    rows = list(figures["themes"])
    goals = _theme_targets(figures)
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, 1.1 + 0.3 * max(len(rows), 3)), layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(len(rows)))
        values = [r["items"] for r in rows]
        before = [r.get("previous", 0) for r in rows]
        ax.barh([y - 0.17 for y in ys], values, color=EDU, height=0.42, label="Trong kỳ")
        ax.barh([y + 0.21 for y in ys], before, color=GREY, height=0.3, label="Kỳ trước")
        top = max([*values, *before, *goals.values(), 1])
        for y, v in zip(ys, values):
            ax.text(v + top * 0.01, y - 0.17, vi_number(v), va="center", fontsize=7)
        marked = [(y, goals[r["code"]]) for y, r in zip(ys, rows) if r["code"] in goals]
        if marked:
            ax.scatter([g for _, g in marked], [y for y, _ in marked], marker="|", s=300, linewidths=2.4,
                       color=TARGET, zorder=5, label="Chỉ tiêu")
        ax.set_yticks(ys, [_wrap(r["name"]) for r in rows], fontsize=7.5)
        ax.set_ylim(len(rows) - 0.5, -0.6)
        ax.set_xlim(0, top * 1.1)
        _counts_axis(ax.xaxis)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Số tin, bài")
        fig.legend(loc="outside upper center", ncols=3)
        return _png(fig)


def _top_outlets(figures: dict) -> list[dict]:
    active = sorted((o for o in figures["outlets"] if o["education"] or o["nq71"]),
                    key=lambda o: (-o["education"], -o["nq71"], o["name"]))
    if len(active) <= TOP_OUTLETS:
        return active
    rest = active[TOP_OUTLETS - 1:]
    return active[:TOP_OUTLETS - 1] + [{"name": f"Các cơ quan, đơn vị khác ({vi_number(len(rest))})",
                                        "education": sum(o["education"] for o in rest),
                                        "nq71": sum(o["nq71"] for o in rest)}]


def _hbars(ax, rows: list[dict], series: list[tuple[str, str, str]], title: str, width: int) -> None:
    """Grouped horizontal bars, one group a row, with the value at each bar's end and the legend above."""
    ys = list(range(len(rows)))
    h = 0.8 / len(series)
    peak = max([r[key] for r in rows for key, _, _ in series] + [1])
    for k, (key, name, colour) in enumerate(series):
        offset = (k - (len(series) - 1) / 2) * h
        ax.barh([y + offset for y in ys], [r[key] for r in rows], height=h * 0.95, color=colour, label=name)
        for y, r in zip(ys, rows):
            ax.text(r[key] + peak * 0.01, y + offset, vi_number(r[key]), va="center", fontsize=7)
    ax.set_yticks(ys, [_wrap(r["name"], width) for r in rows], fontsize=7.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, peak * 1.12)
    _counts_axis(ax.xaxis)
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")


def outlets(figures: dict) -> bytes:
    rows = _top_outlets(figures) or [{"name": "Chưa có tin, bài trong kỳ", "education": 0, "nq71": 0}]
    channels = figures["channels"]
    h_top, h_bottom = 0.9 + 0.42 * len(rows), 0.5 + 0.25 * len(channels)
    with rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, h_top + h_bottom + 0.4), layout="constrained")
        top, bottom = fig.subplots(2, 1, height_ratios=[h_top, h_bottom])
        _hbars(top, rows, [("education", "Tin, bài về giáo dục", EDU), ("nq71", "Nêu Nghị quyết số 71-NQ/TW", NQ71)],
               "a) Theo cơ quan, đơn vị", 40)
        _hbars(bottom, channels, [("items", "Tin, bài về giáo dục", EDU)], "b) Theo kênh", 40)
        bottom.set_xlabel("Số tin, bài")
        fig.legend(*top.get_legend_handles_labels(), loc="outside upper center", ncols=2)
        return _png(fig)


CHARTS = {"trend": trend, "themes": themes, "outlets": outlets}  # the charts there are, by name (also /charts/NAME.png)
INPUTS = ("series", "themes", "targets", "outlets", "channels")  # the keys of `figures` they are drawn from


def render_charts(figures: dict) -> dict[str, bytes]:
    """{"trend", "themes", "outlets"} → PNG bytes."""
    return {name: draw(figures) for name, draw in CHARTS.items()}
