"""Stable codes and their Vietnamese names, declared once.

Codes are what the database, CLI, exports and outside checks use; the Vietnamese
names are what people read. Every interface renders a code through `label()`.
"""

from __future__ import annotations

FORMATS: dict[str, str] = {
    "news": "tin",
    "article": "bài",
    "reportage": "phóng sự",
    "memoir": "ký sự",
    "documentary": "phim tài liệu",
    "talk_show": "tọa đàm",
    "interview": "phỏng vấn",
    "online_exchange": "giao lưu trực tuyến",
    "infographic": "infographic",
    "short_video": "video ngắn",
    "qa": "hỏi–đáp",
    "podcast": "phát thanh, podcast",
}

CHANNELS: dict[str, str] = {
    "print": "báo in",
    "online": "báo điện tử",
    "radio": "phát thanh",
    "tv": "truyền hình",
    "social": "mạng xã hội",
    "grassroots": "thông tin cơ sở",
    "portal": "trang thông tin điện tử",
}

ITEM_KINDS: dict[str, str] = {
    "article": "bài báo",
    "broadcast": "chương trình phát thanh, truyền hình",
    "social_post": "bài mạng xã hội",
    "video": "video",
}

SOURCE_KINDS: dict[str, str] = {
    "rss": "RSS/Atom",
    "sitemap": "sitemap",
    "page": "trang chuyên mục",
    "youtube": "kênh YouTube",
    "social_feed": "mạng xã hội (RSS)",
    "broadcast": "chương trình phát sóng",
    "facebook_graph": "Facebook Graph API",
}

# Editorial workflow of a coverage (Superdesk-style states declared up front).
PIECE_STATUSES: dict[str, str] = {
    "idea": "ý tưởng",
    "assigned": "đã giao",
    "in_progress": "đang thực hiện",
    "in_review": "đang duyệt",
    "published": "đã đăng",
    "cancelled": "hủy",
}
# A story also waits (postponed) or gets a new date (rescheduled).
STORY_STATUSES: dict[str, str] = PIECE_STATUSES | {"postponed": "hoãn", "rescheduled": "dời lịch"}

# The allowed moves; anything else is refused with the list of what is allowed.
TRANSITIONS: dict[str, set[str]] = {
    "idea": {"assigned", "cancelled", "postponed"},
    "assigned": {"in_progress", "idea", "cancelled", "postponed", "rescheduled"},
    "in_progress": {"in_review", "assigned", "cancelled", "postponed", "rescheduled"},
    "in_review": {"published", "in_progress", "cancelled"},
    "published": {"in_review"},  # unpublished for a correction
    "cancelled": {"idea", "assigned"},
    "postponed": {"idea", "assigned", "rescheduled", "cancelled"},
    "rescheduled": {"assigned", "in_progress", "cancelled", "postponed"},
}

# Where a coverage runs: the monitoring channels plus the social platforms newsrooms plan for.
PLATFORMS: dict[str, str] = {
    "print": "báo in",
    "online": "báo điện tử",
    "radio": "phát thanh",
    "tv": "truyền hình",
    "facebook": "Facebook",
    "youtube": "YouTube",
    "zalo": "Zalo",
    "tiktok": "TikTok",
    "portal": "trang thông tin điện tử",
    "grassroots": "thông tin cơ sở",
}
SOCIAL_PLATFORMS = {"facebook", "youtube", "zalo", "tiktok"}

THEME_METHODS: dict[str, str] = {"rule": "quy tắc", "model": "mô hình", "manual": "biên tập viên"}

ROLES: dict[str, str] = {
    "admin": "quản trị",
    "editor": "biên tập viên",
    "analyst": "chuyên viên phân tích",
    "viewer": "người xem",
}

DELIVERY_STATUSES: dict[str, str] = {"pending": "chờ gửi", "sent": "đã gửi", "failed": "lỗi"}

_ALL = {"format": FORMATS, "channel": CHANNELS, "kind": ITEM_KINDS, "source_kind": SOURCE_KINDS,
        "status": STORY_STATUSES, "platform": PLATFORMS, "method": THEME_METHODS, "role": ROLES, "delivery": DELIVERY_STATUSES}


def label(vocabulary: str, code: str | None) -> str:
    """The Vietnamese name of a code; unknown codes are shown as they are rather than hidden."""
    if not code:
        return "—"
    return _ALL[vocabulary].get(code, code)
