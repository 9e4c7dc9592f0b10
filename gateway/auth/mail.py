"""Outgoing mail behind one interface: SMTP in deployments, the log in local mode, memory in tests.

Mail is sent after the request's work is done and its failure is logged, not answered: whether a
reset mail could be sent must not tell a caller whether the address has an account.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from gateway.settings import GatewaySettings

log = logging.getLogger("gateway.mail")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


class MailSender(Protocol):
    async def send(self, mail: Mail) -> None: ...


class LogMailSender:
    """Local mode: the link is in the gateway's log, where the person running it can see it."""

    async def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


class MemoryMailSender:
    """Keeps mails in a list, for tests and demos that read them back."""

    def __init__(self) -> None:
        self.outbox: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.outbox.append(mail)


class SmtpMailSender:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    def _send_blocking(self, mail: Mail) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.auth_mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        for item in mail.attachments:
            main, sub = item.content_type.split("/", 1)
            message.add_attachment(item.data, maintype=main, subtype=sub, filename=item.filename)
        with smtplib.SMTP(
            s.auth_smtp_host, s.auth_smtp_port, timeout=s.auth_smtp_timeout_seconds
        ) as smtp:
            if s.auth_smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.auth_smtp_username:
                smtp.login(s.auth_smtp_username, s.auth_smtp_password or "")
            smtp.send_message(message)

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send_blocking, mail)


def build_mail_sender(settings: GatewaySettings) -> MailSender:
    if settings.auth_mail_sender == "smtp":
        return SmtpMailSender(settings)
    if settings.auth_mail_sender == "memory":
        return MemoryMailSender()
    return LogMailSender()
