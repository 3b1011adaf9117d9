"""Benchmark, not a test: the server's memory while an applicant uploads a 200 MB PDF (issue 4).

Builds a throw-away instance (SQLite, upload folder, no calls), starts the real server in its own process, signs in
as a browser would and streams the file from disk as one multipart request. Meanwhile the server's resident memory
is read from /proc every 20 ms. Exits non-zero when the memory grows by 30 MB or more, or when the stored file is
not byte for byte the one sent.

    .venv/bin/python scripts/bench/upload.py
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
PORTAL = ROOT / ".venv" / "bin" / "portal"
MB = 1024 * 1024
BIG_MB, REFERENCE_MB = 200, 2
LIMIT_MB = 30  # the goal of issue 4: the server grows by less than this, whatever the file's size
SAMPLE_EVERY = 0.020
EMAIL, PASSWORD = "bench@asso-exemple.fr", "une phrase de passe solide"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

# Run through the app in the instance's environment: a user, their organisation, an open call with a 300 Mo PDF
# slot « rapport », and a draft application. Prints the application's id.
PREPARE = textwrap.dedent("""
    import datetime as dt, hashlib, json, uuid
    from portal import create_app
    from portal.accounts import auth, organisations
    from portal.applications import drafts
    from portal.catalog import services
    from portal.catalog.queries import get_call
    from portal.catalog.schema import CallSpec
    from portal.core import time
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        today = time.today_paris()
        spec = CallSpec.model_validate({
            "id": str(uuid.uuid4()), "kind": "AAP", "title": "Banc d'essai des dépôts volumineux",
            "summary": "Un appel ouvert aujourd'hui pour mesurer le dépôt d'un gros fichier.",
            "issuer": {"body": "Département du Pas-de-Calais"}, "themes": ["essai"],
            "territories": [{"name": "Pas-de-Calais", "code": "DEP-62"}],
            "carriers": {"types": ["association"]},
            "windows": [{"key": "unique", "opens_on": str(today - dt.timedelta(days=1)),
                         "closes_on": str(today + dt.timedelta(days=30))}],
            "required_documents": [{"key": "rapport", "label": "Rapport", "formats": ["pdf"], "max_size_mb": 300}],
        })
        body = "## Contexte\\n\\nUn texte d'appel suffisant."
        digest = hashlib.sha256(f"{spec.model_dump_json()}{body}".encode()).hexdigest()
        services.publish("banc-essai", spec, body, digest, time.now())
        db.session.commit()
        call = get_call("banc-essai")
        user = auth.create_confirmed_user(EMAIL, "Claire Banc", PASSWORD)
        db.session.commit()
        organisation = organisations.create_organisation(organisations.Identity(
            legal_name="Association Banc d'Essai", legal_form="association", address="12 rue des Tilleuls",
            postcode="62000", city="Arras", representative_name="Jeanne Leroy", representative_role="Présidente",
            rna="W751515517"), by=user)
        application, _ = drafts.start(call.windows[0], organisation, user, time.now())
        db.session.commit()
        print(json.dumps({"application_id": str(application.id)}))
""")

# The current file of the slot, as the database recorded it.
STORED = textwrap.dedent("""
    import json, uuid
    from sqlalchemy import select
    from portal import create_app
    from portal.applications.models import ApplicationFile
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        row = db.session.scalars(select(ApplicationFile).where(
            ApplicationFile.application_id == uuid.UUID(APPLICATION_ID), ApplicationFile.slot == "rapport",
            ApplicationFile.removed_at.is_(None))).one()
        print(json.dumps({"key": row.storage_key, "sha256": row.sha256, "size": row.size}))
