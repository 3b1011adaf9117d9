"""Benchmark, not a test: the closing hour of a call on loopback (issue 7).

N organisations each sign in, click « Candidater », save their draft answers, upload 5 PDFs of 1 to 5 MB and
deposit, all within the same minute or so, while visitors read the catalogue and the call. Then what every client
was told (its application number, the receipt's SHA-256 of each file) is compared with what the database holds and
with the files in the store, hashed again. Last, the catalogue's throughput under 16 concurrent readers, against
the same page's bytes served as a static file by the same servers in the same run.

    .venv/bin/python scripts/bench/rush.py --clients 50                  # SQLite, one gunicorn process
    .venv/bin/python scripts/bench/rush.py --clients 50 --postgres       # PostgreSQL, two gunicorn servers

Exits non-zero unless every client got its receipt and everything it was told is in the database and the store:
any lost or duplicated submission, server error (5xx), timeout, broken connection or refusal fails the run, for
the visitors and the throughput readers too.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import rush_client as client
import rush_instance as instance
from upload import ROOT

STATIC = ROOT / "static"
STEPS = ("sign-in", "start", "save", "upload", "submit", "receipt page", "page", "catalogue", "call page")
STEP_LABELS = {"page": "form pages (GET)", "receipt page": "receipt page (GET)"}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="organisations depositing (N)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL and two gunicorn servers")
    parser.add_argument("--ramp", type=float, default=60, help="seconds over which the clients start")
    parser.add_argument("--visitors", type=int, default=4, help="threads reading the catalogue during the rush")
    parser.add_argument("--visitor-pause", type=float, default=0.25, help="seconds between two visitor pages")
    parser.add_argument("--workers", type=int, help="gunicorn workers per server (default: 1 on SQLite, "
                        "portal/gunicorn_conf.py's on PostgreSQL)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: portal/gunicorn_conf.py's)")
    parser.add_argument("--timeout", type=float, default=120, help="client timeout per request, seconds")
    parser.add_argument("--smallest-mb", type=float, default=1)
    parser.add_argument("--largest-mb", type=float, default=5)
    parser.add_argument("--calls", type=int, default=20, help="open calls in the catalogue")
    parser.add_argument("--readers", type=int, default=16, help="threads of the catalogue throughput phase")
    parser.add_argument("--read-seconds", type=float, default=15, help="per address; 0 skips the phase")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def main() -> int:
    options = arguments()
    if options.workers is None and not options.postgres:
        options.workers = 1  # the first set-up: one server process
    needed = options.clients * 5 * options.largest_mb * 1.1 + 500
    free = shutil.disk_usage(tempfile.gettempdir()).free / client.MB
    if free < needed:
        raise SystemExit(f"not enough disk in {tempfile.gettempdir()}: {free:.0f} MB free, up to {needed:.0f} needed")
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-rush-"))
    static_copy = STATIC / f"bench-rush-{uuid.uuid4().hex}.html"
    servers, made = [], None
    try:
        started = time.monotonic()
        made = instance.create(folder, options.postgres, options.clients, options.calls)
        describe_machine(options, instance.settings(made, options.workers, options.threads))
        rng = random.Random(options.seed)
        pool = client.Pool(64, options.seed)
        applicants = [client.Applicant(email, instance.PASSWORD,
                                       client.plan_files(pool, rng, options.smallest_mb, options.largest_mb))
                      for email in instance.emails(made, options.clients)]
        servers = instance.start_servers(made, 2 if options.postgres else 1, options.workers, options.threads)
        print(f"Set-up (database, {options.clients} accounts, servers): {time.monotonic() - started:.0f} s\n")

        recorder, cpu = rush(options, made, servers, applicants, pool)
        held = instance.inventory(made)
        outcome = verify(applicants, held)
        report_rush(options, applicants, recorder, outcome, cpu, instance.tracebacks(servers))
        # Visitors and readers do not stop at a failure, but a server error or a timeout on their side fails too.
        readers_failed = throughput(options, servers, static_copy) if options.read_seconds > 0 else 0
        visitors_failed = len(recorder.failures) - sum(1 for a in applicants if a.failure)
        failed = (outcome["lost"] or outcome["duplicated"] or outcome["by kind"] or outcome["accepted"]
                  < options.clients or visitors_failed or readers_failed)
        if failed:
            print("\nFAILED: not every client got its receipt with everything it sent safely held (see above).")
        return 1 if failed else 0
    finally:
        static_copy.unlink(missing_ok=True)
        instance.stop_servers(servers)
        if made is not None:
            instance.destroy(made)
        shutil.rmtree(folder, ignore_errors=True)


def describe_machine(options: argparse.Namespace, gunicorn: str) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()
    database = (f"PostgreSQL {instance.postgres_version()}, two gunicorn servers" if options.postgres
                else f"SQLite {sqlite3.sqlite_version}, one gunicorn server")
    print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, "
          f"{memory[1].split()[1] if len(memory) > 1 else '?'} memory, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; load average {' '.join(load)} before the run")
    print(f"Set-up: {database} (gunicorn gthread, portal/gunicorn_conf.py, {gunicorn} each); "
          f"{options.clients} clients started over {options.ramp:.0f} s; {options.visitors} visitors "
          f"({options.visitor_pause} s between pages); files of {options.smallest_mb}–{options.largest_mb} MB\n")


# ---- the rush ------------------------------------------------------------------------------------------------------

def rush(options, made, servers, applicants, pool):
    recorder = client.Recorder()
    ports = [server.port for server in servers]
    stop = threading.Event()
    visitors = [threading.Thread(target=client.visit, daemon=True, args=(
        client.Browser(ports, index, options.timeout, recorder), instance.SLUG, options.visitor_pause, stop))
        for index in range(options.visitors)]
    begin = time.monotonic() + 0.5
    spacing = options.ramp / max(len(applicants) - 1, 1)
    workers = [threading.Thread(target=client.run_applicant, daemon=True, args=(
        client.Browser(ports, index, options.timeout, recorder), applicant, instance.SLUG, made.window_id, pool,
        begin + index * spacing)) for index, applicant in enumerate(applicants)]
    before = _cpu(servers)
    for thread in visitors + workers:
        thread.start()
    for thread in workers:
        thread.join()
    stop.set()
    for thread in visitors:
        thread.join()
    return recorder, _cpu_used(before, _cpu(servers))


def _cpu(servers) -> tuple[float, float, float, float, float]:
    busy, total = instance.machine_cpu_seconds()
    return time.monotonic(), time.process_time(), instance.servers_cpu_seconds(servers), busy, total


def _cpu_used(before, after) -> dict:
    wall = after[0] - before[0]
    cores = (after[4] - before[4]) / wall
    return {"wall": wall, "servers seconds": after[2] - before[2], "client": (after[1] - before[1]) / wall / cores,
            "servers": (after[2] - before[2]) / wall / cores, "machine": (after[3] - before[3]) / wall / cores}


# ---- verification --------------------------------------------------------------------------------------------------

def verify(applicants: list[client.Applicant], held: dict) -> dict:
    """Compare each client's receipt with the database and the store, file by file, hash by hash."""
    applications = {row["id"]: row for row in held["applications"]}
    first_versions = {row["application_id"]: row for row in held["versions"] if row["number"] == 1}
    lost, problems = 0, []
    for applicant in applicants:
        if not applicant.told_ok:
            continue
        sent = sorted(f.sha256 for f in applicant.files)
        row = applications.get(applicant.application_id)
        version = first_versions.get(applicant.application_id)
        reasons = []
        if sorted(applicant.receipt_hashes) != sent:
            reasons.append("the receipt's hashes are not the files sent")
        if row is None or row["status"] != "submitted" or row["number"] != applicant.number:
            reasons.append(f"database: {row and (row['status'], row['number'])} instead of submitted "
                           f"{applicant.number}")
        if version is None or sorted(f["sha256"] for f in version["files"]) != sent:
            reasons.append("version 1 does not list the files sent")
        else:
            for entry in version["files"]:
                stored = held["files"].get(entry["id"])
                if stored is None or stored["sha256"] != entry["sha256"] or stored["stored_sha256"] != entry["sha256"]:
                    reasons.append(f"file {entry['name']}: database or store disagree with the receipt")
        if reasons:
            lost += 1
            problems.append(f"{applicant.email}: {'; '.join(reasons)}")
    # A number is duplicated when two clients were told it, or when the database holds it twice.
    told_numbers = collections.Counter(a.number for a in applicants if a.told_ok)
    held_numbers = collections.Counter(row["number"] for row in held["applications"] if row["number"])
    duplicated = len({number for counter in (told_numbers, held_numbers)
                      for number, count in counter.items() if count > 1})
    told = {a.application_id for a in applicants if a.told_ok}
    silent = sum(1 for row in held["applications"] if row["status"] == "submitted" and row["id"] not in told)
    for problem in problems[:10]:
        print(f"LOST: {problem}")
    kinds = collections.Counter(a.failure.kind for a in applicants if a.failure)
    return {"accepted": sum(a.told_ok for a in applicants), "lost": lost, "duplicated": duplicated,
            "silent": silent, "by kind": dict(kinds),
            "files": sum(len(a.files) for a in applicants if a.told_ok) - sum("file " in p for p in problems),
            "submitted in database": sum(row["status"] == "submitted" for row in held["applications"])}


