"""Benchmark, not a test: where the server's CPU goes in one complete deposit (issue 18).

Builds the throw-away instance of rush.py (SQLite, production argon2, the open call with five PDF slots), then
drives the 17 requests of rush_client.apply in this process through Flask's test client, N applicants one after
the other, and measures the CPU time of each request (time.process_time, one thread). Prints the CPU per request
kind (median and total over the applicants after the first, whose requests also compile templates), the CPU per
complete deposit, and with --profile the hottest functions of each kind (pyinstrument, or cProfile on CPU time with
--cprofile; profiling inflates the figures, so read its proportions, not its milliseconds).

    .venv/bin/python scripts/bench/deposit_profile.py --applicants 10                  # CPU per request kind
    .venv/bin/python scripts/bench/deposit_profile.py --applicants 10 --profile        # pyinstrument, per kind
    .venv/bin/python scripts/bench/deposit_profile.py --cprofile --only '*' --sort tottime   # all but sign-in
    .venv/bin/python scripts/bench/deposit_profile.py --applicants 3 --queries         # the SQL of each request

The test client does not parse HTTP or spool the request body from a socket as gunicorn does: rush.py gives the
figure of the whole server; this script says which part of the application costs what.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import rush_client as client
import rush_instance as instance
from upload import CSRF


class Driver:
    """A browser in the test client: each request's CPU time recorded under its kind, optionally profiled."""

    def __init__(self, app, profile: str | None) -> None:
        self.client = app.test_client()
        self.cpu: dict[str, list[float]] = collections.defaultdict(list)
        self.profile = profile
        self.profilers: dict[str, object] = {}
        self.statements: list[str] = []
        self.queries: dict[str, int] = {}
        self.show_queries = False
        self.address = f"10.9.{random.randrange(256)}.{random.randrange(1, 255)}"

    def request(self, kind: str, method: str, path: str, **kwargs):
        kwargs.setdefault("headers", {})["X-Forwarded-For"] = self.address
        profiler = self._profiler(kind)
        if profiler is not None:
            profiler.enable() if self.profile == "cprofile" else profiler.start()
        before = len(self.statements)
        started = time.process_time()
        response = self.client.open(path, method=method, **kwargs)
        response.get_data()
        self.cpu[kind].append(time.process_time() - started)
        self.queries[kind] = self.queries.get(kind, 0) + len(self.statements) - before
        if self.show_queries:
            print(f"--- {kind} {path}: {len(self.statements) - before} statements")
            print("\n".join(self.statements[before:]))
        if profiler is not None:
            profiler.disable() if self.profile == "cprofile" else profiler.stop()
        return response

    def _profiler(self, kind: str):
        if self.profile is None:
            return None
        if kind not in self.profilers:
            if self.profile == "cprofile":
                self.profilers[kind] = cProfile.Profile(time.process_time)  # CPU, not waiting on fsync
            else:
                from pyinstrument import Profiler

                self.profilers[kind] = Profiler(interval=0.0005)
        return self.profilers[kind]

    def form(self, kind: str, path: str) -> tuple[str, str]:
        response = self.request(kind, "GET", path)
        text = response.get_data(as_text=True)
        token = CSRF.search(text)
        if response.status_code != 200 or token is None:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}, no form")
        return text, token.group(1)


