"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

A hash carries its own parameters, so raising them later only needs `needs_rehash` at the next login.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4
MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 takes any length; a bound keeps a huge form field from costing CPU


def check_strength(password: str) -> None:
    """Refuse a password too short or too long to be one (a ValueError in Vietnamese)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"mật khẩu phải có ít nhất {MIN_LENGTH} ký tự")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"mật khẩu dài quá {MAX_LENGTH} ký tự")


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
