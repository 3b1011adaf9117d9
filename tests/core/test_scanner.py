"""Every upload can go through the antivirus: a clean file is said clean, the EICAR test file is caught with its
name, and a missing or failing clamd gives "failed", never an exception and never "clean"."""

import io
import logging
import socket

import pytest

from portal.core.scanner import ClamdScanner, NullScanner, ScanResult, scanner
from tests.fakes.clamd import EICAR, FakeClamd

REPORT = b"%PDF-1.4\n" + b"Rapport d'activite 2024. " * 10_000  # 250 Ko: several INSTREAM chunks


@pytest.fixture
def operator_log(caplog, monkeypatch):
    """What the operators read. Alembic's fileConfig (migrations/env.py, run by the app fixture) disables every
    logger that existed before it, this one included, so it is switched back on for the assertion."""
    monkeypatch.setattr(logging.getLogger("portal.core.scanner"), "disabled", False)
    with caplog.at_level(logging.WARNING, logger="portal.core.scanner"):
        yield caplog


def test_a_clean_report_is_scanned_clean_and_sent_whole():
    report = io.BytesIO(REPORT)
    with FakeClamd() as url:
        result = ClamdScanner(url).scan(report)
    assert result == ScanResult("clean", None)
    assert report.read() == REPORT  # left rewound for storage


def test_the_whole_file_reaches_clamd():
    clamd = FakeClamd()
    with clamd as url:
        ClamdScanner(url).scan(io.BytesIO(REPORT))
    assert clamd.received == len(REPORT)
    assert clamd.commands == [b"zINSTREAM"]


def test_the_eicar_test_file_is_caught_with_its_signature():
    hidden = io.BytesIO(REPORT + EICAR + REPORT)  # straddles a chunk boundary, as a real upload would
    with FakeClamd() as url:
        assert ClamdScanner(url).scan(hidden) == ScanResult("infected", "Eicar-Test-Signature")


def test_clamd_over_a_unix_socket(tmp_path):
    with FakeClamd(socket_path=tmp_path / "clamd.ctl") as url:
        assert url.startswith("unix://")
        assert ClamdScanner(url).scan(io.BytesIO(EICAR)).status == "infected"


def test_a_clamd_hanging_up_without_answer_gives_failed(operator_log):
    with FakeClamd(silent=True) as url:
        assert ClamdScanner(url).scan(io.BytesIO(REPORT)) == ScanResult("failed", None)
    assert "could not scan" in operator_log.text  # failed, but never silently


def test_no_clamd_listening_gives_failed(operator_log):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free now, and nothing listens once closed
    assert ClamdScanner(f"tcp://127.0.0.1:{port}").scan(io.BytesIO(REPORT)).status == "failed"
    assert "unreachable" in operator_log.text


def test_a_clamd_that_never_answers_gives_failed_after_the_timeout():
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()  # the kernel accepts the connection; nobody reads or replies
        url = f"tcp://127.0.0.1:{mute.getsockname()[1]}"
        assert ClamdScanner(url, timeout=0.2).scan(io.BytesIO(b"%PDF-1.4\n")).status == "failed"


def test_without_antivirus_files_are_not_scanned_rather_than_clean():
    assert NullScanner().scan(io.BytesIO(EICAR)) == ScanResult("not_scanned", None)


def test_the_configured_clamd_is_used(app, monkeypatch):
    with app.app_context():
        assert isinstance(scanner(), NullScanner)
        with FakeClamd() as url:
            monkeypatch.setitem(app.config, "CLAMD_URL", url)
            assert scanner().scan(io.BytesIO(EICAR)).status == "infected"


@pytest.mark.parametrize("address", ["127.0.0.1:3310", "http://clamav:3310", "tcp://clamav", "unix://"])
def test_a_misconfigured_clamd_address_is_refused_at_start(address):
    with pytest.raises(ValueError):
        ClamdScanner(address)
