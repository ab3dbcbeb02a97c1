"""The first draft of the report's judgement sections (II to IV), written from the figures alone.

Decree 30's periodic report ends with an assessment (ưu điểm, tồn tại, nguyên nhân), directions and proposals.
The Department writes those; `draft(figures)` gives it a start that states only what the figures say: the
strongest themes and their change since the previous period, the targets not met and the ones that cannot be
judged (with the reason), the units that have not posted, the units nobody watches, and the directions that
follow from them. The analyst edits the text before approval; every renderer takes the edited sections as
`narrative` and falls back to this draft section by section (`sections`).

Also the home of the Vietnamese number format the documents use: 1.234 and 1.234,5; 45,5%.
"""

from __future__ import annotations

KEYS = ("uu_diem", "ton_tai", "nguyen_nhan", "phuong_huong", "de_xuat")
TITLES = {"uu_diem": "Ưu điểm", "ton_tai": "Tồn tại, hạn chế", "nguyen_nhan": "Nguyên nhân",
          "phuong_huong": "Phương hướng, nhiệm vụ thời gian tới", "de_xuat": "Đề xuất, kiến nghị"}
NAMED_UNITS = 5  # how many units a sentence names before "và N đơn vị khác"
STRONG_THEMES = 3


# --- Vietnamese numbers ------------------------------------------------------------------------------------

def vi_number(value: float | int | None, decimals: int = 0) -> str:
    """1234 → "1.234"; vi_number(1234.5, 1) → "1.234,5" (a trailing ",0" is dropped); None → "—"."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    if decimals and text.rstrip("0").endswith("."):
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def vi_percent(value: float | None, decimals: int = 1) -> str:
    """A percentage already multiplied by 100: 45.5 → "45,5%", 100.0 → "100%"."""
    return "—" if value is None else f"{vi_number(value, decimals)}%"


def vi_target(value: float | None, unit: str) -> str:
    """A target's threshold or value: a ratio as a percentage, a count as a number."""
    if value is None:
        return "—"
    return vi_percent(value * 100) if str(unit) == "ratio" else vi_number(value, 1)


def change(now: int, before: int, what: str = "tin, bài") -> str:
    """"tăng 2 tin, bài (+11,1%)", "giảm 3 tin, bài (-25%)", "không đổi"; no percentage from zero."""
    if now == before:
        return "không đổi"
    text = f"{'tăng' if now > before else 'giảm'} {vi_number(abs(now - before))}" + (f" {what}" if what else "")
    if not before:
        return text
    return f"{text} ({'+' if now > before else '-'}{vi_percent(abs(now - before) / before * 100)})"


def during(label: str) -> str:
    """"Trong tháng 11/2026" / "Trong quý IV năm 2026"; a span already says when: "Từ 4/2026 đến 12/2026"."""
    return label[:1].upper() + label[1:] if label.startswith("từ ") else f"Trong {label}"


def previous_names(label: str) -> tuple[str, str]:
    """How a sentence names the period before: in brackets ("tháng 10/2026" / "kỳ trước, từ 7/2025 đến 3/2026")
    and after "so với" ("tháng 10/2026" / "kỳ trước")."""
    return (f"kỳ trước, {label}", "kỳ trước") if label.startswith("từ ") else (label, label)


def _names(names: list[str], limit: int = NAMED_UNITS, what: str = "đơn vị") -> str:
    """"A; B; C và 4 đơn vị khác" (a semicolon: official names contain commas)."""
    shown = "; ".join(names[:limit])
    rest = len(names) - limit
    return f"{shown} và {vi_number(rest)} {what} khác" if rest > 0 else shown


def reason(target: dict) -> str:
    """Why a target cannot be judged: its evaluation after "chưa đủ dữ liệu: "."""
    text = target.get("evaluation") or ""
    return text.split(":", 1)[1].strip() if text.startswith("chưa đủ dữ liệu:") else text


def _sentence(parts: list[str]) -> str:
    """One point a line (each renderer makes a line a paragraph), each ending with a full stop."""
    return "\n".join(p if p.endswith(".") else p + "." for p in parts if p)


# --- the draft ---------------------------------------------------------------------------------------------