# ---- report --------------------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def report_rush(options, applicants, recorder, outcome, cpu, tracebacks) -> None:
    kinds = outcome["by kind"]
    print("| clients | receipts (accepted) | submitted in database | files checked (database + store) | lost "
          "| duplicated numbers | HTTP 5xx | timeouts | connection errors | refusals | deposited without the "
          "client knowing | server tracebacks |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {options.clients} | {outcome['accepted']} | {outcome['submitted in database']} | {outcome['files']} "
          f"| {outcome['lost']} | {outcome['duplicated']} | {kinds.get('5xx', 0)} | {kinds.get('timeout', 0)} "
          f"| {kinds.get('connection', 0)} | {kinds.get('refused', 0)} | {outcome['silent']} | {tracebacks} |")
    failures = [a.failure for a in applicants if a.failure]
    for failure in failures[:5]:
        print(f"\nClient failure: {failure}")
    visitor_failures = collections.Counter(f.kind for f in recorder.failures) - collections.Counter(
        f.kind for f in failures)
    visited = sum(1 for sample in recorder.samples if sample.step in ("catalogue", "call page"))
    print(f"\nRush: {cpu['wall']:.0f} s from the first client to the last receipt; CPU of the 2 cores: machine "
          f"{cpu['machine']:.0%}, servers {cpu['servers']:.0%}, this client {cpu['client']:.0%} (the rest: the "
          f"database server, other work on the machine); servers' CPU time per receipt: "
          f"{cpu['servers seconds'] / max(outcome['accepted'], 1):.2f} s, with the {visited} pages the visitors read "
          f"meanwhile (--visitors 0: the deposits alone); visitor failures: {dict(visitor_failures) or 0}\n")
    print("| step | requests | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | non-2xx/3xx |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    by_step = collections.defaultdict(list)
    for sample in recorder.samples:
        by_step[sample.step].append(sample)
    for step in STEPS:
        samples = by_step.get(step)
        if not samples:
            continue
        seconds = [s.seconds * 1000 for s in samples]
        odd = sum(1 for s in samples if not 200 <= s.status < 400)
        print(f"| {STEP_LABELS.get(step, step)} | {len(samples)} | {percentile(seconds, 0.50):.0f} "
              f"| {percentile(seconds, 0.95):.0f} | {percentile(seconds, 0.99):.0f} | {max(seconds):.0f} | {odd} |")


def throughput(options, servers, static_copy: Path) -> int:
    """The catalogue against its own bytes as a static file, alternately in 3 rounds, by the same servers."""
    ports = [server.port for server in servers]
    probe = client.Browser(ports, 0, options.timeout, client.Recorder())
    static_copy.write_text(probe.request("catalogue", "GET", "/appels/").text, encoding="utf-8")
    addresses = {"catalogue": "/appels/", "static copy": f"/static/{static_copy.name}"}
    recorders = {step: client.Recorder() for step in addresses}
    used = {step: collections.defaultdict(float) for step in addresses}
    for _ in range(3):
        for step, path in addresses.items():
            until = time.monotonic() + options.read_seconds / 3
            threads = [threading.Thread(target=client.hammer, args=(
                client.Browser(ports, index, options.timeout, recorders[step]), step, path, until))
                for index in range(options.readers)]
            before = _cpu(servers)
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            spent = _cpu_used(before, _cpu(servers))
            for key in ("servers", "client"):
                used[step][key] += spent[key] * spent["wall"]
            used[step]["wall"] += spent["wall"]
    print(f"\nCatalogue throughput: {options.readers} threads, {options.read_seconds:.0f} s per address in 3 "
          f"alternating rounds, page of {static_copy.stat().st_size / 1024:.0f} KB\n")
    print("| address | requests/s | p50 (ms) | p99 (ms) | failures | servers' CPU | client's CPU | ratio (req/s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rates = {step: len(recorders[step].samples) / used[step]["wall"] for step in addresses}
    for step in addresses:
        seconds = [s.seconds * 1000 for s in recorders[step].samples]
        share = {key: used[step][key] / used[step]["wall"] for key in ("servers", "client")}
        print(f"| `{addresses[step] if step == 'catalogue' else '/static/<copy>.html'}` ({step}) "
              f"| {rates[step]:.0f} | {percentile(seconds, 0.5):.1f} | {percentile(seconds, 0.99):.1f} "
              f"| {len(recorders[step].failures)} | {share['servers']:.0%} | {share['client']:.0%} "
              f"| {rates[step] / rates['static copy']:.2f} |")
    return sum(len(recorder.failures) for recorder in recorders.values())


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
