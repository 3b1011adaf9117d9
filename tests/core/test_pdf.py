"""PDF documents: French text survives the trip through WeasyPrint, and rendering never touches the network."""

import io
import logging
import socket

import pytest
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader

from portal.core.pdf import render_pdf

RECEIPT = """{% extends "pdf/base.html" %}
{% block title %}Accusé de réception{% endblock %}
{% block content %}<p>{{ line }}</p>{{ extra|safe }}{% endblock %}"""

STATIC_LINK = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<link rel="stylesheet" href="{{ url_for('static', filename='css/pdf.css') }}"></head>
<body><p>Décision de la commission</p></body></html>"""


@pytest.fixture
def templates(app, monkeypatch):
    """Test templates next to the real ones, as an application's templates would be."""
    loader = ChoiceLoader([DictLoader({"tests/receipt.html": RECEIPT, "tests/static_link.html": STATIC_LINK}),
                           app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)


@pytest.fixture
def network_calls(monkeypatch):
    """Every attempt to resolve or reach a host, recorded instead of made."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_receipt_is_a_pdf_whose_french_text_can_be_read_back(app, templates):
    with app.test_request_context():
        pdf = render_pdf("tests/receipt.html", line="Accusé de réception — 25 493,66 €")

    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "Accusé de réception — 25 493,66 €" in text
    assert "Page 1 sur 1" in text  # the footer comes from static/css/pdf.css, found offline


def test_stylesheet_linked_with_url_for_is_read_from_the_static_folder(app, templates):
    with app.test_request_context():
        text = text_of(render_pdf("tests/static_link.html"))

    assert "Décision de la commission" in text
    assert "Page 1 sur 1" in text


def test_remote_and_out_of_folder_resources_are_refused_and_the_document_still_renders(
        app, templates, network_calls, caplog, monkeypatch):
    # Alembic's fileConfig() in migrations/env.py disables the loggers that existed before the upgrade.
    monkeypatch.setattr(logging.getLogger("weasyprint"), "disabled", False)
    extra = ('<img src="http://example.org/x.png"><img src="https://example.org/y.png">'
             '<img src="file:///etc/passwd"><img src="../pyproject.toml">'
             '<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">')
    with app.test_request_context(), caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf("tests/receipt.html", line="Pièce jointe absente", extra=extra)

    assert "Pièce jointe absente" in text_of(pdf)
    assert network_calls == []
    refused = [record.getMessage() for record in caplog.records if "refused to fetch" in record.getMessage()]
    assert any("http://example.org/x.png" in message for message in refused)
    assert any("https://example.org/y.png" in message for message in refused)
    assert any("/etc/passwd" in message for message in refused)
    assert any("pyproject.toml" in message for message in refused)
    assert not any("data:" in message for message in refused)
