"""gunicorn's workers compile every template before their first request (portal/gunicorn_conf.post_worker_init),
so that the first visitors of a worker do not pay Jinja's compilation; then they leave what they loaded out of the
garbage collector's full passes, which walked it all while every thread of the worker waited."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

from portal import gunicorn_conf

# In a child process: freezing is for the process's whole life, and pytest's own objects are not a worker's.
CHILD = textwrap.dedent("""
    import gc
    from types import SimpleNamespace
    from portal import create_app, gunicorn_conf
    from portal.catalog.models import Call
    app = create_app()
    before = len(gc.get_objects())
    gunicorn_conf.post_worker_init(SimpleNamespace(wsgi=app, log=SimpleNamespace(warning=print)))
    print(Call.__mapper__.configured, before, len(gc.get_objects()), gc.get_freeze_count())
""")


def test_a_new_worker_has_every_template_compiled_before_its_first_request(app):
    environment = app.jinja_env
    environment.cache.clear()
    warnings = []
    try:
        gunicorn_conf.post_worker_init(SimpleNamespace(wsgi=app,
                                                       log=SimpleNamespace(warning=lambda *a: warnings.append(a))))
    finally:
        gc.unfreeze()  # this is pytest's process, not a worker's
    compiled = {key[1] for key in environment.cache.keys()}  # noqa: SIM118 - a Jinja LRUCache, not a dict
    assert {"base.html", "catalog/index.html", "applications/summary.html", "mail/receipt.txt"} <= compiled
    assert len(compiled) == len(environment.list_templates(extensions=("html", "txt"))), warnings


def test_a_new_worker_leaves_what_it_loaded_out_of_the_garbage_collectors_full_passes(tmp_path):
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SECRET_KEY": "x" * 32,
           "PORTAL_INSTANCE_DIR": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, env=env)
    *_, configured, before, after, frozen = done.stdout.split()
    before, after, frozen = int(before), int(after), int(frozen)
    # Not left to the worker's first request (accounts.sessions's loader, built at import, configures them even
    # before; post_worker_init makes sure of it whatever the modules do).
    assert configured == "True"
    assert frozen > 100_000 and frozen >= before  # the application, its templates and libraries: left alone
    assert after < before // 20  # what a full pass still walks: what the worker makes from now on
