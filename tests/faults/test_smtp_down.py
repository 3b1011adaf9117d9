"""The SMTP server is down when the closing-day mail goes out: the outbox keeps every message, counts the attempts
and schedules the next one; once a real server answers again each message arrives exactly once, still usable;
a server that fails in the middle of a batch, or two senders running at once, never make a message arrive twice."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import email
import email.policy
import socket
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from portal.accounts import auth
from portal.accounts.models import User
from portal.core import mail
from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.conftest import PASSWORD, Mailbox, post_form

PEOPLE = [("claire.martin@asso-exemple.fr", "Claire Martin"), ("paul.durand@ccas-arras.fr", "Paul Durand"),
          ("jeanne.leroy@habitat-solidaire.fr", "Jeanne Leroy")]


class SmtpServer(Mailbox):
    """A real SMTP server (aiosmtpd) on a port of its own, which the test brings up and takes down. Until up()
    nothing listens there: connections are refused, as when the mail relay is down."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            super().__init__(probe.getsockname()[1])
        self.accept_only: int | None = None  # then answer 421 (shutting down), as a relay that is going away
        self.delay = 0.0
        self._controller = None

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server, session, envelope):
        if self.accept_only is not None and len(self.messages) >= self.accept_only:
            return "421 Service not available, closing transmission channel"
        await asyncio.sleep(self.delay)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def received(self) -> Counter:
        return Counter(message["To"] for message in self.messages)


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    yield server
    server.down()


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def send_mail(app) -> tuple[int, str]:
    """`portal mail send` as cron runs it, in a context of its own."""
    result = contextvars.Context().run(app.test_cli_runner().invoke, args=["mail", "send"])
    return result.exit_code, result.output


def due_again(clock) -> None:
    clock(max(row.next_attempt_at for row in outbox() if row.sent_at is None) + dt.timedelta(seconds=1))


def test_sign_up_mail_waits_while_smtp_is_down_then_each_message_arrives_once(app, client, smtp, clock):
    start = clock("2026-03-02 10:00:00")
    for address, name in PEOPLE:
        post_form(client, "/compte/inscription", {"name": name, "email": address, "password": PASSWORD,
                                                  "confirm": PASSWORD})

    assert send_mail(app) == (1, "0 courriel(s) envoyé(s), 3 en échec (nouvel essai plus tard).\n")
    rows = outbox()
    assert [row.recipient for row in rows] == [address for address, _ in PEOPLE]
    for row in rows:
        assert row.sent_at is None and row.attempts == 1 and "refused" in row.last_error.lower()
        assert row.next_attempt_at > start

    smtp.up()
    assert send_mail(app) == (0, "0 courriel(s) envoyé(s), 0 en échec (nouvel essai plus tard).\n")  # not due yet
    assert smtp.messages == []

    due_again(clock)
    assert send_mail(app)[0] == 0
    assert smtp.received() == {address: 1 for address, _ in PEOPLE}
    assert send_mail(app)[1].startswith("0 courriel(s) envoyé(s)")  # nothing more to send
    assert len(smtp.messages) == 3

    # What arrived late still works: each person confirms their address with their own link.
    for address, _ in PEOPLE:
        assert client.get(smtp.link_in(smtp.last_to(address), "/compte/confirmer/")).status_code == 302
    assert all(user.confirmed_at for user in db.session.scalars(select(User)))


def test_a_relay_failing_in_the_middle_of_a_batch_loses_nothing_and_sends_nothing_twice(app, smtp, clock):
    clock("2026-03-02 10:00:00")
    for address, name in [*PEOPLE, ("marc.petit@secours-arras.fr", "Marc Petit")]:
        auth.sign_up(address, name, PASSWORD)
    smtp.accept_only = 2
    smtp.up()

    assert mail.deliver_pending() == (2, 2)
    assert [(row.sent_at is not None, row.attempts) for row in outbox()] == [(True, 0), (True, 0), (False, 1),
                                                                           (False, 1)]
    smtp.accept_only = None
    due_again(clock)
    assert mail.deliver_pending() == (2, 0)
    assert mail.deliver_pending() == (0, 0)
    assert sorted(smtp.received().values()) == [1, 1, 1, 1]


def test_two_senders_running_at_once_deliver_each_message_once(app, smtp, clock):
    clock("2026-03-02 10:00:00")
    addresses = [f"membre{number}@asso-exemple.fr" for number in range(24)]
    for address in addresses:
        auth.sign_up(address, "Membre", PASSWORD)
    db.session.commit()  # sign_up flushes; the senders' threads read what is committed
    smtp.delay = 0.01  # a relay that takes its time: both senders are still working through the same batch
    smtp.up()
    start_together = threading.Barrier(2)
    results = []

    def sender() -> None:
        with app.app_context():
            start_together.wait()
            results.append(mail.deliver_pending())

    senders = [threading.Thread(target=sender) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(timeout=60)

    assert smtp.received() == {address: 1 for address in addresses}
    assert sum(sent for sent, _ in results) == len(addresses) and all(failed == 0 for _, failed in results)
    assert all(sent > 0 for sent, _ in results)  # both really sent: the race was run, not avoided
    assert all(row.sent_at is not None for row in outbox())


def test_mail_survives_a_relay_down_for_a_long_weekend(app, smtp, clock):
    """Friday 18:00 to Tuesday 9:00: the receipts of Friday's deposits wait, retried every hour, and all go out."""
    moment = clock("2026-05-08 18:00:00")
    for address, name in PEOPLE:
        auth.sign_up(address, name, PASSWORD)
    back = moment + dt.timedelta(days=3, hours=15)
    while moment < back:
        assert mail.deliver_pending() == (0, 3)
        moment = clock(min(outbox()[0].next_attempt_at + dt.timedelta(seconds=1), back))
    assert {row.attempts for row in outbox()} == {outbox()[0].attempts} and outbox()[0].attempts > 60

    smtp.up()
    due_again(clock)
    assert mail.deliver_pending() == (3, 0)
    assert smtp.received() == {address: 1 for address, _ in PEOPLE}
