"""Every closed vocabulary of mediaplan, declared once as a `StrEnum` with its Vietnamese name.

Codes are what the database, CLI, exports and outside checks use; the Vietnamese
names are what people read. The schema stores each vocabulary through
`db.schema.code_column`, which gives it a CHECK constraint on SQLite and
PostgreSQL alike, so a value outside its vocabulary cannot be written even by raw
SQL. The plan models, the CLI's choices, the web API's models and the spider take
the same types, so adding a code here is the only edit a new code needs (plus a
migration for the constraint).

A member is a `str`: `Format.NEWS == "news"`, and `Format.NEWS.label == "tin"`.
"""

from __future__ import annotations

from enum import StrEnum

from mediaplan.i18n import gettext


class Vocabulary(StrEnum):
    """A closed set of codes, each with the Vietnamese name people read."""

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Code → name in the current language (Vietnamese but on a page shown in English), in declaration order
        (templates and help texts); the Vietnamese name is the msgid (mediaplan/i18n)."""
        return {m.value: gettext(m.label) for m in cls}

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def parse(cls, value: str):
        """The member for a code, or a ValueError that lists the allowed codes (for users, in Vietnamese)."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} không hợp lệ; chọn một trong: {', '.join(cls.codes())}") from None


# --- what an item is -----------------------------------------------------------------------


class Format(Vocabulary):
    """The journalistic form of an item or a coverage (plan III.3 names them)."""

    NEWS = "news", "tin"
    ARTICLE = "article", "bài"
    REPORTAGE = "reportage", "phóng sự"
    MEMOIR = "memoir", "ký sự"
    DOCUMENTARY = "documentary", "phim tài liệu"
    TALK_SHOW = "talk_show", "tọa đàm"
    INTERVIEW = "interview", "phỏng vấn"
    ONLINE_EXCHANGE = "online_exchange", "giao lưu trực tuyến"
    INFOGRAPHIC = "infographic", "infographic"
    SHORT_VIDEO = "short_video", "video ngắn"
    QA = "qa", "hỏi–đáp"
    PODCAST = "podcast", "phát thanh, podcast"


class Channel(Vocabulary):
    """How the public receives an item: the monitoring channels of the plan."""

    PRINT = "print", "báo in"
    ONLINE = "online", "báo điện tử"
    RADIO = "radio", "phát thanh"
    TV = "tv", "truyền hình"
    SOCIAL = "social", "mạng xã hội"
    GRASSROOTS = "grassroots", "thông tin cơ sở"
    PORTAL = "portal", "trang thông tin điện tử"


class Platform(Vocabulary):
    """Where a coverage runs: the monitoring channels plus the social platforms newsrooms plan for."""

    PRINT = "print", "báo in"
    ONLINE = "online", "báo điện tử"
    RADIO = "radio", "phát thanh"
    TV = "tv", "truyền hình"
    FACEBOOK = "facebook", "Facebook"
    YOUTUBE = "youtube", "YouTube"
    ZALO = "zalo", "Zalo"
    TIKTOK = "tiktok", "TikTok"
    PORTAL = "portal", "trang thông tin điện tử"
    GRASSROOTS = "grassroots", "thông tin cơ sở"


SOCIAL_PLATFORMS = frozenset({Platform.FACEBOOK, Platform.YOUTUBE, Platform.ZALO, Platform.TIKTOK})


class ItemKind(Vocabulary):
    ARTICLE = "article", "bài báo"
    BROADCAST = "broadcast", "chương trình phát thanh, truyền hình"
    SOCIAL_POST = "social_post", "bài mạng xã hội"
    VIDEO = "video", "video"


class SourceKind(Vocabulary):
    """How a source is fetched: one spider strategy each (crawler/spider.py)."""

    RSS = "rss", "RSS/Atom"
    SITEMAP = "sitemap", "sitemap"
    PAGE = "page", "trang chuyên mục"
    YOUTUBE = "youtube", "kênh YouTube"
    SOCIAL_FEED = "social_feed", "mạng xã hội (RSS)"
    BROADCAST = "broadcast", "chương trình phát sóng"
    FACEBOOK_GRAPH = "facebook_graph", "Facebook Graph API"


