"""The throw-away instance of the closing-hour benchmark (rush.py): its database (a SQLite file, or a PostgreSQL
database created for the run and dropped after), the open call and the N applicants, the gunicorn servers, what the
database and the store hold at the end, and the CPU time the servers used."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from upload import PORTAL, PYTHON, ROOT, free_port, run_in_app, sha256_of

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PASSWORD = "une phrase de passe solide"
SLUG = "rush-de-cloture"
REDIS = "redis://127.0.0.1:6379/1"
POSTGRES_ADMIN = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TICK = os.sysconf("SC_CLK_TCK")

# Five PDF slots of 10 Mo, so that 5 files of 1 to 5 MB are accepted; the questions, declaration and Cerfa budget
# of the application tests (tests/applications/conftest.py), answered in rush_client.ANSWERS.
DOCUMENTS = [{"key": key, "label": label, "formats": ["pdf"], "max_size_mb": 10} for key, label in (
    ("statuts", "Statuts de l'association"), ("cerfa-12156", "Demande de subvention (Cerfa n°12156)"),
    ("budget", "Budget prévisionnel du projet"), ("rapport", "Dernier rapport d'activité"),
    ("comptes", "Derniers comptes approuvés"))]
QUESTIONS = [
    {"key": "objectifs", "label": "Objectifs du projet", "type": "long_text", "max_length": 2000},
    {"key": "menages", "label": "Nombre de ménages accompagnés", "type": "number"},
    {"key": "territoires", "label": "Territoires couverts", "type": "multiple_choice",
     "choices": ["Artois", "Boulonnais", "Lens-Hénin"]},
    {"key": "equipe", "label": "Équipe", "type": "table", "max_rows": 3,
     "columns": [{"key": "fonction", "label": "Fonction"}, {"key": "etp", "label": "ETP", "type": "number"}]},
]
DECLARATIONS = [{"key": "casf", "text": "Je déclare ne pas avoir fait l'objet des condamnations du livre III du CASF."}]

# The open call (windows open since yesterday), other open calls, and N confirmed accounts, each administrator of its organisation.
PREPARE = textwrap.dedent("""
    import datetime as dt, hashlib, json, uuid
    from portal import create_app
    from portal.accounts import auth, organisations, passwords
    from portal.catalog import services
    from portal.catalog.queries import get_call
    from portal.catalog.schema import CallSpec
    from portal.core import time
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        # One hash with the recommended parameters, shared by every account: each sign-in pays the full argon2
        # cost, the set-up does not pay it N times.
        shared = passwords.hash_password(PASSWORD)
        passwords.hash_password = lambda password: shared
        today = time.today_paris()
        spec = CallSpec.model_validate({
            "id": str(uuid.uuid4()), "kind": "AAP", "title": "Rush de clôture : équipes mobiles de prévention",
            "summary": "Un appel ouvert dont la date limite approche, pour mesurer le dernier jour.",
            "issuer": {"body": "Département du Pas-de-Calais"}, "themes": ["prévention des expulsions"],
            "territories": [{"name": "Pas-de-Calais", "code": "DEP-62"}],
            "carriers": {"types": ["association"]},
            "windows": [{"key": "unique", "opens_on": str(today - dt.timedelta(days=1)),
                         "closes_on": str(today + dt.timedelta(days=30))}],
            "required_documents": DOCUMENTS, "questions": QUESTIONS, "declarations": DECLARATIONS,
        })
        body = "## Contexte\\n\\nUn texte d'appel suffisant pour un appel de banc d'essai."
        digest = hashlib.sha256(f"{spec.model_dump_json()}{body}".encode()).hexdigest()
        services.publish(SLUG, spec, body, digest, time.now())
        # Other open calls, so that the catalogue lists as many as a Département publishes at once.
        themes = ["logement", "insertion", "jeunesse", "culture", "sport", "santé", "mobilité", "numérique"]
        for number in range(1, CALLS):
            other = spec.model_dump(mode="json") | {
                "id": str(uuid.uuid4()), "title": f"Appel à projets n°{number} : {themes[number % 8]} et territoires",
                "themes": [themes[number % 8]], "windows": [{"key": "unique", "opens_on": str(today),
                "closes_on": str(today + dt.timedelta(days=7 + number))}]}
            other_spec = CallSpec.model_validate(other)
            services.publish(f"appel-{number:02d}", other_spec, body,
                             hashlib.sha256(f"{other_spec.model_dump_json()}{body}".encode()).hexdigest(), time.now())
        db.session.commit()
        for index, email in enumerate(EMAILS):
            user = auth.create_confirmed_user(email, f"Candidate {index:04d}", PASSWORD)
            organisations.create_organisation(organisations.Identity(
                legal_name=f"Association du Rush {index:04d}", legal_form="association",
                address="12 rue des Tilleuls", postcode="62000", city="Arras", representative_name="Jeanne Leroy",
                representative_role="Présidente", rna=f"W62{index:07d}"), by=user)
        db.session.commit()  # services flush; the script, like a command, commits
        print(json.dumps({"window_id": get_call(SLUG).windows[0].id}))