def deposit(driver: Driver, email: str, pool: client.Pool, files: list[client.PlannedFile], window_id: int) -> str:
    """rush_client.apply through the test client; returns the application number the receipt page shows."""
    _, token = driver.form("GET sign-in page", "/compte/connexion")
    answer = driver.request("POST sign-in", "POST", "/compte/connexion",
                            data={"csrf_token": token, "email": email, "password": instance.PASSWORD})
    assert answer.status_code == 302, answer.status_code
    page, token = driver.form("GET call page", f"/appels/{instance.SLUG}/")
    organisation = client.ORGANISATION.search(page).group(1)
    answer = driver.request("POST start", "POST", "/candidatures/nouvelle",
                            data={"csrf_token": token, "window_id": window_id, "organisation_id": organisation})
    url = "/" + answer.headers["Location"].split("/", 3)[3] if "://" in answer.headers["Location"] else \
        answer.headers["Location"]
    _, token = driver.form("GET answers form", f"{url}formulaire")
    answer = driver.request("POST answers", "POST", f"{url}formulaire", data={"csrf_token": token, **client.ANSWERS})
    assert answer.status_code == 302, answer.status_code
    _, token = driver.form("GET documents page", f"{url}pieces")
    for planned in files:
        body = b"".join(bytes(part) for part in planned.parts(pool))
        answer = driver.request("POST upload", "POST", f"{url}pieces/{planned.slot}", headers={"X-Upload": "1"},
                                data={"csrf_token": token, "file": (io.BytesIO(body), planned.name,
                                                                    "application/pdf")})
        assert answer.status_code == 200 and json.loads(answer.get_data())["ok"], answer.get_data()[:300]
    _, token = driver.form("GET summary", f"{url}deposer")
    answer = driver.request("POST deposit", "POST", f"{url}deposer", data={"csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    receipt = driver.request("GET receipt page", "GET", answer.headers["Location"]).get_data(as_text=True)
    return client.NUMBER.search(receipt).group(1)


def report(driver: Driver, applicants: int) -> None:
    print(f"CPU per request kind, {applicants - 1} applicants after the first (ms; time.process_time)\n")
    print("| request | count per deposit | median (ms) | per deposit (ms) | first applicant (ms) |")
    print("|---|---:|---:|---:|---:|")
    total = first_total = 0.0
    for kind, values in driver.cpu.items():
        per = len(values) // applicants
        rest = values[per:]
        per_deposit = sum(rest) / (applicants - 1) * 1000
        first = sum(values[:per]) * 1000
        total, first_total = total + per_deposit, first_total + first
        print(f"| {kind} | {per} | {statistics.median(rest) * 1000:.1f} | {per_deposit:.1f} | {first:.1f} |")
    print(f"| **complete deposit** | 17 | | **{total:.0f}** | {first_total:.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="pyinstrument tree per request kind")
    parser.add_argument("--cprofile", action="store_true", help="cProfile's top functions per request kind")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order: cumulative or tottime")
    parser.add_argument("--only", help="profile only the request kinds containing this text")
    parser.add_argument("--queries", action="store_true", help="the SQL statements of the last applicant, by kind")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-profile-"))
    made = None
    try:
        made = instance.create(folder, False, options.applicants, 20)
        os.environ.update(made.env)
        from portal import create_app

        app = create_app()
        statements: list[str] = []
        if options.queries:
            from sqlalchemy import event

            from portal.extensions import db

            with app.app_context():
                event.listen(db.engine, "before_cursor_execute",
                             lambda conn, cursor, sql, *rest: statements.append(" ".join(sql.split())[:150]))
        rng, pool = random.Random(options.seed), client.Pool(32, options.seed)
        profile = "cprofile" if options.cprofile else "pyinstrument" if options.profile else None
        drivers = []
        for email in instance.emails(made, options.applicants):
            driver = Driver(app, profile if drivers else None)  # the first warms up, unprofiled
            driver.cpu = drivers[0].cpu if drivers else driver.cpu
            if drivers:
                driver.profilers = drivers[-1].profilers
            driver.statements = statements
            driver.show_queries = options.queries and len(drivers) == options.applicants - 1
            deposit(driver, email, pool, client.plan_files(pool, rng, 1, 5), made.window_id)
            drivers.append(driver)
        report(drivers[0], options.applicants)
        if profile == "cprofile" and options.only == "*":  # every kind but sign-in's argon2, in one table
            stats = pstats.Stats(*[p for k, p in drivers[-1].profilers.items() if k != "POST sign-in"],
                                 stream=sys.stdout)
            stats.sort_stats(options.sort).print_stats(120)
            return 0
        for kind, profiler in drivers[-1].profilers.items():
            if options.only and options.only not in kind:
                continue
            print(f"\n## {kind}\n")
            if profile == "cprofile":
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats(options.sort).print_stats(35)
            else:
                print(profiler.output_text(unicode=True, show_all=False))
        return 0
    finally:
        if made is not None:
            instance.destroy(made)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