class AdhocKind(Vocabulary):
    """The source kinds an ad-hoc crawl (`mediaplan crawl --url … --kind …`) takes: they need nothing but a URL."""

    RSS = "rss", "RSS/Atom"
    SITEMAP = "sitemap", "sitemap"
    PAGE = "page", "trang chuyên mục"
    YOUTUBE = "youtube", "kênh YouTube"



class OutletKind(Vocabulary):
    PRESS = "press", "cơ quan báo chí"
    DEPARTMENT = "department", "sở, ban, ngành"
    PROVINCE = "province", "cổng tỉnh"
    COMMUNE = "commune", "xã, phường, đặc khu"


class AgencyKind(Vocabulary):
    DEPARTMENT = "department", "sở, ban, ngành"
    OUTLET = "outlet", "cơ quan báo chí"
    PROVINCE = "province", "tỉnh"
    COMMUNE = "commune", "xã, phường, đặc khu"


class EntityKind(Vocabulary):
    AGENCY = "agency", "cơ quan"
    COMMUNE = "commune", "xã, phường, đặc khu"
    SCHOOL = "school", "trường học"


class TextField(Vocabulary):
    """Where in an item a piece of evidence or an entity was found (offsets count within that field)."""

    TITLE = "title", "tiêu đề"
    SAPO = "sapo", "sa-pô"
    BODY = "body", "nội dung"


class ThemeGroup(Vocabulary):
    TASK = "task", "nhiệm vụ"
    TOPIC = "topic", "chủ đề"


class ThemeMethod(Vocabulary):
    """Who decided that an item has a theme."""

    RULE = "rule", "quy tắc"
    MODEL = "model", "mô hình"
    MANUAL = "manual", "biên tập viên"


class CrawlStatus(Vocabulary):
    RUNNING = "running", "đang chạy"
    DONE = "done", "xong"
    FAILED = "failed", "lỗi"
    ABORTED = "aborted", "bị dừng giữa chừng"  # its process died before finishing; marked by the next crawl


# --- the editorial workflow (Superdesk-style: states declared up front) -------------------


class CoverageStatus(Vocabulary):
    """The life of one coverage, in the order work moves forward."""

    IDEA = "idea", "ý tưởng"
    ASSIGNED = "assigned", "đã giao"
    IN_PROGRESS = "in_progress", "đang thực hiện"
    IN_REVIEW = "in_review", "đang duyệt"
    PUBLISHED = "published", "đã đăng"
    CANCELLED = "cancelled", "hủy"


class StoryStatus(Vocabulary):
    """A story has the coverage states, and may also wait (postponed) or get a new date (rescheduled)."""

    IDEA = "idea", "ý tưởng"
    ASSIGNED = "assigned", "đã giao"
    IN_PROGRESS = "in_progress", "đang thực hiện"
    IN_REVIEW = "in_review", "đang duyệt"
    PUBLISHED = "published", "đã đăng"
    CANCELLED = "cancelled", "hủy"
    POSTPONED = "postponed", "hoãn"
    RESCHEDULED = "rescheduled", "dời lịch"


# The allowed moves; anything else is refused with the list of what is allowed.
TRANSITIONS: dict[str, frozenset[str]] = {
    StoryStatus.IDEA: frozenset({"assigned", "cancelled", "postponed"}),
    StoryStatus.ASSIGNED: frozenset({"in_progress", "idea", "cancelled", "postponed", "rescheduled"}),
    StoryStatus.IN_PROGRESS: frozenset({"in_review", "assigned", "cancelled", "postponed", "rescheduled"}),
    StoryStatus.IN_REVIEW: frozenset({"published", "in_progress", "cancelled"}),
    StoryStatus.PUBLISHED: frozenset({"in_review"}),  # unpublished for a correction
    StoryStatus.CANCELLED: frozenset({"idea", "assigned"}),
    StoryStatus.POSTPONED: frozenset({"idea", "assigned", "rescheduled", "cancelled"}),
    StoryStatus.RESCHEDULED: frozenset({"assigned", "in_progress", "cancelled", "postponed"}),
}


