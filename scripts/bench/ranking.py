"""Benchmark, not a test: the ranking of 5,000 applications with 5 reviews of 6 criteria each (issue 5).

Builds the data in a throw-away SQLite file (or in the PostgreSQL database PORTAL_DATABASE_URL names, which must
be a dedicated one with « bench » in its name: every table in it is dropped), then times `ranking.rank()` for a
call manager against a plain SELECT fetching the same 150,000 score rows joined to their reviews, in the same
run, and prints both with their ratio. Exits non-zero when the ranking does not return one row per application
with its five reviews.

    .venv/bin/python scripts/bench/ranking.py
    PORTAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench .venv/bin/python scripts/bench/ranking.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time as clock
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from portal import create_app  # noqa: E402
from portal.accounts.models import Organisation, RoleGrant, User  # noqa: E402
from portal.applications.models import Application  # noqa: E402
from portal.catalog import services  # noqa: E402
from portal.catalog.queries import get_call  # noqa: E402
from portal.catalog.schema import CallSpec  # noqa: E402
from portal.config import Config  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.reviews import ranking, scoring  # noqa: E402
from portal.reviews.models import Assignment, Eligibility, Review, Score  # noqa: E402

APPLICATIONS, REVIEWS_PER_APPLICATION, REVIEWERS = 5_000, 5, 50
RUNS = 7
ISSUER = "Département du Pas-de-Calais"
CRITERIA = [  # six criteria, with the weights and scales a real call uses
    {"key": "qualite", "label": "Qualité de l'accompagnement", "weight": 3, "scale": {"min": 0, "max": 5}},
    {"key": "public", "label": "Public visé", "weight": 2, "scale": {"min": 0, "max": 5}},
    {"key": "partenariat", "label": "Partenariat local", "weight": 1, "scale": {"min": 0, "max": 5}},
    {"key": "budget", "label": "Cohérence du budget", "weight": 1, "scale": {"min": 0, "max": 10}},
    {"key": "evaluation", "label": "Évaluation prévue", "weight": 1, "scale": {"min": 1, "max": 4}},
    {"key": "innovation", "label": "Innovation", "weight": 1, "scale": {"min": 0, "max": 5}, "required": False},
]


def database_url(folder: Path) -> str:
    url = os.environ.get("PORTAL_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if "bench" not in (parsed.database or ""):
            raise SystemExit(f"refusing to drop the tables of « {parsed.database} »: use a database named *bench*")
        server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": parsed.database}):
                connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
        server.dispose()
    return url


def fresh_schema() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(ROOT / "migrations"))


def publish_call(at: dt.datetime):
    spec = CallSpec.model_validate({
        "id": str(uuid.uuid4()), "kind": "AAP", "title": "Banc d'essai du classement des candidatures",
        "summary": "Un appel clos dont 5 000 candidatures ont été évaluées cinq fois.",
        "issuer": {"body": ISSUER}, "themes": ["essai"], "territories": [{"name": "Pas-de-Calais", "code": "DEP-62"}],
        "carriers": {"types": ["association"]},
        "windows": [{"key": "unique", "opens_on": "2025-01-06", "closes_on": "2025-03-31"}],
        "selection_criteria": CRITERIA,
    })
    body = "## Contexte\n\nUn texte d'appel suffisant."
    services.publish("banc-classement", spec, body, hashlib.sha256(body.encode()).hexdigest(), at)
    db.session.commit()
    return get_call("banc-classement")


def build(call, at: dt.datetime) -> User:
    """Every row in a handful of executemany INSERTs; returns the manager who ranks."""
    random.seed(5)
    window = call.windows[0]
    people = [{"email": "gestion@bench.fr", "name": "Gaëlle Gestion"}] + [
        {"email": f"evaluateur{i}@bench.fr", "name": f"Évaluateur {i}"} for i in range(REVIEWERS)]
    db.session.execute(sa.insert(User), [{**p, "password_hash": "!", "created_at": at, "confirmed_at": at}
                                         for p in people])
    ids = dict(db.session.execute(sa.select(User.email, User.id)).all())
    manager_id = ids["gestion@bench.fr"]
    reviewer_ids = [ids[f"evaluateur{i}@bench.fr"] for i in range(REVIEWERS)]
    db.session.execute(sa.insert(RoleGrant), [{"user_id": manager_id, "role": "manager", "issuer": ISSUER,
                                               "granted_at": at}] + [
        {"user_id": r, "role": "reviewer", "call_id": call.uuid, "granted_at": at} for r in reviewer_ids])

    organisations = [uuid.uuid4() for _ in range(APPLICATIONS)]
    db.session.execute(sa.insert(Organisation), [
        {"id": o, "legal_name": f"Association {n:05d}", "legal_form": "association", "address": "1 rue du Banc",
         "postcode": "62000", "city": "Arras", "representative_name": "Jeanne Leroy",
         "representative_role": "Présidente", "created_at": at} for n, o in enumerate(organisations, start=1)])
    applications = [uuid.uuid4() for _ in range(APPLICATIONS)]
    db.session.execute(sa.insert(Application), [
        {"id": a, "call_id": call.id, "window_id": window.id, "organisation_id": o, "status": "submitted",
         "number": f"AAP-2025-{n:05d}", "answers": {}, "revision": 1, "has_pending_changes": False,
         "created_at": at, "updated_at": at, "locked_at": at}
        for n, (a, o) in enumerate(zip(applications, organisations, strict=True), start=1)])
    db.session.execute(sa.insert(Eligibility), [{"application_id": a, "verdict": "eligible", "checklist": {},
                                                 "decided_by_id": manager_id, "decided_at": at} for a in applications])

    # Each reviewer has her own severity; each application its own merit.
    severity = {r: random.uniform(-1.2, 1.2) for r in reviewer_ids}
    criteria = call.spec.selection_criteria
    assignments, reviews, scores = [], [], []
    for index, application in enumerate(applications):
        merit = random.uniform(0.2, 0.8)
        for k in range(REVIEWS_PER_APPLICATION):
            reviewer = reviewer_ids[(index * REVIEWS_PER_APPLICATION + k) % REVIEWERS]
            values = {}
            for c in criteria:
                scale = scoring.scale_of(c)
                raw = scale.min + merit * (scale.max - scale.min) + severity[reviewer] + random.gauss(0, 0.8)
                values[c.key] = max(scale.min, min(scale.max, round(raw)))
            review_id = uuid.uuid4()
            assignments.append({"application_id": application, "reviewer_id": reviewer, "method": "auto",
                                "assigned_by_id": manager_id, "assigned_at": at, "no_conflict_declared_at": at})
            reviews.append({"id": review_id, "application_id": application, "reviewer_id": reviewer,
                            "status": "submitted", "opinion": "favourable", "total": scoring.total(criteria, values),
                            "created_at": at, "updated_at": at, "submitted_at": at})
            scores.extend({"review_id": review_id, "criterion": key, "value": value} for key, value in values.items())
    for table, rows in ((Assignment, assignments), (Review, reviews), (Score, scores)):
        db.session.execute(sa.insert(table), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))  # what autovacuum does soon after a bulk load
    return db.session.get(User, manager_id)


def reference_select() -> int:
    """What a Python loop over the reviews would start from: every score row with its review, fetched."""
    rows = db.session.execute(sa.select(Score.review_id, Score.criterion, Score.value, Review.application_id,
                                        Review.reviewer_id, Review.total)
                              .join(Review, Review.id == Score.review_id)).all()
    return len(rows)


def reference_driver() -> int:
    """The same SELECT, rows as the driver returns them, without SQLAlchemy's type processing."""
    rows = db.session.connection().exec_driver_sql(
        "SELECT s.review_id, s.criterion, s.value, r.application_id, r.reviewer_id, r.total"
        " FROM review_scores s JOIN reviews r ON r.id = s.review_id").all()
    return len(rows)


