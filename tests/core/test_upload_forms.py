"""The one way a view shows an upload's failure: beside the field the refusal names, 422, keeping the audit of a
virus found; a full store beside the file, 507; any other refusal or fault goes on to the view's handlers."""

from __future__ import annotations

import errno
from types import SimpleNamespace

import pytest
from flask import g

from portal.core.errors import Refusal
from portal.core.upload_forms import store_from_form


def _form():
    return SimpleNamespace(file=SimpleNamespace(errors=[]), title=SimpleNamespace(errors=[]))


def _raising(error):
    def store():
        raise error
    return store


def test_what_the_store_returns_is_given_back(app):
    with app.test_request_context():
        assert store_from_form(_form(), lambda: "stored", file_field="file", fields=("file",)) == ("stored", None)


def test_a_refused_file_is_said_at_its_field_and_the_audit_of_a_virus_found_is_kept(app):
    form = _form()
    with app.test_request_context():
        result = store_from_form(form, _raising(Refusal("Ce fichier contient un virus.", field="file")),
                                 file_field="file", fields=("file", "title"))
        assert result == (None, 422) and g.get("unit_of_work_keep") is True
    assert form.file.errors == ["Ce fichier contient un virus."] and form.title.errors == []


def test_a_refusal_at_another_field_keeps_nothing(app):
    form = _form()
    with app.test_request_context():
        result = store_from_form(form, _raising(Refusal("Donnez un titre.", field="title")),
                                 file_field="file", fields=("file", "title"))
        assert result == (None, 422) and not g.get("unit_of_work_keep")
    assert form.title.errors == ["Donnez un titre."] and form.file.errors == []


def test_a_full_store_is_the_servers_fault_said_beside_the_file(app):
    form = _form()
    with app.test_request_context():
        result = store_from_form(form, _raising(OSError(errno.ENOSPC, "No space left on device")),
                                 file_field="file", fields=("file",))
    assert result == (None, 507)
    assert "l'espace de stockage du portail est plein" in form.file.errors[0]


@pytest.mark.parametrize("error", [Refusal.not_found(), Refusal("Trop tard.", field="deadline"),
                                   OSError(errno.EIO, "Input/output error")])
def test_any_other_refusal_or_fault_goes_on_to_the_views_handlers(app, error):
    with app.test_request_context(), pytest.raises(type(error)):
        store_from_form(_form(), _raising(error), file_field="file", fields=("file", "title"))
