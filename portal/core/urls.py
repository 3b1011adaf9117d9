"""Absolute links for e-mails and documents, whether or not a request is being served."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """From the request when there is one, else from the site's BASE_URL (a command-line job or the demo loader
    has no request, and the link must still lead to the public site)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
