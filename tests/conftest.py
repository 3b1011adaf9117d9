"""The application on a real database (SQLite by default, PostgreSQL when PORTAL_DATABASE_URL says so),
migrated once with Alembic; each test runs in a transaction rolled back at its end (or, marked `real_commits`,
commits for real and the tables are emptied afterwards); factories build the calls a test needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import Parameters, Type
from flask.testing import FlaskClient
from flask_migrate import upgrade
from itsdangerous import URLSafeTimedSerializer

from portal import create_app
from portal.catalog import services
from portal.catalog.schema import CallSpec
from portal.config import TestConfig
from portal.core import time
from portal.extensions import db


class BrowserClient(FlaskClient):
    """Each request gets its own application context, as in a real server. pytest-flask keeps one context
    open for the whole test; without this, `g` (the signed-in user, the CSRF token) would leak between
    requests and between clients. The test's own session is expired afterwards so it reads what was stored."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # the whole response is produced while its context is open
        _end_the_tests_own_savepoint()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


# argon2id at the cheapest parameters libsodium still verifies (16-byte salt and output, 8 KiB, one pass).
CHEAP_HASHING = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=16, time_cost=1, memory_cost=8,
                           parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """argon2id still, with the cheapest parameters libsodium verifies (the path production takes, 16-byte salt and
    output; argon2-cffi's own cheapest profile has a 4-byte output, checked by argon2-cffi alone): real hashing costs
    0.2 s per account and the suite makes hundreds of accounts. Production keeps the recommended parameters
    (portal/accounts/passwords.py)."""
    from argon2 import PasswordHasher

    from portal.accounts import passwords

    recommended = passwords._hasher
    passwords._hasher = PasswordHasher.from_parameters(CHEAP_HASHING)
    yield
    passwords._hasher = recommended


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("PORTAL_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    application = create_app(TestConfig(url, instance, calls_dir=instance / "calls"))
    application.test_client_class = BrowserClient
    with application.app_context():
        _drop_everything()
        upgrade()
    return application


@pytest.fixture
def client(app):
    """pytest-flask's client keeps each request's context open afterwards; a browser's requests share nothing."""
    return app.test_client()


def _drop_everything() -> None:
    """A PostgreSQL database reused between runs starts from nothing, so migrations run from the first one."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


TESTS = Path(__file__).parent
SLOW = {"browser", "faults"}  # a real browser or a real server in processes of its own: minutes, not seconds


def pytest_collection_modifyitems(items):
    """The browser journeys and the fault tests are `slow` (`pytest -m "not slow"` leaves them out) and need
    `real_commits`: another thread or process reads what the test's requests commit."""
    for item in items:
        if Path(item.path).relative_to(TESTS).parts[0] in SLOW:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.real_commits)


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    """Most tests run inside one outer transaction rolled back at their end: every commit of the code under test
    (a request's unit of work, a service's, the test's own) only releases a savepoint inside it. Tests marked
    `real_commits` (another engine, thread or process reads what they commit; backups, migrations) commit for
    real, and every table is emptied afterwards."""
    if request.node.get_closest_marker("real_commits"):
        yield
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        return
    with _rolled_back_at_the_end():
        yield


@contextmanager
def _rolled_back_at_the_end():
    """SQLAlchemy 2's « joining a session into an external transaction »: every session of the application is
    bound to one connection whose transaction is rolled back at the end; `join_transaction_mode="create_savepoint"`
    turns each session's commit into a RELEASE SAVEPOINT and its rollback into a ROLLBACK TO SAVEPOINT, so the
    unit of work commits and rolls back as it does in production. pysqlite begins transactions by itself and not
    before a SAVEPOINT: it is told to stay out of the way (isolation_level None) and BEGIN is said explicitly
    (SQLAlchemy's pysqlite documentation, « Serializable isolation / Savepoints / Transactional DDL »)."""
    db.session.remove()
    connection = db.engine.connect()
    driver = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if driver is not None:
        driver.isolation_level = None
    outer = connection.begin()
    if driver is not None:
        connection.exec_driver_sql("BEGIN")
    factory = db.session.session_factory
    factory.kw["join_transaction_mode"] = "create_savepoint"
    factory.class_.get_bind = lambda self, *args, **kwargs: connection
    try:
        yield
    finally:
        db.session.remove()
        del factory.class_.get_bind
        del factory.kw["join_transaction_mode"]
        outer.rollback()
        if driver is not None:
            driver.isolation_level = ""  # as the pool lent it
        connection.close()


def _end_the_tests_own_savepoint() -> None:
    """Before a request, commit what the test's own session holds, as it would have to for a request on another
    connection to see it. Otherwise the request's commit would be released inside the test session's savepoint,
    and a later `db.session.rollback()` in the test would undo it, which a real commit never is."""
    session = db.session()
    if session.join_transaction_mode == "create_savepoint" and session.in_transaction():
        session.commit()


class Statements(list):
    """The SQL statements a block sent, savepoint bookkeeping left out (it depends on how the test commits)."""

    @property
    def count(self) -> int:
        return len(self)


_BOOKKEEPING = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT|ROLLBACK)\b", re.I)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries: client.get(url)`, then `queries.count` (and the statements themselves)."""

    @contextmanager
    def counting():
        statements = Statements()

        def record(_connection, _cursor, statement, *_):
            if not _BOOKKEEPING.match(statement):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture(autouse=True)
def _real_clock():
    yield
    time.set_clock(None)


@pytest.fixture
def clock():
    """Stand at a given instant: clock("2025-05-09 23:59:59") in Paris time, or an aware datetime."""

    def set_to(moment: str | dt.datetime) -> dt.datetime:
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment).replace(tzinfo=time.PARIS)
        time.set_clock(lambda: moment)
        return moment

    return set_to


