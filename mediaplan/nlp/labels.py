"""Editors' corrections: confirm, add or remove a theme on an item.

A manual label always wins: it records who set it and when, a removal is kept as
a row marked removed (so the rules cannot put the theme back), and
re-classification leaves every manual row alone.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaplan.db.schema import Item, ItemTheme, Theme, utcnow
from mediaplan.vocab import ThemeMethod

ACTIONS = ("confirm", "add", "remove")
NAME_MAX = 80  # item_themes.set_by


class LabelError(ValueError):
    pass


def check_name(by: str, who: str) -> str:
    """The name of a person who acts, stripped; refused when empty, too long for its column, or with control
    characters (a LabelError naming `who`)."""
    name = (by or "").strip()
    if not name:
        raise LabelError(f"cần tên {who}")
    if len(name) > NAME_MAX or any(ord(c) < 32 for c in by):
        raise LabelError(f"tên {who} không hợp lệ: tối đa {NAME_MAX} ký tự, không có ký tự điều khiển")
    return name


def set_label(session: Session, item_id: int, theme: str, action: str, by: str) -> ItemTheme:
    if action not in ACTIONS:
        raise LabelError(f"thao tác không hợp lệ {action!r}; chọn {', '.join(ACTIONS)}")
    check_name(by, "người sửa nhãn")
    item = session.get(Item, item_id)
    if item is None:
        raise LabelError(f"không có tin, bài #{item_id}")
    if session.get(Theme, theme) is None:
        raise LabelError(f"không có chủ đề {theme!r}")
    row = session.scalar(select(ItemTheme).where(ItemTheme.item_id == item_id, ItemTheme.theme_code == theme))
    if row is None:
        row = ItemTheme(item_id=item_id, theme_code=theme, score=0.0, evidence=[])
        session.add(row)
    elif row.method != ThemeMethod.MANUAL:
        row.proposed_by = row.method  # what the classifier had said: the reviewed precision counts these
    row.method, row.set_by, row.set_at = ThemeMethod.MANUAL, by.strip(), utcnow()
    row.removed = action == "remove"
    row.score = max(row.score or 0.0, 0.0 if row.removed else 1.0)
    session.flush()
    return row
