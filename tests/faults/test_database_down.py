"""The database is out of reach for a moment (a restart, a failover, a lock held too long): every page answers a
French 503 page with Retry-After and no traceback, the page itself reading nothing from the database; once the
database answers again the same portal, not restarted, serves every page and the saved draft is whole."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from portal import config, create_app
from portal.accounts import auth, organisations
from portal.catalog import services
from portal.catalog.queries import get_call
from portal.catalog.schema import CallSpec
from portal.core import page_cache, page_store, time
from portal.extensions import db
from tests.applications.conftest import ANSWERS, CLOSES, DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import PASSWORD, call_data, csrf_token, post_form

UNAVAILABLE = "Le service est momentanément indisponible"


class TcpProxy:
    """Stands between the portal and PostgreSQL: stop() cuts every open connection and refuses new ones, as a
    database server that went away does; start() lets connections through again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        # shutdown() first: on Linux, close() alone leaves a thread blocked in accept() accepting new connections.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # already closed by its other end
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets |= {client, server}
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass  # the proxy was stopped: the portal sees its connection drop
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class PostgresOutage:
    """A database of this test's own behind the proxy."""

    def __init__(self, session_url: sa.URL) -> None:
        self.name = f"{session_url.database}_faults_{os.getpid()}"
        self.server = sa.create_engine(session_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.proxy = TcpProxy((session_url.host or "127.0.0.1", session_url.port or 5432))
        self.proxy.start()
        self.url = session_url.set(database=self.name, host="127.0.0.1", port=self.proxy.port) \
            .render_as_string(hide_password=False)

    def begin(self) -> None:
        self.proxy.stop()

    def end(self) -> None:
        self.proxy.start()

    def close(self) -> None:
        self.proxy.stop()
        with self.server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.server.dispose()


class SqliteOutage:
    """SQLite has no server to lose: its outage is the database file locked by someone else for too long (a stuck
    writer, a copy taken with a lock), which every connection meets as OperationalError « database is locked ».
    This holds with SQLite's default rollback journal, which the portal keeps; under WAL readers would go on
    reading, and this test would fail to take the database away rather than pass by mistake."""

    def __init__(self, folder) -> None:
        self.path = folder / "portal.db"
        self.url = f"sqlite:///{self.path}"
        self._holder: sqlite3.Connection | None = None

    def begin(self) -> None:
        self._holder = sqlite3.connect(self.path, isolation_level=None)
        self._holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        self._holder.execute("BEGIN EXCLUSIVE")

    def end(self) -> None:
        self._holder.close()
        self._holder = None

    def close(self) -> None:
        if self._holder is not None:  # the test failed during the outage
            self.end()


@pytest.fixture
def outage(app, tmp_path):
    session_url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    fault = SqliteOutage(tmp_path) if session_url.get_backend_name() == "sqlite" else PostgresOutage(session_url)
    settings = config.TestConfig(fault.url, tmp_path / "instance")
    # A short busy timeout (SQLite waits 5 s by default) keeps the test quick; the page is the same either way.
    settings.SQLALCHEMY_ENGINE_OPTIONS = {**settings.SQLALCHEMY_ENGINE_OPTIONS, **(
        {"connect_args": {"timeout": 0.2}} if isinstance(fault, SqliteOutage) else {})}
    fault.portal = create_app(settings)
    with fault.portal.app_context():
        db.create_all()
    yield fault
    with fault.portal.app_context():
        db.session.remove()
        db.engine.dispose()
    fault.close()


def seed(portal) -> tuple[str, str, str]:
    """An open call and Claire's association, in the portal under test; returns (slug, window id, organisation id)."""
    with portal.app_context():
        spec = CallSpec.model_validate(call_data(
            windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": CLOSES}],
            required_documents=DOCUMENTS, questions=QUESTIONS, declarations=DECLARATIONS))
        services.publish("equipes-mobiles", spec, "## Contexte\n\nUn texte d'appel suffisant.", "digest", time.now())
        claire = auth.create_confirmed_user("claire@asso-logement.fr", "Claire Martin", PASSWORD)
        organisation = organisations.create_organisation(organisations.Identity(
            legal_name="Association Logement Solidaire", legal_form="association", address="12 rue des Tilleuls",
            postcode="62000", city="Arras", representative_name="Jeanne Leroy", representative_role="Présidente",
            rna="W751515517"), by=claire)
        db.session.commit()
        return "equipes-mobiles", str(get_call("equipes-mobiles").windows[0].id), str(organisation.id)


def test_while_the_database_is_away_every_page_says_so_then_the_portal_recovers_by_itself(outage, clock, caplog):
    clock("2025-04-15 10:00:00")
    slug, window_id, organisation_id = seed(outage.portal)
    claire = outage.portal.test_client()
    post_form(claire, "/compte/connexion", {"email": "claire@asso-logement.fr", "password": PASSWORD})
    started = post_form(claire, "/candidatures/nouvelle", {"window_id": window_id, "organisation_id": organisation_id},
                        form_page=f"/appels/{slug}/")
    draft = started.headers["Location"]
    assert post_form(claire, f"{draft}formulaire", ANSWERS).status_code == 302
    token = csrf_token(claire, f"{draft}formulaire")
    visitor = outage.portal.test_client()
    pages = [(visitor, "/appels/"), (visitor, f"/appels/{slug}/"), (visitor, "/api/v1/appels"),
             (claire, "/candidatures/"), (claire, f"{draft}formulaire"), (claire, f"{draft}pieces"),
             (claire, "/mentions-legales")]

    outage.begin()
    answers = [client.get(path) for client, path in pages]
    answers.append(claire.post(f"{draft}formulaire", data={**ANSWERS, "q.objectifs": "Perdu ?", "csrf_token": token}))
    for (_, path), response in zip([*pages, (claire, "POST formulaire")], answers, strict=True):
        page = response.get_data(as_text=True).replace("&#39;", "'")
        assert response.status_code == 503, path
        assert int(response.headers["Retry-After"]) > 0
        assert UNAVAILABLE in page and "brouillons enregistrés ne sont pas perdus" in page and "Traceback" not in page
    failures = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(failures) == len(answers) and not any(r.exc_info for r in caplog.records)

    outage.end()  # no restart: the same portal, its pool, its sessions
    for client, path in pages:
        assert client.get(path).status_code == 200, path
    form = claire.get(f"{draft}formulaire").get_data(as_text=True)
    assert "Aller vers les ménages." in form and "Perdu ?" not in form  # the saved draft, whole; nothing half-saved
    assert post_form(claire, f"{draft}formulaire", {**ANSWERS, "q.objectifs": "Enregistré après."}).status_code == 302
    assert "Enregistré après." in claire.get(f"{draft}formulaire").get_data(as_text=True)


def test_with_the_page_cache_on_a_visitor_without_cookies_reads_the_same_french_page(outage, clock):
    """A kept page is answered before Flask (core/page_cache_front.py), which needs the catalogue's version from the
    database: when it is out of reach, the request goes on to Flask, whose outage page answers."""
    clock("2025-04-15 10:00:00")
    slug, _window_id, _organisation_id = seed(outage.portal)
    page_cache.use(outage.portal, page_store.MemoryStore())
    visitor = outage.portal.test_client()
    pages = ["/appels/", f"/appels/{slug}/", "/api/v1/appels"]
    assert all(visitor.get(path).status_code == 200 for path in pages)  # rendered, and kept

    outage.begin()
    for path in pages:
        response = visitor.get(path)
        assert response.status_code == 503, path
        assert UNAVAILABLE in response.get_data(as_text=True).replace("&#39;", "'")

    outage.end()
    assert all(visitor.get(path).status_code == 200 for path in pages)
