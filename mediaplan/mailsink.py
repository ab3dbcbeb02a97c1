"""A local SMTP sink (aiosmtpd) that keeps every message as an .eml file.

Used by `mediaplan demo` (these machines have no outside mail server) and by the
tests, so e-mail always goes through a real SMTP conversation.
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class _SaveHandler:
    def __init__(self, folder: Path):
        self.folder = folder
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        n = len(self.messages) + 1
        (self.folder / f"{n:04d}.eml").write_bytes(envelope.original_content)
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append({"to": envelope.rcpt_tos, "from": envelope.mail_from, "message": msg})
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    def __init__(self, folder: Path, port: int | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.handler = _SaveHandler(folder)
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list:
        return self.handler.messages

    def __enter__(self) -> "MailSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
