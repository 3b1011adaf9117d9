"""The production setup: behind nginx the portal sees each visitor's own address (rate limits, audit log) and no
one can forge it when no proxy is declared; `scripts/serve --prod` refuses an unsafe start in French; gunicorn
serves the portal with the repository's settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time as wall
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import config, create_app
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.conftest import PASSWORD, BrowserClient, post_form

ROOT = Path(__file__).resolve().parents[2]
# Other portals (a proxied one, gunicorn in processes of its own) read and write the suite's database for real.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def behind_proxy(app):
    """The same portal and database, declared to stand behind one reverse proxy (PORTAL_PROXY_COUNT=1)."""
    settings = config.TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))
    settings.PROXY_COUNT = 1
    settings.LOGIN_LIMIT_ADDRESS, settings.LOGIN_LIMIT_ACCOUNT = "2 per 10 seconds", "100 per 10 seconds"
    proxied = create_app(settings)
    proxied.test_client_class = BrowserClient
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def sign_in_from(client, email: str, visitor: str, password: str = "pas le bon mot de passe"):
    """A sign-in relayed by nginx from the local machine, naming the visitor in X-Forwarded-For."""
    return post_form(client, "/compte/connexion", {"email": email, "password": password},
                     environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"X-Forwarded-For": visitor})


def test_behind_a_proxy_limits_and_the_audit_log_see_each_visitor_address(behind_proxy, make_user):
    make_user("claire@asso-logement.fr")
    client = behind_proxy.test_client()
    assert sign_in_from(client, "claire@asso-logement.fr", "203.0.113.7").status_code == 400
    assert sign_in_from(client, "claire@asso-logement.fr", "203.0.113.7").status_code == 400
    assert sign_in_from(client, "claire@asso-logement.fr", "203.0.113.7").status_code == 429
    # Another visitor behind the same proxy is not blocked by the first one's attempts.
    assert sign_in_from(client, "claire@asso-logement.fr", "198.51.100.4", PASSWORD).status_code == 302
    with behind_proxy.app_context():
        addresses = db.session.scalars(sa.select(AuditEvent.address).where(
            AuditEvent.action.in_(["account.sign_in_failed", "account.sign_in"])).order_by(AuditEvent.id)).all()
    assert addresses == ["203.0.113.7", "203.0.113.7", "198.51.100.4"]


def test_without_a_declared_proxy_a_forged_forwarded_address_changes_nothing(client, app, make_user):
    make_user("claire@asso-logement.fr")
    saved = app.config["LOGIN_LIMIT_ADDRESS"]
    app.config["LOGIN_LIMIT_ADDRESS"] = "2 per 10 seconds"
    try:
        codes = [post_form(client, "/compte/connexion", {"email": "claire@asso-logement.fr", "password": "non"},
                           environ_base={"REMOTE_ADDR": "192.0.2.50"},
                           headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    finally:
        app.config["LOGIN_LIMIT_ADDRESS"] = saved
    assert codes == [400, 400, 429]
    assert set(db.session.scalars(sa.select(AuditEvent.address))) == {"192.0.2.50"}


def serve_prod(**env: str) -> subprocess.CompletedProcess:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")}
    return subprocess.run([str(ROOT / "scripts" / "serve"), "--prod"], env={**kept, **env}, capture_output=True,
                          text=True, timeout=60)


def test_serve_prod_refuses_to_start_without_a_secret_key_or_on_sqlite():
    missing = serve_prod()
    assert missing.returncode == 1 and "Refus de démarrer en production : PORTAL_SECRET_KEY" in missing.stderr
    short = serve_prod(PORTAL_SECRET_KEY="trop-courte")
    assert short.returncode == 1 and "au moins 32 caractères" in short.stderr
    on_sqlite = serve_prod(PORTAL_SECRET_KEY="k" * 48)
    assert on_sqlite.returncode == 1 and "Refus de démarrer en production sur SQLite" in on_sqlite.stderr
    explicit = serve_prod(PORTAL_SECRET_KEY="k" * 48, PORTAL_DATABASE_URL="sqlite:////nonexistent/dir/portal.db")
    assert explicit.returncode == 1 and "sur SQLite" in explicit.stderr


def test_gunicorn_serves_the_portal_with_the_repository_settings(tmp_path):
    """gunicorn with portal/gunicorn_conf.py, as `scripts/serve --prod` starts it, on a database of its own."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    migrated = create_app(config.TestConfig(url, tmp_path))
    with migrated.app_context():
        upgrade()
        db.engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}, "PORTAL_DATABASE_URL": url,
           "PORTAL_SECRET_KEY": "k" * 48, "PORTAL_INSTANCE_DIR": str(tmp_path), "PORTAL_PROXY_COUNT": "1",
           "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"), "PORT": str(port), "WEB_CONCURRENCY": "1"}
    with open(tmp_path / "gunicorn.log", "w+") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            page = _get(f"http://127.0.0.1:{port}/appels/", {"X-Forwarded-For": "203.0.113.7"}, server)
            assert "Appels" in page
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0  # a graceful stop
        log.seek(0)
        output = log.read()
    # The access log names the visitor, not the proxy in front.
    assert '203.0.113.7 - - ' in output and '"GET /appels/ HTTP/1.1" 200' in output, output


def _get(url: str, headers: dict, server: subprocess.Popen) -> str:
    deadline = wall.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
                return response.read().decode()
        except OSError:
            if server.poll() is not None or wall.monotonic() > deadline:
                raise
            wall.sleep(0.2)
