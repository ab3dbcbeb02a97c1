"""One way out for e-mail: the configured SMTP server (STARTTLS and login when set)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from mediaplan.settings import Settings

SendError = (OSError, smtplib.SMTPException)  # what a failed send raises; callers record it and go on


def deliver(settings: Settings, msg: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)