def timed(function, runs: int) -> tuple[float, list[float], object]:
    function()  # warm-up: compiled statements, caches, settings row
    times, result = [], None
    for _ in range(runs):
        started = clock.perf_counter()
        result = function()
        times.append(clock.perf_counter() - started)
        db.session.rollback()
    return statistics.median(times), times, result


def check(result) -> list[str]:
    problems = []
    if len(result.rows) != APPLICATIONS:
        problems.append(f"{len(result.rows)} rows instead of {APPLICATIONS}")
    incomplete = [r.number for r in result.rows if r.received != REVIEWS_PER_APPLICATION or r.mean is None]
    if incomplete:
        problems.append(f"{len(incomplete)} rows without their {REVIEWS_PER_APPLICATION} reviews")
    if any(r.normalised is None or r.raw_rank is None for r in result.rows):
        problems.append("rows without a rank or a normalised score")
    means = [r.mean for r in result.rows]
    if means != sorted(means, reverse=True):
        problems.append("rows not sorted by mean")
    return problems


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-ranking-"))
    try:
        url = database_url(folder)
        app = create_app(Config({"PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_DIR": str(folder / "instance"),
                                 "PORTAL_SECRET_KEY": uuid.uuid4().hex, "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
                                 "PORTAL_CALLS_DIR": str(folder / "calls")}))
        with app.app_context():
            started = clock.perf_counter()
            fresh_schema()
            at = dt.datetime(2025, 4, 15, 8, 0, tzinfo=dt.UTC)
            call = publish_call(at)
            manager = build(call, at)
            built = clock.perf_counter() - started
            window = call.windows[0]
            counts = {table.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                      for table in (Application, Review, Score)}

            rank_median, rank_times, result = timed(lambda: ranking.rank(call, window, manager), RUNS)
            criterion = f"criterion:{CRITERIA[0]['key']}"
            sorted_median, sorted_times, _ = timed(lambda: ranking.rank(call, window, manager, sort=criterion), RUNS)
            select_median, select_times, fetched = timed(reference_select, RUNS)
            driver_median, driver_times, _ = timed(reference_driver, RUNS)

            name = db.engine.dialect.name
            version = db.session.scalar(sa.text("SELECT sqlite_version()" if name == "sqlite"
                                                else "SHOW server_version"))
            report(name, version, counts, built, fetched, {
                "`rank()` sorted by mean": (rank_median, rank_times, APPLICATIONS),
                "`rank()` sorted by a criterion's average": (sorted_median, sorted_times, APPLICATIONS),
                "plain SELECT of the score rows with their reviews (reference)": (select_median, select_times, fetched),
                "the same SELECT, rows as the driver returns them": (driver_median, driver_times, fetched)},
                select_median)
            problems = check(result)
            if fetched != APPLICATIONS * REVIEWS_PER_APPLICATION * len(CRITERIA):
                problems.append(f"the reference SELECT fetched {fetched} rows")
            if name == "postgresql":
                db.drop_all()
                with db.engine.begin() as connection:
                    connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.remove()
            db.engine.dispose()
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1 if problems else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(name, version, counts, built, fetched, measures: dict, reference: float) -> None:
    print(f"Database: {name} {version}; {counts['applications']} applications, {counts['reviews']} reviews, "
          f"{counts['review_scores']} score rows; built in {built:.1f} s\n")
    print("| query | median (ms) | runs (ms) | rows | ratio to the reference SELECT |")
    print("|---|---:|---|---:|---:|")
    for label, (median, times, rows) in measures.items():
        print(f"| {label} | {median * 1000:.0f} | {' '.join(f'{t * 1000:.0f}' for t in times)} | {rows} "
              f"| {median / reference:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