def _facts(f: dict) -> dict:
    """What the draft talks about. A period with no item collected (`metrics.data_gaps`) has no themes to call
    empty or falling and no unit to call silent: every zero is the missing data, which the draft says instead."""
    units = f.get("units") or []
    targets = f.get("targets") or []
    gaps = f.get("no_data") or {}
    if gaps.get("items"):
        return {"strong": [], "empty": [], "down": [], "met": [t for t in targets if t["met"] is True],
                "unmet": [t for t in targets if t["met"] is False], "unjudged": [t for t in targets if t["met"] is None],
                "posted": [], "silent": [], "unwatched": [u for u in units if u["status"] == "chưa theo dõi"],
                "units": units, "gaps": gaps, "exemplary": []}
    return {
        "gaps": gaps,
        "exemplary": (f.get("exemplary") or {}).get("stories") or [],
        "strong": [t for t in sorted(f["themes"], key=lambda t: (-t["items"], t.get("code", "")))
                   if t["items"] > 0][:STRONG_THEMES],
        "empty": [t for t in f["themes"] if not t["items"]],
        "down": [t for t in f["themes"] if t["items"] < t.get("previous", 0)],
        "met": [t for t in targets if t["met"] is True],
        "unmet": [t for t in targets if t["met"] is False],
        "unjudged": [t for t in targets if t["met"] is None],
        "posted": [u for u in units if u["status"] == "đã đăng"],
        "silent": [u for u in units if u["status"] == "chưa đăng"],
        "unwatched": [u for u in units if u["status"] == "chưa theo dõi"],
        "units": units,
    }


