"""An upload's body is asked of the server 1 MiB at a time (core/request_body.py, issue 18: behind gunicorn, reading
it 64 KiB at a time copied each received MiB about sixteen times) and the file kept is the one sent."""

from __future__ import annotations

import hashlib
import io
import os

from portal.core.storage import storage
from tests.applications.conftest import get_application, start
from tests.applications.test_deposit import sign_in_as
from tests.conftest import post_form
from tests.fakes.samples import pdf, png

MB = 1024 * 1024


class RecordingInput:
    """wsgi.input as the server hands it over, remembering how much each read asked for."""

    def __init__(self, stream) -> None:
        self.stream, self.asked = stream, []

    def read(self, size=-1):
        self.asked.append(size)
        return self.stream.read(size)

    def readline(self, size=-1):
        return self.stream.readline(size)


def test_a_3_mb_upload_is_read_1_mib_at_a_time_and_kept_byte_for_byte(app, client, open_call, applicant,
                                                                        monkeypatch):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    inputs = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and "multipart/form-data" in environ.get("CONTENT_TYPE", ""):
            environ["wsgi.input"] = RecordingInput(environ["wsgi.input"])
            inputs.append(environ["wsgi.input"])
        return inner(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", recording)
    content = pdf() + os.urandom(3 * MB) + b"\n%%EOF\n"
    response = post_form(client, f"{url}pieces/cerfa-12156", {"file": (io.BytesIO(content), "cerfa.pdf")},
                         content_type="multipart/form-data", headers={"X-Upload": "1"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    [body] = inputs
    assert max(body.asked) == MB and len(body.asked) <= 5, body.asked  # 3 MiB and the rest, then the end; not 50
    [kept] = get_application(url).current_files
    assert kept.sha256 == hashlib.sha256(content).hexdigest() and kept.size == len(content)


def test_an_upload_is_written_once_straight_into_the_store(client, open_call, applicant, monkeypatch):
    """No spooled copy in a temporary folder first, read back and written again (issue 18): the body's file part
    goes straight to the store's temporary file, hashed on the way, and is renamed into place once checked."""
    import werkzeug.formparser

    def no_spooled_copy(*args, **kwargs):
        raise AssertionError("the upload was spooled to a temporary file before the store")

    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", no_spooled_copy)
    content = pdf() + os.urandom(2 * MB) + b"\n%%EOF\n"
    response = post_form(client, f"{url}pieces/cerfa-12156", {"file": (io.BytesIO(content), "cerfa.pdf")},
                         content_type="multipart/form-data", headers={"X-Upload": "1"})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    [kept] = get_application(url).current_files
    assert kept.sha256 == hashlib.sha256(content).hexdigest()
    with storage().open(kept.storage_key) as stored:
        assert stored.read() == content


def test_a_refused_upload_leaves_nothing_in_the_store_once_answered(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    before = set(storage().root.rglob("*"))
    response = post_form(client, f"{url}pieces/statuts", {"file": (io.BytesIO(png()), "statuts.pdf")},
                         content_type="multipart/form-data", headers={"X-Upload": "1"})
    assert response.status_code == 422 and response.get_json()["ok"] is False
    assert {p for p in storage().root.rglob("*") if p.is_file()} - before == set()
    assert get_application(url).current_files == []