class WorkflowEntity(Vocabulary):
    STORY = "story", "tin bài"
    COVERAGE = "coverage", "phần thực hiện"
    COLUMN = "column", "chuyên mục"


class WorkflowAction(Vocabulary):
    """What an audit-log row records."""

    CREATE = "create", "tạo"
    STATUS = "status", "đổi trạng thái"
    MOVE = "move", "dời lịch"
    ASSIGN = "assign", "giao việc"
    EDIT = "edit", "sửa"
    LINK = "link", "liên kết"
    SUGGEST = "suggest", "gợi ý liên kết"
    UNLINK = "unlink", "bỏ liên kết"


class EditScope(Vocabulary):
    """Which slots of a recurring column an edit reaches (RFC 5545's THISANDFUTURE, and the two others)."""

    ONE = "one", "một kỳ"
    FUTURE = "future", "kỳ này và các kỳ sau"
    ALL = "all", "cả chuỗi"


class LinkStatus(Vocabulary):
    """A link from a coverage to the item that delivered it: only `confirmed` counts as delivered."""

    CONFIRMED = "confirmed", "đã xác nhận"
    SUGGESTED = "suggested", "gợi ý"
    REJECTED = "rejected", "đã bác"


class MatchedBy(Vocabulary):
    MONITOR = "monitor", "giám sát tự động"
    MANUAL = "manual", "biên tập viên"


class ReminderKind(Vocabulary):
    """What a reminder is about; `unit_silent` reminds a unit that has posted nothing on Resolution 71 in a period (plan V.1, V.6)."""

    DUE = "due", "sắp đến hạn"
    OVERDUE = "overdue", "quá hạn"
    UNASSIGNED = "unassigned", "chưa giao"
    UNIT_SILENT = "unit_silent", "chưa đăng bài về NQ 71"


class Digest(Vocabulary):
    """The calendar's reminder digests (`calendar remind --digest`, the scheduler's two jobs)."""

    DAILY = "daily", "hằng ngày"
    WEEKLY = "weekly", "hằng tuần"


class ReminderCadence(Vocabulary):
    """How often a recorded reminder goes out (`reminders_sent.digest`): the calendar's digests, and `period`, once
    per reporting period (a unit reminded about one month). Apart from `Digest` so that the calendar's choices do
    not grow a value its reminders cannot send."""

    DAILY = "daily", "hằng ngày"
    WEEKLY = "weekly", "hằng tuần"
    PERIOD = "period", "theo kỳ"


class FeedScope(Vocabulary):
    """Whose calendar an iCal subscription URL shows."""

    ALL = "all", "toàn bộ"
    USER = "user", "người thực hiện"
    DESK = "desk", "ban"
    OUTLET = "outlet", "cơ quan"
    THEME = "theme", "chủ đề"


class TokenPurpose(Vocabulary):
    """What a secret URL opens: each purpose its own token, so an iCal URL never opens the shared view."""

    ICAL = "ical", "lịch iCal"
    SHARE = "share", "xem chung (chỉ đọc)"


class KeyDateSource(Vocabulary):
    PLAN = "plan", "kế hoạch"
    ICS = "ics", "lịch nhập"


class ExportFormat(Vocabulary):
    """What `items export` writes."""

    JSONL = "jsonl", "JSON Lines"
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel"


# --- reports and people ---------------------------------------------------------------------


