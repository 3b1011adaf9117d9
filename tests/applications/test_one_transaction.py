"""Commit once, at the edge: the deposit — the files sent with it, the number, the version, its receipt — is one
transaction, so a deposit failing half-way leaves the draft as it was; and a version's kind is stored in English
(migration f2b4d6a8c0e1 renames the French values of versions deposited before it)."""

import html
import io
import pathlib

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.applications import submission
from portal.applications.models import Version
from portal.applications.states import VersionKind
from portal.core.mail import OutboxMessage
from portal.extensions import db
from tests.applications.conftest import get_application, ready, start
from tests.conftest import post_form
from tests.fakes.samples import pdf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_deposit_failing_after_its_version_was_written_leaves_no_version_no_number_and_the_draft(
        client, open_call, applicant, sign_in, monkeypatch):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    before = get_application(url)
    files_before = [(f.id, f.sha256) for f in before.current_files]
    answers_before, revision_before = dict(before.answers), before.revision
    freeze = submission._freeze

    def freeze_then_fail(*args, **kwargs):
        freeze(*args, **kwargs)
        db.session.flush()  # the version row is written in the transaction...
        raise RuntimeError("the server fails half-way")  # ...then something breaks

    monkeypatch.setattr(submission, "_freeze", freeze_then_fail)
    with pytest.raises(RuntimeError):
        post_form(client, f"{url}deposer", {"piece.annexes": (io.BytesIO(pdf() + b"% annexe\n"), "annexe.pdf")},
                  form_page=f"{url}deposer", content_type="multipart/form-data")
    after = get_application(url)
    assert after.number is None and after.versions == [] and after.status == "draft"
    assert db.session.scalars(select(Version)).all() == []
    assert [(f.id, f.sha256) for f in after.current_files] == files_before  # the annex sent with it is not kept
    assert after.answers == answers_before and after.revision == revision_before
    assert db.session.scalars(select(OutboxMessage)).all() == []  # no receipt went out


@pytest.mark.real_commits  # migrations run on their own connection
def test_a_versions_kind_is_stored_in_english_and_old_french_values_are_migrated(client, open_call, applicant,
                                                                                  sign_in):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    post_form(client, f"{url}deposer", {}, form_page=f"{url}deposer")
    assert get_application(url).latest_version.reason == VersionKind.DEPOSIT
    db.session.remove()
    directory = str(ROOT / "migrations")
    downgrade(directory=directory, revision="e9a3c5b7d1f4")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT reason FROM application_versions")).scalars().all() == ["depot"]
    upgrade(directory=directory)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT reason FROM application_versions")).scalars().all() == ["deposit"]


def test_a_double_click_is_refused_in_french_and_leaves_nothing(client, open_call, applicant, sign_in, monkeypatch):
    """The other request deposited this version first: its unique number meets this one's at the flush."""
    import secrets
    import uuid

    from sqlalchemy import insert

    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    freeze = submission._freeze

    def after_the_first_click(application, by, at, *args, **kwargs):
        # The first click's version, written while this request read the application without it.
        db.session.execute(insert(Version).values(
            id=uuid.uuid4(), application_id=application.id, number=1, reason=VersionKind.DEPOSIT, submitted_at=at,
            submitted_by_name=by.name, snapshot={}, verification_code=secrets.token_urlsafe(18)))
        return freeze(application, by, at, *args, **kwargs)

    monkeypatch.setattr(submission, "_freeze", after_the_first_click)
    response = post_form(client, f"{url}deposer", {}, form_page=f"{url}deposer")
    assert response.status_code == 409
    assert "Ce dépôt vient déjà d'être enregistré (double envoi)" in html.unescape(response.get_data(as_text=True))
    after = get_application(url)
    assert after.number is None and after.versions == [] and after.status == "draft"
    assert db.session.scalars(select(OutboxMessage)).all() == []
