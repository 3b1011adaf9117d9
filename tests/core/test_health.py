"""The administrator's « État de l'instance »: the outbox's waiting and failed messages, whether the antivirus is
configured and answers, the storage used and left, the last backup and its age — read without writing anything."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from portal.core import audit, backup, health
from portal.core.mail import MAX_ATTEMPTS, OutboxMessage
from portal.extensions import db
from tests.applications import conftest as applications
from tests.fakes.clamd import FakeClamd

open_call, applicant = applications.open_call, applications.applicant  # the applications tests' fixtures

MOMENT = "2025-05-10 12:00:00"


def _message(created_at: dt.datetime, attempts: int = 0, sent: bool = False) -> OutboxMessage:
    message = OutboxMessage(recipient="claire@asso-logement.fr", subject="Accusé de réception", body="…",
                            created_at=created_at, attempts=attempts, sent_at=created_at if sent else None,
                            last_error="connexion refusée" if attempts else None)
    db.session.add(message)
    return message


@pytest.fixture
def admin(make_user):
    return make_user("admin@portail.fr", "Alice Admin", grants=[("admin", {})])


def test_the_outbox_counts_waiting_failing_and_abandoned_messages_with_the_oldest_waiting(clock):
    moment = clock(MOMENT)
    _message(moment - dt.timedelta(hours=3))  # waiting since 3 h, never tried
    _message(moment - dt.timedelta(minutes=20), attempts=2)  # failed twice, will be retried
    _message(moment - dt.timedelta(days=8), attempts=MAX_ATTEMPTS)  # given up
    _message(moment - dt.timedelta(days=1), sent=True)
    db.session.flush()
    outbox = health.outbox()
    assert (outbox.waiting, outbox.failing, outbox.abandoned) == (2, 1, 1)
    assert outbox.oldest_waiting_at == moment - dt.timedelta(hours=3)
    assert health.duration_fr(moment - outbox.oldest_waiting_at) == "3 h"


def test_an_antivirus_not_configured_is_a_state_not_an_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMD_URL", None)
    state = health.antivirus()
    assert not state.configured and state.answers is None
    assert state.summary == "non configuré : les fichiers sont enregistrés « non analysé »"
    assert not state.alert


def test_an_antivirus_configured_answers_or_not(app, monkeypatch):
    with FakeClamd() as url:
        monkeypatch.setitem(app.config, "CLAMD_URL", url)
        state = health.antivirus()
    assert state.configured and state.answers and not state.alert
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there once closed
    monkeypatch.setitem(app.config, "CLAMD_URL", f"tcp://127.0.0.1:{port}")
    state = health.antivirus()
    assert state.configured and state.answers is False and state.alert
    assert state.summary.startswith("configuré mais ne répond pas")


def test_the_last_backup_is_shown_with_its_age_and_an_alert_past_26_hours(clock):
    moment = clock(MOMENT)
    assert health.last_backup().at is None and health.last_backup().alert
    clock(moment - dt.timedelta(hours=30))
    audit.record(backup.DONE, folder="/var/backups/portal/2025-05-09_0600", files=3, bytes=1200)
    db.session.flush()
    clock(moment)
    old = health.last_backup()
    assert old.at == moment - dt.timedelta(hours=30) and old.alert
    clock(moment - dt.timedelta(hours=2))
    audit.record(backup.DONE, folder="/var/backups/portal/2025-05-10_1000", files=3, bytes=1200)
    db.session.flush()
    clock(moment)
    recent = health.last_backup()
    assert recent.at == moment - dt.timedelta(hours=2) and not recent.alert
    assert recent.folder == "/var/backups/portal/2025-05-10_1000"


@pytest.mark.real_commits  # the backup reads the database through a connection of its own
def test_the_backup_command_records_the_backup_it_made(app, tmp_path, clock):
    clock(MOMENT)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "sauvegarde")])
    assert result.exit_code == 0, result.output
    assert health.last_backup().folder == str(tmp_path / "sauvegarde")


def test_storage_counts_the_stored_files_and_the_free_space(app):
    state = health.storage_used()
    assert state.files == 0 and state.bytes == 0
    assert state.free_bytes is not None and state.free_bytes > 0


def test_the_stored_files_are_counted_with_their_sizes_and_scan_states(open_call, applicant):
    from portal.applications.models import ApplicationFile
    from tests.reviews.conftest import deposit_application

    claire, _, organisation = applicant
    application = deposit_application(open_call, organisation, claire)
    files = application.files
    state = health.storage_used()
    assert (state.files, state.bytes) == (len(files), sum(file.size for file in files)) and state.files == 2
    files[0].scan_status = "infected"
    files[1].scan_status = "pending"
    db.session.add(ApplicationFile(**{column: getattr(files[1], column) for column in (
        "application_id", "slot", "organisation_id", "sha256", "size", "format", "original_name", "uploaded_at")},
        storage_key="f" * 32, scan_status="failed"))
    db.session.flush()
    antivirus = health.antivirus()
    assert (antivirus.pending, antivirus.infected, antivirus.failed) == (1, 1, 1) and antivirus.alert


def test_the_panel_shows_every_figure_and_writes_nothing(client, admin, sign_in, clock, monkeypatch, app,
                                                         count_queries):
    moment = clock(MOMENT)
    monkeypatch.setitem(app.config, "CLAMD_URL", None)
    _message(moment - dt.timedelta(hours=5))
    _message(moment - dt.timedelta(hours=1), attempts=3)
    db.session.commit()
    sign_in(client, "admin@portail.fr")
    with count_queries() as statements:
        page = client.get("/admin/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "État de l&#39;instance" in text or "État de l'instance" in text
    assert "2 courriels en attente" in text and "depuis 5 h" in text
    assert "1 en échec" in text and "/admin/courriels?etat=attente" in text
    assert "non configuré" in text
    assert "Aucune sauvegarde enregistrée" in text
    assert not any(statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                   for statement in statements)
    # The signed-in person and her grants (2); the outbox, the scan states, the stored sizes, the last backup: one
    # statement each, whatever the number of messages, files or audit entries.
    assert statements.count <= 6, "\n".join(statements)


def test_the_outbox_page_filtered_lists_the_waiting_without_their_bodies_in_production(client, admin, sign_in,
                                                                                       clock, app, monkeypatch):
    moment = clock(MOMENT)
    monkeypatch.setitem(app.config, "SHOW_OUTBOX", False)
    waiting = _message(moment - dt.timedelta(hours=5))
    waiting.subject, waiting.body = "En attente", "lien secret"
    sent = _message(moment - dt.timedelta(hours=2), sent=True)
    sent.subject = "Parti"
    db.session.commit()
    sign_in(client, "admin@portail.fr")
    text = client.get("/admin/courriels?etat=attente").get_data(as_text=True)
    assert "En attente" in text and "Parti" not in text and "lien secret" not in text


@pytest.mark.parametrize("url", ["/admin/", "/admin/courriels?etat=attente"])
def test_the_panel_does_not_exist_for_anyone_else(client, make_user, sign_in, url):
    make_user("claire@asso-logement.fr", "Claire Martin")
    make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": "Département"})])
    assert client.get(url).status_code == 302  # to sign in
    for email in ("claire@asso-logement.fr", "gestion@pasdecalais.fr"):
        sign_in(client, email)
        assert client.get(url).status_code == 404