class SendStatus(Vocabulary):
    """A report e-mail to one recipient for one version of a report (`reports.mail` moves it).

    `sending`: claimed, the SMTP conversation has begun but the message itself has not left (a sender that dies
    here delivered nothing, so the row may be taken again later). `uncertain`: the message went out after DATA and
    the server's answer never came back; it may or may not have been delivered, so only an analyst re-sends it.
    """

    PENDING = "pending", "chờ gửi"
    SENDING = "sending", "đang gửi"
    SENT = "sent", "đã gửi"
    FAILED = "failed", "lỗi"
    UNCERTAIN = "uncertain", "không chắc đã gửi"


class ReportState(Vocabulary):
    """One version (one build) of a period's report: only an approved version is ever sent."""

    DRAFT = "draft", "bản nháp"
    APPROVED = "approved", "đã duyệt"
    SENT = "sent", "đã gửi"


class Role(Vocabulary):
    ADMIN = "admin", "quản trị"
    EDITOR = "editor", "biên tập viên"
    ANALYST = "analyst", "chuyên viên phân tích"
    VIEWER = "viewer", "người xem"


class TargetUnit(Vocabulary):
    RATIO = "ratio", "tỷ lệ"
    COUNT = "count", "số lượng"


class TargetPer(Vocabulary):
    MONTH = "month", "mỗi tháng"
    PERIOD = "period", "cả kỳ"


class TargetMetric(Vocabulary):
    """How a target is measured; `manual` figures are entered by hand with their evidence; `register` figures are
    counted from the registers of conferences and courses against each unit's headcount (services.registers)."""

    OUTLET_COLUMN = "outlet_column", "chuyên mục của cơ quan báo chí"
    OUTLET_MULTIPLATFORM = "outlet_multiplatform", "đa nền tảng"
    THEME_ITEMS = "theme_items", "tin, bài theo chủ đề"
    PORTAL_POSTS = "portal_posts", "bài trên trang thông tin điện tử"
    MANUAL = "manual", "nhập tay"
    REGISTER = "register", "sổ theo dõi"


# --- registers of conferences and courses (plan II.1, III.4) ----------------------------------


class RegisterKind(Vocabulary):
    """What a register event is: a dissemination conference (plan II.1, first bullet) or a course (plan III.4).

    The two feed different targets with different denominators (`HeadcountKind`), and their attendances add up
    differently across events (docs/metrics.md, "Sổ theo dõi").
    """

    TRAINING = "training", "lớp đào tạo, bồi dưỡng"
    CONFERENCE = "conference", "hội nghị quán triệt"


class HeadcountKind(Vocabulary):
    """Which of a unit's headcounts a target divides by: all its staff (quán triệt) or its communication staff (training)."""

    STAFF = "staff", "cán bộ, công chức, viên chức"
    COMMS_STAFF = "comms_staff", "cán bộ làm công tác thông tin, truyền thông"


# Name → vocabulary, for `label()` in templates ("format", "channel", "status", …).
_BY_NAME: dict[str, type[Vocabulary]] = {
    "format": Format, "channel": Channel, "kind": ItemKind, "source_kind": SourceKind, "status": StoryStatus,
    "platform": Platform, "method": ThemeMethod, "role": Role, "delivery": SendStatus, "link": LinkStatus,
    "reminder": ReminderKind, "scope": FeedScope, "action": WorkflowAction,
    "report_state": ReportState, "register": RegisterKind, "headcount": HeadcountKind,
}

# Code → name maps for templates and help texts, derived from the enums above.
FORMATS = Format.labels()
CHANNELS = Channel.labels()
PLATFORMS = Platform.labels()
COVERAGE_STATUSES = CoverageStatus.labels()


def label(vocabulary: str, code: str | None) -> str:
    """The name of a code in the current language (Vietnamese unless a page is shown in English); unknown codes
    are shown as they are rather than hidden."""
    if not code:
        return "—"
    try:
        return gettext(_BY_NAME[vocabulary](code).label)
    except ValueError:
        return str(code)
