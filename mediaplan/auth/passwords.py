"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

A hash carries its own parameters, so raising them later only needs `needs_rehash` at the next login.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4
MIN_LENGTH = 12  # OWASP ASVS 4.0 V2.1.1
MAX_LENGTH = 128  # ASVS V2.1.2 allows up to 128; a bound keeps a huge form field from costing CPU
MIN_SCORE = 3  # zxcvbn's 0..4: 3 is "safely unguessable" against an online attack that is rate-limited anyway
_SCORED = 64  # zxcvbn's matching grows with length; past this a password is long enough that its head decides


@lru_cache(maxsize=1)
def _breached() -> frozenset[str]:
    """The 30,000 most common passwords of public breaches (zxcvbn's list), for ASVS V2.1.7, offline."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_strength(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse a password too short, too long, found in breach lists, or easily guessed from the user's own name
    (a ValueError in Vietnamese). No composition rules (ASVS V2.1.9): length and guessability decide."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"mật khẩu phải có ít nhất {MIN_LENGTH} ký tự")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"mật khẩu dài quá {MAX_LENGTH} ký tự")
    if password.lower() in _breached():
        raise ValueError("mật khẩu này có trong danh sách mật khẩu đã bị lộ; hãy chọn mật khẩu khác")
    from zxcvbn import zxcvbn

    inputs = [part for value in user_inputs if value for part in (value, *value.replace("@", " ").replace(".", " ").split())]
    if zxcvbn(password[:_SCORED], user_inputs=inputs)["score"] < MIN_SCORE:
        raise ValueError("mật khẩu quá dễ đoán (lặp lại, theo bàn phím, hoặc chứa tên người dùng); hãy dùng một câu dài hơn")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when the password matches; False for a wrong one, a missing hash or a damaged one (never raises)."""
    if not stored or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def generate_password() -> str:
    """A password to print once (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)


# Checked against when the user does not exist, so a wrong name costs the same time as a wrong password.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(12))