""")

# Everything the verification compares with what the clients were told.
INVENTORY = textwrap.dedent("""
    import json
    from sqlalchemy import select
    from portal import create_app
    from portal.applications.models import Application, ApplicationFile, Version
    from portal.extensions import db

    app = create_app()
    with app.app_context():
        print(json.dumps({
            "applications": [{"id": str(a.id), "number": a.number, "status": a.status}
                             for a in db.session.scalars(select(Application))],
            "versions": [{"application_id": str(v.application_id), "number": v.number, "files": v.snapshot["files"]}
                         for v in db.session.scalars(select(Version))],
            "files": {str(f.id): {"key": f.storage_key, "sha256": f.sha256, "size": f.size}
                      for f in db.session.scalars(select(ApplicationFile))},
        }))
""")


def emails(instance: Instance, count: int) -> list[str]:
    # Addresses of this run only: the per-account sign-in limit, kept in Redis for 15 minutes, would otherwise
    # refuse the same accounts after five runs.
    return [f"rush-{instance.run}-{index:04d}@asso-exemple.fr" for index in range(count)]


# ---- the instance --------------------------------------------------------------------------------------------------

@dataclass
class Instance:
    folder: Path
    env: dict[str, str]
    database: str  # "sqlite" or the PostgreSQL database's name
    window_id: int = 0
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def uploads(self) -> Path:
        return Path(self.env["PORTAL_UPLOAD_DIR"])


def create(folder: Path, postgres: bool, applicants: int, calls: int) -> Instance:
    for name in ("calls", "spool", "uploads"):
        (folder / name).mkdir()
    database = f"portal_bench_rush_{os.getpid()}" if postgres else "sqlite"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_"))}
    env.update({
        "PORTAL_INSTANCE_DIR": str(folder / "instance"),
        "PORTAL_DATABASE_URL": (_postgres_url(database) if postgres else f"sqlite:///{folder / 'bench.db'}"),
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"),  # one store, shared by every server of the run
        "PORTAL_CALLS_DIR": str(ROOT / "calls"),  # the shipped calls, closed: the catalogue's archives
        "PORTAL_SECRET_KEY": uuid.uuid4().hex,  # shared too: a session opened on one server is valid on the other
        "PORTAL_RATELIMIT_STORAGE": REDIS if postgres else "memory://",
        # As behind nginx: each client sends the address nginx would forward (X-Forwarded-For), so the sign-in
        # limits per address and per account apply with their production values, one address per applicant.
        "PORTAL_PROXY_COUNT": "1",
        "PORTAL_SMTP_URL": "smtp://127.0.0.1:9",  # receipts wait in the outbox: nothing here sends them
        "TMPDIR": str(folder / "spool"),  # where request bodies are spooled: removed with the rest
        "FLASK_DEBUG": "0",
    })
    instance = Instance(folder, env, database)
    try:
        if postgres:
            _postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
        subprocess.run([PORTAL, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([PORTAL, "calls", "sync"], env=env, cwd=ROOT, check=True, capture_output=True)
        instance.window_id = run_in_app(PREPARE, env, PASSWORD=PASSWORD, SLUG=SLUG, DOCUMENTS=DOCUMENTS,
                                        QUESTIONS=QUESTIONS, DECLARATIONS=DECLARATIONS, CALLS=calls,
                                        EMAILS=emails(instance, applicants))["window_id"]
    except BaseException:
        destroy(instance)
        raise
    return instance


def destroy(instance: Instance) -> None:
    if instance.database != "sqlite":
        _postgres(f'DROP DATABASE IF EXISTS "{instance.database}" WITH (FORCE)')
    shutil.rmtree(instance.folder, ignore_errors=True)


def _postgres_url(database: str) -> str:
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def _postgres(*statements: str) -> None:
    import psycopg

    if "bench" not in statements[-1]:
        raise SystemExit("refusing to touch a PostgreSQL database without « bench » in its name")
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]


def inventory(instance: Instance) -> dict:
    """What the database holds, with each stored file's SHA-256 computed again from the store."""
    held = run_in_app(INVENTORY, instance.env)
    for row in held["files"].values():
        path = instance.uploads / row["key"][:2] / row["key"]
        row["stored_sha256"] = sha256_of(path) if path.exists() else None
    return held


