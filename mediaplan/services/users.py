"""Accounts: add, change a password, disable, list; sign in with rate limits; reset a password by e-mail.

Who acts in the web app is a user found here, never a name typed into a form, so the audit log, the labels that
train the model and the reminders all name real people. Refusals are ValueErrors in Vietnamese.

Sign-in limits: 5 failures in a row for one account lock it for 15 minutes (the lock is logged to the
`mediaplan.security` logger); 20 failures from one address within 15 minutes refuse that address for the rest
of the window. A name that does not exist costs the same argon2 check as a wrong password.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediaplan.auth.passwords import (DUMMY_HASH, check_strength, generate_password, hash_password, needs_rehash,
                                      verify_password)
from mediaplan.db.schema import LoginAttempt, PasswordReset, User, utcnow
from mediaplan.localtime import to_local
from mediaplan.settings import Settings, get_settings
from mediaplan.vocab import Role, label

log = logging.getLogger("mediaplan.security")

ACCOUNT_FAILURES = 5
LOCK = timedelta(minutes=15)
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
RESET_LIFETIME = timedelta(hours=1)

USERNAME = re.compile(r"^[\w.-]{2,80}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _username(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not USERNAME.match(name):
        raise ValueError(f"tên đăng nhập {name[:40]!r} không hợp lệ: 2–80 chữ, số, dấu chấm, gạch ngang hoặc gạch dưới")
    return name


def _email(address: str | None) -> str | None:
    if address is None or address == "":
        return None
    address = address.strip()
    if len(address) > 300 or not EMAIL.match(address):
        raise ValueError(f"địa chỉ e-mail {address[:60]!r} không hợp lệ")
    return address


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValueError(f"vai trò {role!r} không có; chọn một trong: {', '.join(Role.codes())}") from None


def find(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == unicodedata.normalize("NFC", username.strip())))


def get(session: Session, username: str) -> User:
    user = find(session, username)
    if user is None:
        raise ValueError(f"không có tài khoản {username!r}")
    return user


def add_user(session: Session, username: str, role: str, email: str | None = None, password: str | None = None,
             full_name: str = "", desk: str | None = None) -> tuple[User, str | None]:
    """A new account; with no password given, one is generated and returned (to be shown once, never stored)."""
    name = _username(username)
    if find(session, name):
        raise ValueError(f"tài khoản {name!r} đã có")
    generated = None
    if password is None:
        password = generated = generate_password()
    check_strength(password, user_inputs=(name, email or "", full_name))
    user = User(username=name, role=_role(role), email=_email(email), full_name=full_name.strip()[:200],
                desk=(desk or None), password_hash=hash_password(password))
    session.add(user)
    session.flush()
    log.info("tài khoản %s (%s) được tạo", name, user.role)
    return user, generated


def set_password(session: Session, username: str, password: str | None = None) -> str | None:
    """A new password (generated when none is given, and returned); every open session of the user ends."""
    user = get(session, username)
    generated = None
    if password is None:
        password = generated = generate_password()
    check_strength(password, user_inputs=(user.username, user.email or "", user.full_name or ""))
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    user.locked_until = None
    log.info("mật khẩu của %s được đổi", user.username)
    return generated


def end_sessions(session: Session, user_id: int) -> None:
    """Signing out: every session cookie of the user stops being one, the copy in this browser and any copy
    taken from it (the cookie is signed, not stored, so the user's epoch is what revokes it: ASVS V3.3.1)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1
        log.info("%s đăng xuất; mọi phiên của tài khoản kết thúc", user.username)


def disable(session: Session, username: str) -> User:
    user = get(session, username)
    user.disabled = True
    user.session_epoch += 1
    log.info("tài khoản %s bị vô hiệu hóa", user.username)
    return user


def enable(session: Session, username: str) -> User:
    """Enable an account again (or the first time: the users migration 0010 made from free-text assignees are
    disabled, without a password, until an admin enables them and sets one)."""
    user = get(session, username)
    user.disabled = False
    log.info("tài khoản %s được kích hoạt", user.username)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def ensure_admin(session: Session, username: str, email: str | None = None) -> str | None:
    """`mediaplan init --admin NAME`: the first admin, with a generated password returned once; None if it exists."""
    user = find(session, username)
    if user is not None:
        if user.role != Role.ADMIN:
            raise ValueError(f"tài khoản {username!r} đã có với vai trò {label('role', user.role)}")
        return None
    return add_user(session, username, Role.ADMIN, email=email)[1]


# --- signing in ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRefused(Exception):
    message: str
    status: int = 400
    retry_after: int | None = None  # seconds, for a 429


def _failures_since(session: Session, column, value: str, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(LoginAttempt)
                          .where(column == value, LoginAttempt.at > since, LoginAttempt.ok.is_(False))) or 0


def authenticate(session: Session, username: str, password: str, address: str, now: datetime | None = None) -> User:
    """The user these credentials name, or LoginRefused with what to tell them; every attempt is recorded."""
    now = now or utcnow()
    username = unicodedata.normalize("NFC", (username or "").strip())[:80]
    address = (address or "?")[:64]
    if _failures_since(session, LoginAttempt.address, address, now - ADDRESS_WINDOW) >= ADDRESS_FAILURES:
        log.warning("địa chỉ %s bị tạm chặn đăng nhập (quá %d lần sai trong %d phút)", address, ADDRESS_FAILURES,
                    ADDRESS_WINDOW.seconds // 60)
        raise LoginRefused("Quá nhiều lần đăng nhập sai từ địa chỉ này; vui lòng thử lại sau 15 phút.", 429,
                           int(ADDRESS_WINDOW.total_seconds()))
    user = find(session, username) if username else None
    if user is not None and user.locked_until and user.locked_until > now:
        session.add(LoginAttempt(username=username, address=address, at=now, ok=False))
        until = to_local(user.locked_until).strftime("%H:%M")
        raise LoginRefused(f"Tài khoản đang tạm khóa đến {until} do đăng nhập sai nhiều lần.", 429,
                           int((user.locked_until - now).total_seconds()) + 1)
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password or "")
    if ok and user is not None and not user.disabled:
        session.add(LoginAttempt(username=username, address=address, at=now, ok=True))
        user.locked_until = None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user
    session.add(LoginAttempt(username=username, address=address, at=now, ok=False))
    session.flush()
    if user is not None and not user.disabled:
        last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username,
                                                                          LoginAttempt.ok.is_(True)))
        since = max(filter(None, [last_ok, now - LOCK, user.locked_until]))
        if _failures_since(session, LoginAttempt.username, username, since) >= ACCOUNT_FAILURES:
            user.locked_until = now + LOCK
            log.warning("tài khoản %s bị khóa 15 phút sau %d lần đăng nhập sai (lần cuối từ %s)", username,
                        ACCOUNT_FAILURES, address)
            raise LoginRefused(f"Sai mật khẩu {ACCOUNT_FAILURES} lần: tài khoản bị tạm khóa 15 phút.", 429,
                               int(LOCK.total_seconds()))
    raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.", 400)


