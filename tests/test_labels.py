"""Editors' labels: set from the CLI or the item page, kept through re-classification, and counted."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import run_cli
from accounts import ensure_user, signed_in
from mediaplan.db import session_scope
from mediaplan.db.schema import Item, ItemTheme
from mediaplan.nlp.pipeline import classify_items
from mediaplan.reports.metrics import compute
from mediaplan.web.app import create_app


def _themes(item_id: int) -> dict[str, tuple[str, bool]]:
    with session_scope() as session:
        return {t.theme_code: (t.method, t.removed) for t in session.scalars(select(ItemTheme).where(ItemTheme.item_id == item_id))}


def test_manual_labels_survive_reclassification(populated_db, tmp_path):
    env = {"MEDIAPLAN_DATABASE_URL": populated_db, "MEDIAPLAN_DATA_DIR": str(tmp_path / "var")}
    with session_scope() as session:
        item = session.scalar(select(Item).where(Item.title.like("Tuyên dương%")))
    before = _themes(item.id)
    assert "exemplary" in before and "teachers" in before
    ensure_user(populated_db, "minhchau", "editor")  # who labels is a user
    run_cli("items", "label", str(item.id), "--remove", "exemplary", "--add", "awareness", "--confirm", "teachers",
            "--by", "minhchau", env=env)
    bad = run_cli("items", "label", str(item.id), "--add", "khong-co", "--by", "minhchau", env=env, check=False)
    assert bad.returncode == 1 and "khong-co" in bad.stderr
    with session_scope() as session:
        classify_items(session, everything=True)
    after = _themes(item.id)
    with session_scope() as session:
        assert {t.set_by for t in session.scalars(select(ItemTheme).where(ItemTheme.item_id == item.id,
                                                                         ItemTheme.method == "manual"))} == {"minhchau"}
    assert after["exemplary"] == ("manual", True)
    assert after["awareness"] == ("manual", False) and after["teachers"] == ("manual", False)
    with session_scope() as session:
        themes = {t["code"]: t["items"] for t in compute(session, "2026-11")["themes"]}
    assert themes["exemplary"] == 0 and themes["awareness"] == 1


def test_label_from_the_item_page(populated_db):
    client = signed_in(populated_db, "editor", "thanhhai")  # the label is in the signed-in editor's name
    with session_scope() as session:
        item_id = session.scalar(select(Item.id).where(Item.title.like("Tuyên dương%")))
    page = client.post(f"/items/{item_id}/labels", data={"theme": "exemplary", "action": "remove", "by": "Kẻ Mạo Danh"})
    assert page.status_code == 200 and 'id="removed-themes"' in page.text and "thanhhai" in page.text
    assert "Kẻ Mạo Danh" not in page.text  # a typed name is ignored
    assert 'data-theme="exemplary"' not in page.text.split('id="removed-themes"')[0]
    assert client.post(f"/items/{item_id}/labels", data={"theme": "x", "action": "add"}).status_code == 400
    assert _themes(item_id)["exemplary"] == ("manual", True)


def test_the_label_form_refuses_to_remove_a_theme_the_item_does_not_have(populated_db):
    client = signed_in(populated_db, "editor", "thanhhai")
    with session_scope() as session:
        item_id = session.scalar(select(Item.id).where(Item.title.like("Giá lúa%")))
    page = client.post(f"/items/{item_id}/labels", data={"theme": "teachers", "action": "remove"})
    assert page.status_code == 400 and "không có chủ đề" in page.text
    assert "teachers" not in _themes(item_id)
