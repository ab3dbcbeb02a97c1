"""Accounts and sessions: the CLI, login with CSRF, the lock after repeated failures, reset by e-mail, expiry."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from accounts import PASSWORD, csrf_of, ensure_user, login, signed_in
from mediaplan.auth.sessions import COOKIE, SessionData, Signer
from mediaplan.db import session_scope
from mediaplan.db.schema import LoginAttempt, PasswordReset, User, utcnow
from mediaplan.services import users as accounts
from mediaplan.settings import get_settings
from mediaplan.web.app import create_app


def test_users_cli_add_list_passwd_disable(db, cli):
    added = cli("users", "add", "lan", "--role", "editor", "--email", "lan@example.org")
    password = re.search(r"một lần\): (\S+)", added.output).group(1)
    assert len(password) >= 10
    listed = cli("users", "list", "--json").output
    assert '"username": "lan"' in listed and '"role": "editor"' in listed and password not in listed
    with session_scope() as session:
        stored = accounts.find(session, "lan").password_hash
    assert stored.startswith("$argon2id$") and password not in stored
    cli("users", "add", "lan", "--role", "editor", code=1)  # a second one is refused in one line
    cli("users", "add", "x y", "--role", "viewer", code=1)
    cli("users", "add", "minh", "--role", "boss", code=2)
    cli("users", "passwd", "lan")
    cli("users", "disable", "lan")
    with session_scope() as session:
        user = accounts.find(session, "lan")
        assert user.disabled and user.session_epoch == 2


def test_init_admin_prints_the_password_once(db, cli):
    first = cli("init", "--admin", "quantri").output
    assert "mật khẩu (chỉ hiện một lần)" in first
    again = cli("init", "--admin", "quantri").output
    assert "đã có" in again and "một lần" not in again


def test_password_from_stdin(db):
    from typer.testing import CliRunner

    from mediaplan.cli import app

    result = CliRunner().invoke(app, ["users", "add", "hoa", "--role", "analyst", "--password-stdin"],
                                input="một-mật-khẩu-dài\n")
    assert result.exit_code == 0, result.output
    assert "một lần" not in result.output
    with session_scope() as session:
        assert accounts.authenticate(session, "hoa", "một-mật-khẩu-dài", "127.0.0.1").username == "hoa"


def test_login_needs_the_forms_csrf_token_and_sets_a_safe_cookie(db):
    ensure_user(db, "lan", "editor")
    client = TestClient(create_app(db))
    page = client.get("/login")
    assert 'name="csrf_token"' in page.text and 'name="username"' in page.text and 'name="password"' in page.text
    refused = client.post("/login", data={"username": "lan", "password": PASSWORD}, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    answer = login(client, "lan")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(COOKIE) and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Lan" in client.get("/").text or "lan" in client.get("/").text
    # the token seen before login is void after it (a new session, a new token)
    assert client.headers["X-CSRF-Token"] != FIELD_OF(page.text)


def FIELD_OF(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_cross_site_login_post_is_refused(db):
    ensure_user(db, "lan", "editor")
    client = TestClient(create_app(db))
    token = csrf_of(client)
    answer = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token},
                         headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert answer.status_code == 403


def test_next_never_leaves_the_site(db):
    ensure_user(db, "lan", "editor")
    client = TestClient(create_app(db))
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/calendar", "/calendar")):
        client.cookies.clear()
        token = csrf_of(client)
        answer = client.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token,
                                             "next": target}, follow_redirects=False)
        assert answer.headers["location"] == expected


def test_six_failed_logins_lock_the_account_and_the_lock_is_logged(db, caplog):
    ensure_user(db, "lan", "editor")
    client = TestClient(create_app(db))
    caplog.set_level(logging.WARNING, logger="mediaplan.security")
    answers = [login(client, "lan", "sai-mat-khau-roi", expect=400) for _ in range(4)]
    fifth = login(client, "lan", "sai-mat-khau-roi", expect=429)
    assert "tạm khóa 15 phút" in fifth.text and int(fifth.headers["retry-after"]) > 800
    sixth = login(client, "lan", PASSWORD, expect=429)  # even the right password, while locked
    assert "tạm khóa đến" in sixth.text
    assert any("bị khóa" in r.getMessage() and "lan" in r.getMessage() for r in caplog.records)
    with session_scope() as session:
        user = accounts.find(session, "lan")
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    login(client, "lan")
    assert len(answers) == 4


def test_many_failures_from_one_address_are_refused(db):
    client = TestClient(create_app(db))
    with session_scope() as session:
        for i in range(accounts.ADDRESS_FAILURES):
            session.add(LoginAttempt(username=f"u{i}", address="testclient", ok=False))
    answer = login(client, "anyone", "whatever-password", expect=429)
    assert "địa chỉ này" in answer.text


def test_a_disabled_or_repassworded_user_loses_open_sessions(db):
    client = signed_in(db, "editor", "lan")
    assert client.get("/", follow_redirects=False).status_code == 200
    with session_scope() as session:
        accounts.set_password(session, "lan", "mật-khẩu-mới-hoàn-toàn")
    page = client.get("/")
    assert "Đăng nhập" in page.text and "Đăng xuất" not in page.text


def test_logout_ends_the_session(db):
    client = signed_in(db, "viewer", "xem")
    assert "Đăng xuất" in client.get("/").text
    copied = dict(client.cookies)  # what someone who saw the cookie would replay
    client.post("/logout", data={"csrf_token": client.headers["X-CSRF-Token"]})
    assert "Đăng xuất" not in client.get("/").text
    client.cookies.clear()
    client.cookies.update(copied)
    assert "Đăng xuất" not in client.get("/").text  # the old cookie no longer signs anyone in


def test_password_reset_by_email_is_single_use_and_expires(db, mail_sink, monkeypatch):
    monkeypatch.setenv("MEDIAPLAN_SMTP_PORT", str(mail_sink.port))
    get_settings.cache_clear()
    ensure_user(db, "lan", "editor", email="lan@example.org")
    client = TestClient(create_app(db))
    token = csrf_of(client)
    sent = client.post("/password-reset", data={"login": "lan@example.org", "csrf_token": token})
    assert sent.status_code == 200 and "vừa được gửi" in sent.text
    unknown = client.post("/password-reset", data={"login": "nobody", "csrf_token": token})
    assert unknown.text.count("vừa được gửi") == 1  # the same answer: the form does not tell who has an account
    messages = mail_sink.messages
    link = re.search(r"(/password-reset/\S+)", messages[0]["message"].get_content()).group(1)
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": "mật-khẩu-sau-khi-quên", "confirm": "mật-khẩu-sau-khi-quên",
                                   "csrf_token": token})
    assert done.status_code == 200 and "Đã đặt mật khẩu mới" in done.text
    assert client.get(link).status_code == 400  # single use
    login(client, "lan", "mật-khẩu-sau-khi-quên")
    with session_scope() as session:
        user = accounts.find(session, "lan")
        assert session.query(PasswordReset).filter_by(user_id=user.id).one().token_hash not in link
    # a second link, an hour and a minute old, is refused
    client.post("/password-reset", data={"login": "lan", "csrf_token": client.headers["X-CSRF-Token"]})
    link2 = re.search(r"(/password-reset/\S+)", mail_sink.messages[1]["message"].get_content()).group(1)
    with session_scope() as session:
        for row in session.query(PasswordReset).filter(PasswordReset.used_at.is_(None)):
            row.expires_at = utcnow() - timedelta(minutes=1)
    assert client.get(link2).status_code == 400


def test_an_idle_or_forged_session_is_not_a_session(db):
    settings = get_settings()
    signer = Signer(settings)
    cookie = signer.dumps(SessionData(user_id=1, epoch=0))
    assert signer.loads(cookie).user_id == 1
    assert signer.loads(cookie[:-2] + "xx") is None
    signer.idle = -1
    assert signer.loads(cookie) is None
    signer.idle, signer.lifetime = 3600, -1
    assert signer.loads(cookie) is None


def test_security_headers_on_every_answer(db):
    client = TestClient(create_app(db))
    for path in ("/login", "/healthz", "/static/style.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"]


def test_errors_are_vietnamese_pages_for_browsers_and_json_for_the_api(db):
    client = signed_in(db, "viewer")
    page = client.get("/items/999999", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy" in page.text and "Traceback" not in page.text
    nowhere = client.get("/khong-co-trang-nay", headers={"Accept": "text/html"})
    assert nowhere.status_code == 404 and "Không tìm thấy" in nowhere.text
    api = client.post("/api/v1/coverages/999999/move", json={"date": "2026-11-20"})
    assert api.status_code == 403 and api.headers["content-type"].startswith("application/json")  # a viewer


def test_signed_in_pages_are_not_cached_and_static_files_are(db):
    client = signed_in(db, "viewer")
    assert client.get("/").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/style.css").headers.get("cache-control", "")
    assert "cache-control" not in TestClient(create_app(db)).get("/login").headers  # nobody's data there