def call_data(**overrides) -> dict:
    """A minimal valid call; tests override what they are about."""
    data = {
        "id": str(uuid.uuid4()),
        "kind": "AAP",
        "title": "Équipes mobiles de prévention des expulsions",
        "summary": "Soutenir les équipes mobiles qui vont vers les ménages menacés d'expulsion.",
        "issuer": {"body": "Département du Pas-de-Calais"},
        "themes": ["prévention des expulsions"],
        "territories": [{"name": "Pas-de-Calais", "code": "DEP-62"}],
        "carriers": {"types": ["association", "organisme_agree"]},
        "windows": [{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def publish_call(app):
    """Publish a call as `portal calls sync` would, at the current clock."""

    def publish(slug: str = "equipes-mobiles", body: str = "## Contexte\n\nUn texte d'appel suffisant.",
                **overrides):
        spec = CallSpec.model_validate(call_data(**overrides))
        digest = hashlib.sha256(f"{spec.model_dump_json()}{body}".encode()).hexdigest()
        services.publish(slug, spec, body, digest, time.now())
        db.session.commit()
        from portal.catalog.queries import get_call

        return get_call(slug)

    return publish


@pytest.fixture
def write_call(tmp_path):
    """Write a call file (front-matter dict + body) into a folder of its own and return its path."""
    import yaml

    folder = tmp_path / "calls"
    folder.mkdir(exist_ok=True)

    def write(name: str, data: dict | None = None, body: str = "## Contexte\n\nUn texte d'appel suffisant.",
              raw: str | None = None) -> Path:
        path = folder / name
        text = raw if raw is not None else f"---\n{yaml.safe_dump(data, allow_unicode=True, sort_keys=False)}---\n{body}\n"
        path.write_text(text, encoding="utf-8")
        return path

    write.folder = folder
    return write


# ---- people, organisations, mail -------------------------------------------------------------------------

PASSWORD = "une phrase de passe solide"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    from portal.extensions import limiter

    limiter.reset()
    yield


def csrf_token(client, url: str | None = None) -> str:
    """The CSRF token the forms of this client's session carry, made as Flask-WTF's generate_csrf makes it (the
    raw token kept in the session, signed with the secret key) without fetching the form's page, which cost a
    request per form posted. The messages flashed for the next page are dropped, as showing that page would have
    shown them. `url` is kept for the callers' reading; `form_token(client, url)` reads a page's own token."""
    app = client.application
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    with client.session_transaction() as session:
        session.pop("_flashes", None)
        if field not in session:
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session[field]
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def form_token(client, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no form with a CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, form_page: str | None = None, **kwargs):
    """Submit a form like a browser, with the session's CSRF token (`form_page`, where the form is shown, is not
    fetched: the token is the session's, the same on every page)."""
    return client.post(url, data={"csrf_token": csrf_token(client, form_page or url), **data}, **kwargs)


@pytest.fixture
def make_user(app):
    """Create an account with a confirmed address: make_user("a@x.fr", name=..., roles=[("admin", {})])."""
    from portal.accounts import auth, roles

    def make(email: str = "claire.martin@asso-exemple.fr", name: str = "Claire Martin", password: str = PASSWORD,
             grants: list[tuple[str, dict]] = ()):
        user = auth.create_confirmed_user(email, name, password)
        db.session.commit()
        for role, scope in grants:
            roles.grant_role(user, role, by=None, **scope)
        return user

    return make


@pytest.fixture
def sign_in():
    def do(client, email: str, password: str = PASSWORD, follow_redirects: bool = False):
        client.post("/compte/deconnexion", data={"csrf_token": csrf_token(client, "/compte/connexion")})
        return post_form(client, "/compte/connexion", {"email": email, "password": password},
                         follow_redirects=follow_redirects)

    return do


@pytest.fixture
def make_organisation(app):
    """An organisation whose administrator is `admin` (and whose members are `members`)."""
    from portal.accounts import organisations
    from portal.accounts.models import Membership

    def make(admin, legal_name: str = "Association Habitat Solidaire", members=(), **identity):
        data = dict(legal_name=legal_name, legal_form="association", address="12 rue des Tilleuls",
                    postcode="62000", city="Arras", representative_name="Jeanne Leroy",
                    representative_role="Présidente", rna="W751515517")
        data.update(identity)
        organisation = organisations.create_organisation(organisations.Identity(**data), by=admin)
        for person in members:
            db.session.add(Membership(organisation=organisation, user=person, role="member", joined_at=time.now()))
        db.session.commit()
        return organisation

    return make


class Mailbox:
    """Messages received by a real SMTP server (aiosmtpd) running in the test process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def deliver(self) -> list:
        """Run `portal mail send` once and return the messages that arrived."""
        from portal.core import mail

        before = len(self.messages)
        mail.deliver_pending(self.url)
        return self.messages[before:]

    def last_to(self, recipient: str):
        found = [m for m in self.messages if m["To"] == recipient]
        assert found, f"no mail to {recipient}"
        return found[-1]

    @staticmethod
    def link_in(message, path_part: str) -> str:
        body = message.get_content() if hasattr(message, "get_content") else message.get_payload(decode=True).decode()
        for word in body.split():
            if path_part in word:
                return word[word.index("/", len("http://")):]  # the path, for the test client
        raise AssertionError(f"no link containing {path_part} in:\n{body}")


@pytest.fixture
def mailbox(app):
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self, box: Mailbox) -> None:
            self.box = box

        async def handle_DATA(self, server, session, envelope):
            self.box.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox(port)
    controller = Controller(Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    previous = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = box.url
    yield box
    app.config["SMTP_URL"] = previous
    controller.stop()