""")


@dataclass
class Measure:
    label: str
    size: int
    baseline_kb: int
    peak_kb: int
    seconds: float
    samples: int

    @property
    def growth_mb(self) -> float:
        return max(self.peak_kb - self.baseline_kb, 0) / 1024


# ---- the instance and its server ---------------------------------------------------------------------------------

def instance_env(folder: Path) -> dict[str, str]:
    (folder / "calls").mkdir()
    (folder / "spool").mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_"))}
    env.update({
        "PORTAL_INSTANCE_DIR": str(folder / "instance"),
        "PORTAL_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
        "PORTAL_CALLS_DIR": str(folder / "calls"),
        "PORTAL_SECRET_KEY": uuid.uuid4().hex,
        "TMPDIR": str(folder / "spool"),  # where Werkzeug spools request bodies: cleaned up with the rest
        "FLASK_DEBUG": "0",
    })
    return env


def run_in_app(snippet: str, env: dict[str, str], **values: str) -> dict:
    constants = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    done = subprocess.run([PYTHON, "-c", constants + snippet], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"snippet failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as output:
        server = subprocess.Popen([PYTHON, "-m", "flask", "--app", "portal", "run", "--host", "127.0.0.1",
                                   "--port", str(port), "--no-reload", "--no-debugger", "--with-threads"],
                                  env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/compte/connexion", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer within 60 s:\n{log.read_text(errors='replace')}")


# ---- memory of the server process --------------------------------------------------------------------------------

def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> bool:
    """Reset VmHWM so that it catches a spike between two samples (proc(5), clear_refs, value 5; Linux ≥ 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler(threading.Thread):
    """Reads the server's VmRSS every 20 ms until stopped; keeps the highest value."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.samples = pid, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            self.samples += 1
            self.stopped.wait(SAMPLE_EVERY)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak_kb


# ---- the browser ---------------------------------------------------------------------------------------------------

class MultipartBody:
    """A multipart/form-data body read from disk as it is sent: fields, the file's header, the file, the trailer.
    With a known length, http.client sends it in blocks without ever holding the file in memory."""

    def __init__(self, fields: dict[str, str], name: str, path: Path, content_type: str) -> None:
        self.boundary = uuid.uuid4().hex
        head = b"".join(f'--{self.boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
                        for key, value in fields.items())
        head += (f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n").encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(head) + path.stat().st_size + len(tail)
        self.file = open(path, "rb")  # noqa: SIM115 (closed by close(), after the request)
        self.parts = [head, self.file, tail]

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else 1024 * 1024
        while self.parts:
            part = self.parts[0]
            if isinstance(part, bytes):
                chunk, rest = part[:size], part[size:]
                self.parts[0] = rest
                if not rest:
                    self.parts.pop(0)
            else:
                chunk = part.read(size)
                if not chunk:
                    self.parts.pop(0)
            if chunk:
                return chunk
        return b""

    def close(self) -> None:
        self.file.close()


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data=None, headers: dict[str, str] | None = None, timeout: float = 120):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.geturl(), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode("utf-8", "replace")

    def csrf(self, path: str) -> str:
        status, _, page = self.open(path)
        match = CSRF.search(page)
        if status != 200 or not match:
            raise SystemExit(f"no form with a CSRF token on {path} (HTTP {status})")
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf("/compte/connexion")
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
        status, url, _ = self.open("/compte/connexion", data=form)
        if status != 200 or "/compte/connexion" in url:
            raise SystemExit(f"sign-in refused (HTTP {status}, {url})")

    def upload(self, application_id: str, slot: str, path: Path) -> tuple[float, dict]:
        """POST the file as the page's upload form does (with its progress header); returns (seconds, answer)."""
        pieces = f"/candidatures/{application_id}/pieces"
        body = MultipartBody({"csrf_token": self.csrf(pieces)}, path.name, path, "application/pdf")
        headers = {"Content-Type": f"multipart/form-data; boundary={body.boundary}",
                   "Content-Length": str(body.length), "X-Upload": "1"}
        started = time.perf_counter()
        try:
            status, _, answer = self.open(f"{pieces}/{slot}", data=body, headers=headers)
        finally:
            body.close()
        seconds = time.perf_counter() - started
        result = json.loads(answer) if answer.lstrip().startswith("{") else {"ok": False, "message": answer[:300]}
        if status != 200 or not result.get("ok"):
            raise SystemExit(f"upload of {path.name} refused (HTTP {status}): {result.get('message')}")
        return seconds, result


# ---- files ---------------------------------------------------------------------------------------------------------

def make_pdf(path: Path, megabytes: int) -> str:
    """A file libmagic calls a PDF (it starts with the header, ends with %%EOF), random inside; returns its SHA-256."""
    digest = hashlib.sha256()
    header, trailer = b"%PDF-1.4\n", b"\n%%EOF\n"
    body = megabytes * MB - len(header) - len(trailer)
    with open(path, "wb") as out:
        for block in (header, *(os.urandom(min(MB, body - offset)) for offset in range(0, body, MB)), trailer):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(MB):
            digest.update(block)
    return digest.hexdigest()


def measured_upload(browser: Browser, pid: int, application_id: str, path: Path, label: str) -> Measure:
    baseline = status_kb(pid, "VmRSS")
    peak_was_reset = reset_peak(pid)
    sampler = Sampler(pid)
    sampler.start()
    try:
        seconds, _ = browser.upload(application_id, "rapport", path)
    finally:
        peak = sampler.stop()
    if peak_was_reset:
        peak = max(peak, status_kb(pid, "VmHWM"))
    return Measure(label, path.stat().st_size, baseline, peak, seconds, sampler.samples)


# ---- the run -------------------------------------------------------------------------------------------------------

def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-upload-"))
    server = None
    try:
        env = instance_env(folder)
        subprocess.run([PORTAL, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        application_id = run_in_app(PREPARE, env, EMAIL=EMAIL, PASSWORD=PASSWORD)["application_id"]
        files = folder / "files"
        files.mkdir()
        warm_up, reference, big = files / "echauffement.pdf", files / "reference-2Mo.pdf", files / "rapport-200Mo.pdf"
        make_pdf(warm_up, 1)
        make_pdf(reference, REFERENCE_MB)
        expected = make_pdf(big, BIG_MB)

        port = free_port()
        server = start_server(env, port, folder / "server.log")
        browser = Browser(f"http://127.0.0.1:{port}")
        browser.sign_in(EMAIL, PASSWORD)
        browser.upload(application_id, "rapport", warm_up)  # imports, libmagic, first thread: not the file's cost

        results = [measured_upload(browser, server.pid, application_id, reference, f"{REFERENCE_MB} MB (reference)"),
                   measured_upload(browser, server.pid, application_id, big, f"{BIG_MB} MB")]
        stored = run_in_app(STORED, env, APPLICATION_ID=application_id)
        on_disk = sha256_of(Path(env["PORTAL_UPLOAD_DIR"]) / stored["key"][:2] / stored["key"])
        hash_ok = on_disk == expected == stored["sha256"] and stored["size"] == big.stat().st_size

        report(results, hash_ok)
        growth = results[-1].growth_mb
        if growth >= LIMIT_MB:
            print(f"\nFAILED: the server grew by {growth:.1f} MB (goal: < {LIMIT_MB} MB).")
        if not hash_ok:
            print(f"\nFAILED: SHA-256 differs (source {expected}, database {stored['sha256']}, disk {on_disk}).")
        return 0 if growth < LIMIT_MB and hash_ok else 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def report(results: list[Measure], hash_ok: bool) -> None:
    print("| file | RSS before (MB) | peak RSS (MB) | growth (MB) | growth / size | time (s) | throughput (MB/s) | RSS samples |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in results:
        print(f"| {m.label} | {m.baseline_kb / 1024:.1f} | {m.peak_kb / 1024:.1f} | {m.growth_mb:.1f} "
              f"| {m.growth_mb * MB / m.size:.1%} | {m.seconds:.2f} | {m.size / MB / m.seconds:.0f} | {m.samples} |")
    print(f"\nStored file's SHA-256 equals the source's: {'yes' if hash_ok else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
