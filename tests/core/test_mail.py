"""The outbox: a message goes out only if the action that wrote it was committed, exactly once, even when the
SMTP server is down for a while; `portal mail send` delivers it; alert digests carry a one-click unsubscribe."""

import contextvars
import datetime as dt
import socket
from collections import Counter

from sqlalchemy import select, update

from portal.catalog import alerts
from portal.core import mail
from portal.core.mail import OutboxMessage
from portal.extensions import db

CLAIRE = "claire.martin@asso-exemple.fr"
PAUL = "paul.durand@ccas-arras.fr"


def enqueue(recipient: str = CLAIRE, name: str = "Claire Martin") -> OutboxMessage:
    return mail.enqueue(recipient, "Confirmez votre adresse électronique", "confirm_email", name=name,
                        url="http://localhost/compte/confirmer/un-lien", hours=48)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def server_down_url() -> str:
    """An SMTP address where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"smtp://127.0.0.1:{port}"


def run_as_cron(app, *args: str):
    """A `portal` command as cron runs it: in a context of its own, with no web request around it."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


def test_a_message_written_by_a_rolled_back_action_is_never_sent(mailbox):
    enqueue(PAUL, name="Paul Durand")
    db.session.rollback()  # the sign-up failed after writing its message
    enqueue(CLAIRE)
    db.session.commit()

    received = mailbox.deliver()
    assert [m["To"] for m in received] == [CLAIRE]
    assert [m.recipient for m in outbox()] == [CLAIRE]
    assert mailbox.deliver() == []


def test_a_committed_message_arrives_with_its_sender_recipient_subject_and_body(app, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "appels@pas-de-calais.example")
    enqueue()
    db.session.commit()

    [message] = mailbox.deliver()
    assert message["To"] == CLAIRE
    assert message["Subject"] == "Confirmez votre adresse électronique"
    [sender] = message["From"].addresses
    assert sender.addr_spec == "appels@pas-de-calais.example"
    assert sender.display_name == app.config["SITE_NAME"]
    body = message.get_content()
    assert "Bonjour Claire Martin" in body and "http://localhost/compte/confirmer/un-lien" in body
    assert "valable 48 heures" in body
    assert message["List-Unsubscribe"] is None  # only alert digests are subscriptions
    [row] = outbox()
    assert row.sent_at is not None and row.attempts == 0


def test_messages_wait_while_the_server_is_down_then_arrive_once_each(mailbox, clock):
    start = clock("2026-03-02 10:00:00")
    enqueue(CLAIRE)
    enqueue(PAUL, name="Paul Durand")
    db.session.commit()

    assert mail.deliver_pending(server_down_url()) == (0, 2)
    for row in outbox():
        assert row.sent_at is None and row.attempts == 1 and row.last_error
        assert row.next_attempt_at > start
    first_delay = outbox()[0].next_attempt_at - start

    assert mailbox.deliver() == []  # the server is back, but the retry is not due yet
    assert all(row.sent_at is None for row in outbox())

    retry = clock(outbox()[0].next_attempt_at + dt.timedelta(seconds=1))
    assert mail.deliver_pending(server_down_url()) == (0, 2)  # still down: wait longer next time
    assert [row.attempts for row in outbox()] == [2, 2]
    assert outbox()[0].next_attempt_at - retry > first_delay

    clock(max(row.next_attempt_at for row in outbox()) + dt.timedelta(seconds=1))
    received = mailbox.deliver()
    assert Counter(m["To"] for m in received) == {CLAIRE: 1, PAUL: 1}
    assert mailbox.deliver() == []
    assert Counter(m["To"] for m in mailbox.messages) == {CLAIRE: 1, PAUL: 1}
    assert all(row.sent_at is not None for row in outbox())


def test_running_delivery_again_never_sends_twice(mailbox):
    for recipient in (CLAIRE, PAUL, "jeanne.leroy@habitat-solidaire.fr"):
        enqueue(recipient)
    db.session.commit()

    assert len(mailbox.deliver()) == 3
    assert mailbox.deliver() == []
    assert mail.deliver_pending(mailbox.url) == (0, 0)
    assert set(Counter(m["To"] for m in mailbox.messages).values()) == {1}


