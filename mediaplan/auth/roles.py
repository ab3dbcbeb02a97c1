"""The role table: what each of the four roles may do, declared once.

Every route names the one ability it needs (`web.security.allow(Ability.X)`); a test walks every route
with every role and compares the answers with this table, and another refuses a route that names none.
"""

from __future__ import annotations

from enum import StrEnum

from mediaplan.vocab import Role


class Ability(StrEnum):
    READ = "read"  # every page and export; changes nothing
    CALENDAR = "calendar"  # columns, stories, coverages, assignments, moves
    LABELS = "labels"  # an item's themes and education flag
    REVIEW = "review"  # the review queue
    REPORTS = "reports"  # build, edit the narrative, approve, send
    REGISTERS = "registers"  # plan indicators: registers of courses and conferences, headcounts, typed-in values
    SOURCES = "sources"  # add, enable, disable sources
    USERS = "users"  # accounts
    PLAN = "plan"  # the plan's data


GRANTS: dict[Role, frozenset[Ability]] = {
    Role.VIEWER: frozenset({Ability.READ}),
    Role.EDITOR: frozenset({Ability.READ, Ability.CALENDAR, Ability.LABELS, Ability.REVIEW}),
    Role.ANALYST: frozenset({Ability.READ, Ability.REPORTS, Ability.REGISTERS, Ability.LABELS}),
    Role.ADMIN: frozenset(Ability),
}

# What a refusal says, per ability.
REFUSALS: dict[Ability, str] = {
    Ability.READ: "Bạn không có quyền xem trang này.",
    Ability.CALENDAR: "Chỉ biên tập viên hoặc quản trị được thay đổi lịch biên tập.",
    Ability.LABELS: "Chỉ biên tập viên, chuyên viên phân tích hoặc quản trị được gắn nhãn tin bài.",
    Ability.REVIEW: "Chỉ biên tập viên hoặc quản trị được duyệt hàng chờ.",
    Ability.REPORTS: "Chỉ chuyên viên phân tích (Sở) hoặc quản trị được soạn, phê duyệt và gửi báo cáo.",
    Ability.REGISTERS: "Chỉ chuyên viên phân tích (Sở) hoặc quản trị được cập nhật sổ theo dõi và chỉ tiêu.",
    Ability.SOURCES: "Chỉ quản trị được thay đổi nguồn thu thập.",
    Ability.USERS: "Chỉ quản trị được quản lý tài khoản.",
    Ability.PLAN: "Chỉ quản trị được thay đổi dữ liệu kế hoạch.",
}


def can(role: Role | str | None, ability: Ability) -> bool:
    if role is None:
        return False
    try:
        return ability in GRANTS[Role(role)]
    except ValueError:
        return False
