"""The session cookie: signed (itsdangerous), holding only who, their epoch, the CSRF token and two times.

Nothing is kept in the process, so any worker on any machine with the same key can read it. A session ends
when unused for `session_idle_minutes` (the cookie is re-signed as it is used), after `session_max_hours`
whatever happens, and at once when the user's `session_epoch` moves (new password, account disabled).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from mediaplan.settings import Settings

COOKIE = "mediaplan_session"
REFRESH_AFTER = 60  # seconds: re-sign a used cookie at most once a minute


def _new_csrf() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class SessionData:
    user_id: int | None = None
    epoch: int = 0
    csrf: str = field(default_factory=_new_csrf)
    issued: int = field(default_factory=lambda: int(time.time()))
    seen: int = field(default_factory=lambda: int(time.time()))

    def signed_in(self, user_id: int, epoch: int) -> "SessionData":
        """A new session for a user who just signed in: a fresh CSRF token, so a token seen before login is void."""
        now = int(time.time())
        return SessionData(user_id=user_id, epoch=epoch, issued=now, seen=now)

    def touched(self) -> "SessionData":
        return replace(self, seen=int(time.time()))


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once into the data folder (mode 0600) and read back afterwards."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: a worker starting at the same moment either
        # links first or finds the finished file, never an empty one it would sign sessions with.
        draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:  # another worker's key is in place: every worker signs with that one
            pass
        finally:
            draft.unlink()
        return path.read_text().strip()


class Signer:
    def __init__(self, settings: Settings):
        self._serializer = URLSafeTimedSerializer(secret_key(settings), salt="mediaplan-session")
        self.idle = settings.session_idle_minutes * 60
        self.lifetime = settings.session_max_hours * 3600
        self.secure = settings.public_url.startswith("https://")

    def dumps(self, data: SessionData) -> str:
        return self._serializer.dumps([data.user_id, data.epoch, data.csrf, data.issued, data.seen])

    def loads(self, cookie: str | None) -> SessionData | None:
        """The session in a cookie, or None when it is missing, forged, idle too long or too old."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            user_id, epoch, csrf, issued, seen = self._serializer.loads(cookie, max_age=self.idle)
        except (BadSignature, ValueError, TypeError):
            return None
        if not isinstance(csrf, str) or time.time() - issued > self.lifetime:
            return None
        return SessionData(user_id=user_id, epoch=epoch, csrf=csrf, issued=issued, seen=seen)

    def needs_refresh(self, data: SessionData) -> bool:
        return time.time() - data.seen > REFRESH_AFTER
