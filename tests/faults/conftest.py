"""The portal served as in production, by a real gunicorn server in processes of its own, on a free port and an
instance of its own, so that a test can SIGKILL the process serving a request and look at what survived.

- `instance` (per module): a throw-away instance: folder, upload store, spool folder (the server's TMPDIR, where
  request bodies wait), and a database of its own: a SQLite file, or on PostgreSQL a database created beside the
  session's (`<name>_faults_<pid>`) and dropped afterwards, never the session's one that the suite's fixtures
  empty after each test. `with instance.context():` reads and writes it from the test through the portal's own
  services; `instance.env` runs any `portal` command on it.
- `server` (per module): gunicorn serving `tests.faults.server:app` (the portal plus pauses armed at run time, see
  server.py) on that instance, one preloaded worker with threads, so the process serving a request is known and
  a killed worker comes back at once: `server.url`, `server.arm(pause)`, `server.paused_pid()`,
  `server.workers()`, `server.kill_worker(pid)`, `server.crash()` (the whole server, master included) and
  `server.start()`.
- `Browser(server.url)`: a signed-in person's cookies and CSRF tokens over plain HTTP."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time as wall
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import create_app
from portal.config import ROOT, Config
from portal.extensions import db

GUNICORN = Path(sys.executable).parent / "gunicorn"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
STARTUP = 60  # seconds a cold start may take on a loaded CI machine


def wait_for(condition, what: str, timeout: float = 20, every: float = 0.02):
    """Poll until `condition()` is truthy and return its value; fail saying what never happened."""
    deadline = wall.monotonic() + timeout
    while wall.monotonic() < deadline:
        value = condition()
        if value:
            return value
        wall.sleep(every)
    raise AssertionError(f"within {timeout} s: {what}")


class Instance:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder, self.database_url = folder, database_url
        self.uploads, self.spool, self.faults = folder / "uploads", folder / "spool", folder / "faults"
        for path in (self.uploads, self.spool, self.faults, folder / "calls"):
            path.mkdir(parents=True)
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_"))}
        self.env.update({
            "PORTAL_INSTANCE_DIR": str(folder / "instance"), "PORTAL_DATABASE_URL": database_url,
            "PORTAL_UPLOAD_DIR": str(self.uploads), "PORTAL_CALLS_DIR": str(folder / "calls"),
            "PORTAL_SECRET_KEY": uuid.uuid4().hex, "PORTAL_FAULTS_DIR": str(self.faults),
            "TMPDIR": str(self.spool), "PYTHONPATH": str(ROOT), "FLASK_DEBUG": "0",
        })
        self.app = create_app(Config(self.env))

    @contextlib.contextmanager
    def context(self):
        """The instance's app context; what the test reads is what the database holds now."""
        with self.app.app_context():
            db.session.expire_all()
            try:
                yield
            finally:
                db.session.remove()

    def store_files(self) -> set[str]:
        """Every file in the upload store, by name: keys, and `.<key>.part` for a temporary file."""
        return {path.name for path in self.uploads.glob("*/*")}


def _postgresql_database(session_url: str):
    """A database of its own beside the session's: created now, dropped by the returned function."""
    url = sa.make_url(session_url)
    name = f"{url.database}_faults_{os.getpid()}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # killed servers' too
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    session_url = os.environ.get("PORTAL_DATABASE_URL", "")
    drop = None
    if session_url.startswith("postgresql"):
        url, drop = _postgresql_database(session_url)
    else:
        url = f"sqlite:///{folder / 'portal.db'}"
    made = Instance(folder, url)
    with made.app.app_context():
        upgrade()
    yield made
    with made.app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


class Server:
    def __init__(self, instance: Instance) -> None:
        self.instance, self.process = instance, None
        self.log = instance.folder / "server.log"
        with socket_probe() as probe:
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """A cold start, as after a crash: a new master imports the portal and forks its worker."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4", "--preload",
                 "--graceful-timeout", "2", "tests.faults.server:app"],
                env=self.instance.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own process group: crash() kills master and workers at once
        self.wait_ready(STARTUP)

    def wait_ready(self, timeout: float = 20) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the server stopped:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/compte/connexion", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, f"the server answers on {self.url}", timeout, every=0.05)

    def workers(self) -> list[int]:
        """The master's worker processes, read from /proc (the kernel's view, not gunicorn's)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                found.append(int(stat.parent.name))
        return found

    def arm(self, pause: str) -> None:
        (self.instance.faults / "paused").unlink(missing_ok=True)
        (self.instance.faults / "armed").write_text(pause)

    def paused_pid(self, timeout: float = 20) -> int:
        """Wait until a request stands at the armed pause; the process serving it."""
        marker = self.instance.faults / "paused"
        wait_for(marker.exists, "a request reaches the armed pause", timeout)
        return int(marker.read_text().split()[0])

    def kill_worker(self, pid: int) -> None:
        """SIGKILL the worker serving a request; gunicorn's master forks a fresh one, as in production."""
        assert pid in self.workers(), f"{pid} is not a worker of the server"
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in self.workers() and self.workers(), "a new worker replaces the killed one")
        self.wait_ready()

    def crash(self) -> None:
        """SIGKILL the whole server, master and workers, as a machine's OOM killer or a power cut would."""
        workers = self.workers()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        wait_for(lambda: not any(alive(pid) for pid in workers), "the killed workers are gone")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def socket_probe() -> socket.socket:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    return probe


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(instance):
    started = Server(instance)
    started.start()
    yield started
    started.stop()


class Browser:
    """A person's browser over plain HTTP: cookies kept, forms posted with the page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base, self.cookies = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 30):
        """(status, final URL, page) of a request, redirects followed."""
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.geturl(), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode("utf-8", "replace")

    def csrf(self, path: str) -> str:
        status, _, page = self.open(path)
        match = CSRF.search(page)
        assert status == 200 and match, f"no form with a CSRF token on {path} (HTTP {status})"
        return match.group(1)

    def post(self, path: str, fields: dict, form_page: str | None = None, timeout: float = 30):
        body = urllib.parse.urlencode({"csrf_token": self.csrf(form_page or path), **fields}, doseq=True).encode()
        return self.open(path, body, timeout=timeout)

    def sign_in(self, email: str, password: str) -> None:
        status, url, _ = self.post("/compte/connexion", {"email": email, "password": password})
        assert status == 200 and "/compte/connexion" not in url, f"sign-in refused (HTTP {status}, {url})"

    def upload(self, path: str, field: str, name: str, content: bytes, form_page: str, timeout: float = 30):
        """A multipart POST as the upload form sends it with JavaScript (X-Upload): (status, JSON answer)."""
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.csrf(form_page)}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                "Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        status, _, answer = self.open(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                   "X-Upload": "1"}, timeout)
        return status, json.loads(answer) if answer.lstrip().startswith("{") else {"page": answer}

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)
