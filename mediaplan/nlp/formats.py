"""The format of an item (tin, bài, phóng sự…), from the markers newsrooms put in titles,
the section in the URL, the kind of item and, for broadcasts, its duration."""

from __future__ import annotations

import re

# Order matters: the most specific marker wins.
_TITLE_MARKERS: list[tuple[str, re.Pattern]] = [
    ("infographic", re.compile(r"\binfographic\b|\[\s*đồ họa\s*\]", re.I)),
    ("qa", re.compile(r"hỏi\s*[-–—:]?\s*đáp|\bhỏi đáp\b", re.I)),
    ("online_exchange", re.compile(r"giao lưu trực tuyến", re.I)),
    ("talk_show", re.compile(r"^\s*\[?\s*tọa đàm|\btọa đàm\s*:", re.I)),
    ("documentary", re.compile(r"phim tài liệu", re.I)),
    ("memoir", re.compile(r"^\s*\[?\s*ký sự", re.I)),
    ("reportage", re.compile(r"^\s*\[?\s*phóng sự", re.I)),
    ("podcast", re.compile(r"^\s*\[?\s*(podcast|phát thanh)\b|^\s*bản tin (thông tin cơ sở|phát thanh)", re.I)),
    ("interview", re.compile(r"^\s*\[?\s*phỏng vấn|\bphỏng vấn\s*:", re.I)),
    ("short_video", re.compile(r"^\s*\[\s*video\s*\]|^\s*video\s*:|#shorts\b", re.I)),
]
_SECTIONS = {
    "phong-su": "reportage",
    "toa-dam": "talk_show",
    "phim-tai-lieu": "documentary",
    "ky-su": "memoir",
    "hoi-dap": "qa",
    "phat-thanh": "podcast",
    "ban-tin-phat-thanh": "podcast",
    "ban-tin-thong-tin-co-so": "podcast",
    "phong-van-doi-thoai": "interview",
    "infographic": "infographic",
    "podcast": "podcast",
    "video": "short_video",
}


def detect_format(title: str, body: str, url: str | None = None, kind: str = "article",
                  duration_seconds: int | None = None) -> tuple[str, str]:
    """Returns (format code, why)."""
    for code, pattern in _TITLE_MARKERS:
        if pattern.search(title):
            return code, f"tiêu đề: {pattern.search(title).group(0).strip()}"
    if url:
        # The most specific section wins: /video/phong-su/… is a reportage, not a short video.
        parts = [p for p in re.split(r"[/?#]", url.lower()) if p in _SECTIONS]
        if parts:
            part = next((p for p in parts if p != "video"), parts[0])
            return _SECTIONS[part], f"chuyên mục: /{part}/"
    if kind in ("video", "broadcast"):
        if duration_seconds is not None and duration_seconds > 600:
            return "reportage", f"thời lượng {duration_seconds // 60} phút"
        return "short_video", "video không có dấu hiệu định dạng khác"
    words = len(body.split())
    if words < 350:
        return "news", f"{words} từ (< 350)"
    return "article", f"{words} từ"


_SOCIAL_HOSTS = ("facebook.com", "fb.watch", "tiktok.com", "zalo.me", "youtube.com", "youtu.be")


def detect_channel(url: str | None, kind: str = "article", duration_seconds: int | None = None) -> str | None:
    """The channel an item reached people by, when it can be told from the item alone.

    Stored items take the channel of their source; this is for loose texts and URLs
    (`classify-text`), where the answer may honestly be unknown (None).
    """
    if kind == "social_post":
        return "social"
    host = url.split("/")[2].lower() if url and "://" in url else ""
    path = url.lower() if url else ""
    if any(host.endswith(h) for h in _SOCIAL_HOSTS):
        return "social"
    if kind == "broadcast":
        # A commune's loudspeaker bulletin, a radio programme, or else television.
        if host.endswith(".gov.vn") and re.search(r"thong-tin-co-so|ban-tin|phat-thanh|truyen-thanh", path):
            return "grassroots"
        if re.search(r"/(phat-thanh|podcast|radio)/", path):
            return "radio"
        return "tv"
    if not url:
        return None
    if host.startswith(("epaper.", "baoin.")) or "/bao-in/" in path:
        return "print"
    if host.endswith(".gov.vn"):
        return "portal"
    return "online"