def draft(figures: dict) -> dict[str, str]:
    """The five judgement sections, plain Vietnamese text drawn from `figures`, one point a line."""
    f, x = figures, _facts(figures)
    t, period = f["totals"], f["period_label"]
    before, previous = previous_names(f["previous_label"])
    cal = f.get("calendar") or {}

    # Ưu điểm: volume and its change, the strongest themes, the targets met, the plan delivered, units posting.
    good = []
    if t["education"]:
        good.append(f"{during(period)}, có {vi_number(t['education'])} tin, bài về giáo dục và đào tạo "
                    f"({before}: {vi_number(t['previous_education'])}), "
                    f"{change(t['education'], t['previous_education'])}; "
                    + (f"trong đó {vi_number(t['nq71'])} tin, bài nêu Nghị quyết số 71-NQ/TW "
                       f"({before}: {vi_number(t['previous_nq71'])}), {change(t['nq71'], t['previous_nq71'])}"
                       if t["nq71"] else
                       f"chưa có tin, bài nêu Nghị quyết số 71-NQ/TW ({before}: {vi_number(t['previous_nq71'])})"))
    elif x["gaps"].get("items"):
        good.append(f"{during(period)}, chưa có dữ liệu theo dõi để đánh giá kết quả truyền thông")
    else:
        good.append(f"{during(period)}, chưa ghi nhận tin, bài về giáo dục và đào tạo")
    if x["strong"]:
        good.append(f"Các chủ đề được phản ánh nhiều nhất (so với {previous}): " + "; ".join(
            f"{s['name']}: {vi_number(s['items'])} tin, bài, {change(s['items'], s.get('previous', 0), '')}"
            for s in x["strong"]))
    if x["met"]:
        judged = len(x["met"]) + len(x["unmet"])
        good.append(f"Đạt {vi_number(len(x['met']))}/{vi_number(judged)} chỉ tiêu đánh giá được: "
                    + "; ".join(m["name"] for m in x["met"]))
    if cal.get("planned"):
        good.append(f"Lịch biên tập: {vi_number(cal['delivered'])}/{vi_number(cal['planned'])} tin, bài theo kế hoạch "
                    f"đã đăng ({vi_percent(cal['delivered'] / cal['planned'] * 100)})")
    if x["posted"]:
        good.append(f"{vi_number(len(x['posted']))} sở, ngành, xã, phường, đặc khu có tin, bài về Nghị quyết số "
                    f"71-NQ/TW trên trang thông tin điện tử: {_names([u['name'] for u in x['posted']])}")

    # Tồn tại, hạn chế: targets not met, themes with nothing or fewer, units silent or unwatched, figures missing.
    weak = []
    if x["gaps"].get("items"):
        weak.append(f"Trong kỳ báo cáo chưa có dữ liệu theo dõi: {x['gaps']['items']}; các số liệu về tin, bài bằng 0 "
                    "và các chỉ tiêu tính từ tin, bài chưa đánh giá được")
    if x["gaps"].get("plan"):
        weak.append(x["gaps"]["plan"][:1].upper() + x["gaps"]["plan"][1:])
    if x["unmet"]:
        weak.append("Chỉ tiêu chưa đạt: " + "; ".join(
            f"{u['name']} (kết quả {vi_target(u['value'], u['unit'])}, yêu cầu {vi_target(u['threshold'], u['unit'])})"
            for u in x["unmet"]))
    if x["empty"]:
        weak.append(f"{vi_number(len(x['empty']))} chủ đề chưa có tin, bài trong kỳ: "
                    + _names([e["name"] for e in x["empty"]], 8, "chủ đề"))
    down = [d for d in x["down"] if d["items"]]
    if down:
        weak.append(f"Chủ đề có ít tin, bài hơn {previous}: " + "; ".join(
            f"{d['name']}: {vi_number(d['items'])}, {change(d['items'], d['previous'], '')}"
            for d in down[:5]))
    if x["silent"]:
        weak.append(f"{vi_number(len(x['silent']))} đơn vị được theo dõi chưa đăng tin, bài về Nghị quyết số 71-NQ/TW "
                    f"trong kỳ: {_names([u['name'] for u in x['silent']])}")
    if x["unwatched"]:
        weak.append(f"{vi_number(len(x['unwatched']))}/{vi_number(len(x['units']))} sở, ngành, xã, phường, đặc khu "
                    "chưa được theo dõi trang thông tin điện tử nên chưa đánh giá được việc đăng tin, bài (mục V.6)")
    if cal.get("planned") and cal["delivered"] < cal["planned"]:
        weak.append(f"{vi_number(cal['planned'] - cal['delivered'])} tin, bài theo kế hoạch chưa đăng")
    if x["unjudged"] and x["gaps"].get("items"):
        weak.append(f"{vi_number(len(x['unjudged']))} chỉ tiêu chưa đánh giá được do chưa đủ dữ liệu: "
                    + "; ".join(u["name"] for u in x["unjudged"]))
    elif x["unjudged"]:
        weak.append(f"{vi_number(len(x['unjudged']))} chỉ tiêu chưa đánh giá được do chưa đủ dữ liệu: "
                    + "; ".join(f"{u['name']}: {reason(u)}" for u in x["unjudged"]))
    if not weak:
        weak.append("Số liệu trong kỳ chưa cho thấy tồn tại, hạn chế")

    # Nguyên nhân: only what the figures explain (why a figure is missing); the rest is the Department's.
    why = []
    if x["gaps"].get("items"):
        why.append(f"Chưa có dữ liệu theo dõi: {x['gaps']['items']}")
    sources = [u for u in x["unjudged"] if ("chưa thu thập" in reason(u) or "kênh" in reason(u))
               and reason(u) != x["gaps"].get("items")]
    manual = [u for u in x["unjudged"] if u.get("metric") == "manual"]
    if sources:
        why.append("Một số kênh, nguồn tin chưa được thu thập số liệu: " + "; ".join(reason(u) for u in sources))
    if x["unwatched"]:
        why.append(f"Trang thông tin điện tử của {vi_number(len(x['unwatched']))} đơn vị chưa được đưa vào theo dõi")
    if manual:
        why.append(f"Chưa nhập số liệu cho {vi_number(len(manual))} chỉ tiêu phải nhập tay: "
                   + "; ".join(m["name"] for m in manual))
    why.append("Các nguyên nhân chủ quan, khách quan khác: Sở bổ sung trước khi ký")

    # Phương hướng: the Department's own next steps, one for each gap above.
    todo = []
    if x["gaps"].get("items"):
        todo.append("Kiểm tra, khôi phục việc thu thập tin, bài của các nguồn tin và lập lại báo cáo khi có số liệu")
    if x["gaps"].get("plan"):
        todo.append("Lên kế hoạch tin, bài trên lịch biên tập cho các chủ đề của Kế hoạch")
    focus = [u["name"] for u in x["unmet"] if u.get("metric") == "theme_items"] + [e["name"] for e in x["empty"]]
    if focus:
        todo.append("Ưu tiên lên kế hoạch tin, bài cho các chủ đề, chỉ tiêu chưa đạt hoặc chưa có tin, bài: "
                    + _names(focus, 6, "nội dung"))
    if cal.get("planned") and cal["delivered"] < cal["planned"]:
        todo.append(f"Phối hợp với cơ quan báo chí hoàn thành {vi_number(cal['planned'] - cal['delivered'])} tin, bài "
                    "theo kế hoạch chưa đăng")
    if x["silent"]:
        todo.append(f"Đôn đốc {vi_number(len(x['silent']))} đơn vị chưa đăng tin, bài về Nghị quyết số 71-NQ/TW: "
                    + _names([u["name"] for u in x["silent"]]))
    if sources:
        todo.append("Bật thu thập các nguồn còn thiếu để đánh giá được chỉ tiêu: "
                    + "; ".join(f"{u['name']}: {reason(u)}" for u in sources))
    if x["unwatched"]:
        todo.append(f"Bổ sung theo dõi trang thông tin điện tử của {vi_number(len(x['unwatched']))} đơn vị chưa được theo dõi")
    if manual:
        todo.append("Cập nhật số liệu kèm minh chứng cho các chỉ tiêu: " + "; ".join(m["name"] for m in manual))
    if not todo:
        todo.append("Tiếp tục duy trì kết quả đã đạt được, bám sát các chủ đề và chỉ tiêu của Kế hoạch")

    # Đề xuất, kiến nghị: what the Provincial People's Committee is asked to do.
    ask = []
    if x["silent"]:
        ask.append("Đề nghị Ủy ban nhân dân tỉnh chỉ đạo các sở, ngành, xã, phường, đặc khu chưa đăng tin, bài trong kỳ "
                   f"({vi_number(len(x['silent']))} đơn vị: {_names([u['name'] for u in x['silent']])}) thường xuyên "
                   "đăng tải thông tin về thực hiện Nghị quyết số 71-NQ/TW trên trang thông tin điện tử theo mục V.6 "
                   "của Kế hoạch")
    if x["unwatched"]:
        ask.append(f"Đề nghị các đơn vị chưa được theo dõi ({vi_number(len(x['unwatched']))} đơn vị) cung cấp địa chỉ "
                   "trang thông tin điện tử cho Sở Giáo dục và Đào tạo để tổng hợp")
    if manual:
        ask.append("Đề nghị các cơ quan, đơn vị liên quan cung cấp số liệu cho các chỉ tiêu: "
                   + "; ".join(m["name"] for m in manual))
    if x["exemplary"]:
        total = (f.get("exemplary") or {}).get("total") or len(x["exemplary"])
        ask.append(f"Đề nghị xem xét biểu dương, khen thưởng các tập thể, cá nhân điển hình được nêu trong "
                   f"{vi_number(total)} tin, bài về gương điển hình, mô hình hay trong kỳ (điểm e, mục I.2)")
    if not ask:
        ask.append("Không có đề xuất, kiến nghị phát sinh từ số liệu trong kỳ")

    return {"uu_diem": _sentence(good), "ton_tai": _sentence(weak), "nguyen_nhan": _sentence(why),
            "phuong_huong": _sentence(todo), "de_xuat": _sentence(ask)}


