"""gunicorn's workers compile every template before their first request (portal/gunicorn_conf.post_worker_init),
so that the first visitors of a worker do not pay Jinja's compilation."""

from __future__ import annotations

from types import SimpleNamespace

from portal import gunicorn_conf


def test_a_new_worker_has_every_template_compiled_before_its_first_request(app):
    environment = app.jinja_env
    environment.cache.clear()
    warnings = []
    gunicorn_conf.post_worker_init(SimpleNamespace(wsgi=app, log=SimpleNamespace(warning=lambda *a: warnings.append(a))))
    compiled = {key[1] for key in environment.cache.keys()}  # noqa: SIM118 - a Jinja LRUCache, not a dict
    assert {"base.html", "catalog/index.html", "applications/summary.html", "mail/receipt.txt"} <= compiled
    assert len(compiled) == len(environment.list_templates(extensions=("html", "txt"))), warnings
