"""What the CLI and the web app do, as plain functions over a database session.

A service takes a `Session` (or nothing), returns data and never prints: the
interfaces only parse their input, call one service and render its answer. Bad
input raises a `ServiceError` (a ValueError) whose message is for users, in
Vietnamese; `NotFound` marks a key that names nothing, so the web app can answer
404 where the CLI exits with the message.
"""

from __future__ import annotations


class ServiceError(ValueError):
    """Input a service refuses; `field` names the argument whose form is wrong, when one is (a form can mark it)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFound(ServiceError):
    """A key (source, outlet, target, item…) that is not in the database."""
