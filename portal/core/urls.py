"""Absolute links for e-mails, documents, feeds and open data: always under the configured PORTAL_BASE_URL.

Never from the request: its Host header is whatever the sender wrote, so a password-reset request sent with
« Host: evil.example » would e-mail a link to evil.example (host header poisoning). A command-line job has no
request at all, and its links must lead to the same public site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint (full name, « accounts.confirm »), under BASE_URL whatever the request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url