def current(session: Session, user_id: int | None, epoch: int) -> User | None:
    """The signed-in user a session names, if that session is still valid (same epoch, account enabled)."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.disabled or user.session_epoch != epoch:
        return None
    return user


# --- password reset -----------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_reset(session: Session, login: str, settings: Settings | None = None, send=None) -> bool:
    """E-mail a single-use link valid for one hour to the account named by username or e-mail.

    Returns whether a mail left, but callers show the same answer either way, so the form does not tell who has
    an account. `send` is the mail function (smtp.deliver by default).
    """
    from mediaplan.smtp import deliver

    settings = settings or get_settings()
    login = (login or "").strip()[:300]
    user = find(session, login) or session.scalar(select(User).where(func.lower(User.email) == login.lower()))
    if user is None or user.disabled or not user.email:
        log.info("yêu cầu đặt lại mật khẩu cho %r: không có tài khoản có e-mail", login[:80])
        return False
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now))  # one link at a time: a new request voids the older ones
    session.add(PasswordReset(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + RESET_LIFETIME))
    session.flush()
    msg = EmailMessage()
    msg["Subject"] = "[mediaplan] Đặt lại mật khẩu"
    msg["From"] = settings.mail_from
    msg["To"] = user.email
    link = settings.public_url.rstrip("/") + "/password-reset/" + token
    msg.set_content(f"Chào {user.full_name or user.username},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản "
                    f"{user.username}. Mở liên kết sau trong vòng 1 giờ (chỉ dùng được một lần):\n\n{link}\n\n"
                    "Nếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu hiện tại vẫn giữ nguyên.\n")
    (send or deliver)(settings, msg)
    log.info("đã gửi liên kết đặt lại mật khẩu cho %s", user.username)
    return True


def reset_target(session: Session, token: str, now: datetime | None = None) -> PasswordReset:
    now = now or utcnow()
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token or "")))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValueError("Liên kết đặt lại mật khẩu không hợp lệ, đã dùng hoặc đã hết hạn (1 giờ).")
    return row


def finish_reset(session: Session, token: str, password: str) -> User:
    row = reset_target(session, token)
    user = session.get(User, row.user_id)
    check_strength(password, user_inputs=(user.username, user.email or "", user.full_name or ""))
    row.used_at = utcnow()
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    user.locked_until = None
    log.info("mật khẩu của %s được đặt lại qua e-mail", user.username)
    return user
