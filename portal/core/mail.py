"""A transactional outbox: a message is a row written in the same transaction as the action that causes it
(sign-up, invitation...), so a rolled-back action sends nothing and a committed one is never forgotten.
`portal mail send` delivers the rows by SMTP; each row is claimed before sending, so two senders running at
once never deliver the same message twice."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from sqlalchemy import String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime
from portal.core.time import now
from portal.extensions import db

logger = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=5)
# Retries back off to one an hour (_failed): this many keep trying for about a week, longer than a relay down over
# a long weekend.
MAX_ATTEMPTS = 7 + 7 * 24


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))  # for List-Unsubscribe (RFC 8058)


def one_line(text: str) -> str:
    """A header value on one line: subjects quote names typed in forms (an organisation's, a call's), and a line
    break in a header either adds a header of the sender's choosing or makes the message impossible to build."""
    return " ".join(text.split())


def enqueue(recipient: str, subject: str, template: str, unsubscribe_url: str | None = None,
            **context) -> OutboxMessage:
    """Render templates/mail/<template>.txt and add the message to the current transaction."""
    body = render_template(f"mail/{template}.txt", unsubscribe_url=unsubscribe_url, **context)
    message = OutboxMessage(recipient=recipient, subject=one_line(subject)[:250], body=body, created_at=now(),
                            unsubscribe_url=unsubscribe_url)
    db.session.add(message)
    return message


def pending(limit: int = 100) -> list[OutboxMessage]:
    moment = now()
    query = (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                                         or_(OutboxMessage.next_attempt_at.is_(None),
                                             OutboxMessage.next_attempt_at <= moment))
             .order_by(OutboxMessage.id).limit(limit))
    return list(db.session.scalars(query))


def latest(limit: int = 100) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))


def _claim(message_id: int) -> bool:
    moment = now()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < moment))
        .values(claimed_until=moment + CLAIM))
    # A job commits itself, once per message: the claim before sending (so that a second sender skips it), then
    # the outcome, so that one failure neither resends nor loses the others (core.unit_of_work).
    db.session.commit()
    return result.rowcount == 1


def _message_id(message: OutboxMessage, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def _connect(url: str) -> smtplib.SMTP:
    """smtp://host:port (plain, STARTTLS when ?starttls=1), smtps://host:port; user:password@ when needed."""
    parts = urlsplit(url)
    if parts.scheme == "smtps":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname or "localhost", parts.port or 465, timeout=30,
                                                    context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=30)
        if "starttls=1" in parts.query:
            connection.starttls(context=ssl.create_default_context())
    if parts.username:
        connection.login(unquote(parts.username), unquote(parts.password or ""))
    return connection


def _as_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    config = current_app.config
    email["From"] = formataddr((config["SITE_NAME"], config["MAIL_FROM"]))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The same message keeps the same Message-ID on every attempt: if a sender dies after the relay accepted it
    # but before marking it sent, the copy sent again can be recognised as a duplicate by the receiving side.
    email["Message-ID"] = _message_id(message, config["MAIL_FROM"])
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    return email


def deliver_pending(url: str | None = None, limit: int = 100) -> tuple[int, int]:
    """Send what is due; return (sent, failed). A server that cannot be reached stops the batch: the messages
    stay in the outbox and are retried later, with a growing delay."""
    url = url or current_app.config["SMTP_URL"]
    sent = failed = 0
    batch = pending(limit)
    if not batch:
        return 0, 0
    try:
        connection = _connect(url)
    except OSError as error:
        for message in batch:
            _failed(message, error)
        return 0, len(batch)
    with connection:
        for message in batch:
            if not _claim(message.id):
                continue  # another sender has it
            try:
                email = _as_email(message)
            except Exception as error:  # noqa: BLE001 — one message we cannot build must not stop the others
                logger.exception("message %s cannot be built", message.id)
                _failed(message, error)
                failed += 1
                continue
            try:
                connection.send_message(email)
            except (smtplib.SMTPException, OSError) as error:
                _failed(message, error)
                failed += 1
                continue
            message.sent_at = now()
            message.claimed_until = None
            db.session.commit()
            sent += 1
    return sent, failed


def _failed(message: OutboxMessage, error: Exception) -> None:
    message.attempts += 1
    message.last_error = str(error)[:500]
    message.claimed_until = None
    message.next_attempt_at = now() + dt.timedelta(seconds=min(3600, 30 * 2 ** min(message.attempts, 7)))
    db.session.commit()