# ---- servers -------------------------------------------------------------------------------------------------------

@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path


def start_servers(instance: Instance, count: int, workers: int | None, threads: int | None) -> list[Server]:
    """gunicorn with the repository's production settings (portal/gunicorn_conf.py), on free loopback ports."""
    servers = []
    try:
        for number in range(count):
            port = free_port()
            log = instance.folder / f"server-{number + 1}.log"
            env = {**instance.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": str(log) + ".access",
                   **({"WEB_CONCURRENCY": str(workers)} if workers else {}),
                   **({"GUNICORN_THREADS": str(threads)} if threads else {})}
            with open(log, "wb") as output:
                process = subprocess.Popen([GUNICORN, "-c", "python:portal.gunicorn_conf"], env=env, cwd=ROOT,
                                           stdout=output, stderr=subprocess.STDOUT)
            servers.append(Server(port, process, log))
        for server in servers:
            _wait_ready(server)
    except BaseException:
        stop_servers(servers)
        raise
    return servers


def settings(instance: Instance, workers: int | None, threads: int | None) -> str:
    """« 5 worker(s) × 4 threads »: what portal/gunicorn_conf.py makes of these settings on this machine."""
    env = {**instance.env, **({"WEB_CONCURRENCY": str(workers)} if workers else {}),
           **({"GUNICORN_THREADS": str(threads)} if threads else {})}
    done = subprocess.run([PYTHON, "-c", "from portal import gunicorn_conf as c; print(c.workers, c.threads)"],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    found_workers, found_threads = done.stdout.split()
    return f"{found_workers} worker(s) × {found_threads} threads"


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{server.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/compte/connexion", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer within 60 s:\n{server.log.read_text(errors='replace')}")


def stop_servers(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def tracebacks(servers: list[Server]) -> int:
    return sum(server.log.read_text(errors="replace").count("Traceback") for server in servers)


# ---- CPU -----------------------------------------------------------------------------------------------------------

def _process_tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def servers_cpu_seconds(servers: list[Server]) -> float:
    """User + system time of the gunicorn masters and workers so far (proc(5), fields 14 to 17)."""
    total = 0
    for server in servers:
        for pid in _process_tree(server.process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(value) for value in fields[11:15])  # with the workers gunicorn replaced and reaped
    return total / TICK


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK, sum(values[:8]) / TICK