def sections(figures: dict, narrative: dict[str, str] | None = None) -> dict[str, str]:
    """The text each section prints: the analyst's edit where there is one (not blank), else the draft."""
    edited = {k: v for k, v in (narrative or {}).items() if k in KEYS and v and v.strip()}
    if len(edited) == len(KEYS):
        return {k: edited[k].strip() for k in KEYS}
    drafted = draft(figures)
    return {k: edited.get(k, drafted[k]).strip() for k in KEYS}


def to_html(figures: dict, narrative: dict[str, str] | None = None) -> str:
    """Sections II to IV as report.html prints them (the template's inline styles), from `sections`."""
    from html import escape

    texts = sections(figures, narrative)
    head = '<p style="font-weight:bold;">{}</p>'
    body = '<p style="text-align:justify;text-indent:1.2cm;">{}</p>'

    def paragraphs(key: str) -> list[str]:
        return [body.format(escape(line.strip())) for line in texts[key].splitlines() if line.strip()]

    out = [head.format("II. ĐÁNH GIÁ CHUNG")]
    for i, key in enumerate(("uu_diem", "ton_tai", "nguyen_nhan"), 1):
        out += [head.format(f"{i}. {TITLES[key]}"), *paragraphs(key)]
    out += [head.format("III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI"), *paragraphs("phuong_huong")]
    out += [head.format("IV. ĐỀ XUẤT, KIẾN NGHỊ"), *paragraphs("de_xuat")]
    return "\n".join(out)