def test_a_message_sent_again_after_a_crash_keeps_its_message_id_so_the_copy_can_be_recognised(mailbox):
    enqueue()
    db.session.commit()
    first = mailbox.deliver()
    # The sender died after the relay accepted the message and before it was marked as sent.
    db.session.execute(update(OutboxMessage).values(sent_at=None, claimed_until=None))
    db.session.commit()
    again = mailbox.deliver()
    assert len(first) == len(again) == 1
    assert first[0]["Message-ID"] == again[0]["Message-ID"]
    assert first[0]["Message-ID"].startswith("<outbox-") and first[0]["Message-ID"].endswith(">")


def test_a_message_claimed_by_another_sender_is_left_to_it_until_the_claim_lapses(mailbox, clock):
    start = clock("2026-03-02 10:00:00")
    enqueue()
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(claimed_until=start + mail.CLAIM))  # another sender has it
    db.session.commit()

    assert mailbox.deliver() == []
    clock(start + mail.CLAIM + dt.timedelta(seconds=1))  # that sender died without sending
    assert [m["To"] for m in mailbox.deliver()] == [CLAIRE]
    assert mailbox.deliver() == []


def test_portal_mail_send_delivers_the_outbox(app, mailbox):
    enqueue()
    db.session.commit()

    result = run_as_cron(app, "mail", "send")
    assert result.exit_code == 0, result.output
    assert "1 courriel(s) envoyé(s), 0 en échec" in result.output
    assert [m["To"] for m in mailbox.messages] == [CLAIRE]
    assert outbox()[0].sent_at is not None


def test_portal_mail_send_reports_failure_when_the_server_is_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", server_down_url())
    enqueue()
    db.session.commit()

    result = run_as_cron(app, "mail", "send")
    assert result.exit_code == 1
    assert "0 courriel(s) envoyé(s), 1 en échec" in result.output
    [row] = outbox()
    assert row.sent_at is None and row.attempts == 1


def test_alert_digests_carry_a_one_click_unsubscribe_header(app, mailbox, make_user, publish_call, clock):
    clock("2026-03-02 10:00:00")
    claire = make_user(CLAIRE)
    alert = alerts.subscribe(CLAIRE, "daily", account=claire)  # her own address: active at once
    token = alert.unsubscribe_token
    clock("2026-03-02 15:00:00")
    publish_call("equipes-mobiles")
    clock("2026-03-03 07:00:00")
    assert alerts.send_due() == 1

    [digest] = mailbox.deliver()
    assert digest["List-Unsubscribe"] == f"<{app.config['BASE_URL']}/alertes/desabonner/{token}>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/alertes/desabonner/{token}" in digest.get_content()


def test_a_line_break_in_a_subject_never_reaches_a_header(app, mailbox, make_user, make_organisation):
    """An organisation's name comes from a form: CR/LF in it must neither crash the sender nor add a header."""
    from portal.accounts import organisations

    claire = make_user(CLAIRE)
    organisation = make_organisation(claire, legal_name="Association Habitat\r\nBcc: pirate@evil.example")
    organisations.invite(organisation, PAUL, by=claire)
    db.session.commit()
    result = run_as_cron(app, "mail", "send")
    assert result.exit_code == 0, result.output
    [message] = mailbox.messages
    assert message["Subject"] == "Invitation à rejoindre Association Habitat Bcc: pirate@evil.example"
    assert message["Bcc"] is None and message["To"] == PAUL


def test_one_message_that_cannot_be_built_does_not_block_the_others(app, mailbox):
    enqueue(CLAIRE)
    db.session.add(OutboxMessage(recipient="bad\r\naddress@example.org", subject="x", body="x",
                                 created_at=dt.datetime.now(dt.UTC)))  # a row written before the subject check
    enqueue(PAUL, name="Paul Durand")
    db.session.commit()
    result = run_as_cron(app, "mail", "send")
    assert "2 courriel(s) envoyé(s), 1 en échec" in result.output
    assert sorted(m["To"] for m in mailbox.messages) == [CLAIRE, PAUL]
    failed = next(m for m in outbox() if m.sent_at is None)
    assert failed.attempts == 1 and failed.last_error
