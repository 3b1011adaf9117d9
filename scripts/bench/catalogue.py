"""Benchmark, not a test: the public pages against a static file, and the catalogue's cost as it grows (issue 18).

Builds a throw-away instance holding 50, then 500, then 5,000 published calls (the shipped ones and generated ones,
scripts/bench/catalogue_data.py). At each size: page 1 of the default list, a filter, a search and the archives,
200 sequential requests each with the page cache off (p50, p99), and the database time of one request. At the
largest size: `wrk` on each public page (page cache on, as deployed) and on the same bytes as a file under static/,
by the same gunicorn server (portal/gunicorn_conf.py), alternately.

    .venv/bin/python scripts/bench/catalogue.py                         # SQLite, 50 / 500 / 5,000 calls
    .venv/bin/python scripts/bench/catalogue.py --postgres              # PostgreSQL
    .venv/bin/python scripts/bench/catalogue.py --quick --sizes 50      # a smoke run

Exits non-zero on any answer other than 200 (wrk's non-2xx/3xx and socket errors included) and on a server
traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import rush_instance
from upload import PORTAL, ROOT, run_in_app

BENCH = Path(__file__).resolve().parent
STATIC = ROOT / "static"
SHIPPED = "aap-2025-equipes-mobiles-prevention-expulsions"  # a real call's page, the same at every size
# Page 1 of the catalogue as a visitor opens it, and the other public pages of the goal (catalog/views.py,
# api.py, feeds.py). The search and the filter use words and values of the shipped calls.
LISTS = {"default list": "/appels/", "filter": "/appels/?territoire=Artois", "search": "/appels/?q=expulsions",
         "archives": "/appels/?statut=cloture"}
PAGES = {**LISTS, "call page": f"/appels/{SHIPPED}/", "API list": "/api/v1/appels", "Atom feed": "/appels/flux.atom"}
SUFFIX = {"API list": ".json", "Atom feed": ".atom"}
CALL_LINK = re.compile(r'href="/appels/(?!flux|calendrier)[a-z0-9-]+/"')

# Run in the instance's environment (upload.run_in_app): catalogue_data's functions, one JSON line printed.
IN_INSTANCE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, BENCH)
    import catalogue_data
    from portal import create_app

    print(json.dumps(getattr(catalogue_data, FUNCTION)(create_app(), **ARGUMENTS)))
""")


@dataclass
class Instance:  # what rush_instance's server functions need
    folder: Path
    env: dict[str, str]
    database: str


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--sizes", default="50,500,5000", help="published calls, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1 s wrk rounds, 20 requests per page: a smoke run")
    parser.add_argument("--seconds", type=float, default=5, help="per wrk round")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per page and size")
    parser.add_argument("--repeat", type=int, default=20, help="replays of a request's SQL for its database time")
    parser.add_argument("--warm-up", type=float, default=1, help="seconds of wrk, not counted, before each round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--page-cache", help="PORTAL_PAGE_CACHE_URL of the wrk server (default: the portal's; "
                        "e.g. redis://127.0.0.1:6379/3)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: portal/gunicorn_conf.py's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: portal/gunicorn_conf.py's)")
    parser.add_argument("--max-requests", type=int, help="GUNICORN_MAX_REQUESTS (default: portal/gunicorn_conf.py's "
                        "2000; 0 never replaces a worker, nor the page cache it holds in memory)")
    parser.add_argument("--statements", action="store_true", help="also list each SQL read of page 1 at the "
                        "largest size with its median time")
    parser.add_argument("--seed", type=int, default=18)
    options = parser.parse_args()
    options.sizes = sorted({int(size) for size in options.sizes.split(",")})
    if options.quick:
        options.seconds, options.requests, options.repeat = 1, 20, 5
    return options


def main() -> int:
    options = arguments()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-catalogue-"))
    static_folder = STATIC / f"bench-catalogue-{uuid.uuid4().hex}"
    made, servers, failures, latencies, throughput = None, [], [], [], []
    try:
        made = create(folder, options.postgres, options.max_requests)
        gunicorn = rush_instance.settings(made, options.workers, options.threads)  # « 5 worker(s) × 4 threads »
        options.worker_count = int(gunicorn.split()[0])
        print(describe(options, gunicorn))
        published = in_instance(made, "published", {})
        uncached = replace(made, env={**made.env, "PORTAL_PAGE_CACHE_URL": "none"})
        for size in options.sizes:
            if size > published:
                grown = in_instance(made, "grow", {"calls_dir": str(ROOT / "calls"), "first": published,
                                                   "last": size, "seed": options.seed})
                published = grown["total"]
                print(f"{size} calls: published {grown['calls']} generated calls ({grown['all revisions']} "
                      f"revisions in all) in {grown['seconds']:.1f} s, one transaction", flush=True)
            # Page 1 rendered every time: the page cache off (PORTAL_PAGE_CACHE_URL=none, portal/core/page_cache.py).
            servers = rush_instance.start_servers(uncached, 1, options.workers, options.threads)
            latencies.extend(page_one(options, servers[0].port, published, failures))
            failures.extend(stop(servers, f"at {published} calls, page cache off", options.worker_count))
            database = in_instance(uncached, "database_time", {"pages": LISTS, "repeat": options.repeat})
            for row in latencies[-len(LISTS):]:
                row.update(database[row["page"]])
        # The public pages as production serves them: the page cache as configured (in each process by default).
        cached = replace(made, env={**made.env, **({"PORTAL_PAGE_CACHE_URL": options.page_cache}
                                                   if options.page_cache else {})})
        servers = rush_instance.start_servers(cached, 1, options.workers, options.threads)
        settle(servers)
        throughput = against_static(options, servers[0].port, static_folder, failures)
        failures.extend(stop(servers, f"at {published} calls, under wrk", options.worker_count))
        servers = []
        report(options, latencies, throughput)
    finally:
        shutil.rmtree(static_folder, ignore_errors=True)
        rush_instance.stop_servers(servers)
        if made is not None:
            rush_instance.destroy(made)
        shutil.rmtree(folder, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def settle(servers: list, quiet: float = 0.05, longest: float = 60) -> None:
    """Wait until the servers' processes stop computing: the server answers as soon as its first worker is up,
    while the others still compile their templates (portal/gunicorn_conf.post_worker_init), a second of CPU each
    that would otherwise fall into the first wrk rounds."""
    deadline = time.monotonic() + longest
    spent = rush_instance.servers_cpu_seconds(servers)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = rush_instance.servers_cpu_seconds(servers)
        if now - spent < quiet:
            return
        spent = now


def in_instance(made: Instance, function: str, arguments: dict):
    return run_in_app(IN_INSTANCE, made.env, BENCH=str(BENCH), FUNCTION=function, ARGUMENTS=arguments)


def create(folder: Path, postgres: bool, max_requests: int | None) -> Instance:
    """A temporary folder, its database migrated, the shipped calls published."""
    (folder / "spool").mkdir()
    database = f"portal_bench_catalogue_{os.getpid()}" if postgres else "sqlite"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_", "GUNICORN_"))}
    env.update({
        "PORTAL_INSTANCE_DIR": str(folder / "instance"),
        "PORTAL_DATABASE_URL": (rush_instance._postgres_url(database) if postgres
                                else f"sqlite:///{folder / 'bench.db'}"),
        "PORTAL_UPLOAD_DIR": str(folder / "uploads"), "PORTAL_CALLS_DIR": str(ROOT / "calls"),
        "PORTAL_SECRET_KEY": uuid.uuid4().hex, "PORTAL_RATELIMIT_STORAGE": "memory://",
        "PORTAL_SMTP_URL": "smtp://127.0.0.1:9", "TMPDIR": str(folder / "spool"), "FLASK_DEBUG": "0",
        **({"GUNICORN_MAX_REQUESTS": str(max_requests)} if max_requests is not None else {}),
    })
    made = Instance(folder, env, database)
    try:
        if postgres:
            rush_instance._postgres(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
        for command in (["db", "upgrade"], ["calls", "sync"]):
            done = subprocess.run([PORTAL, *command], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"portal {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    except BaseException:
        rush_instance.destroy(made)
        raise
    return made


def describe(options: argparse.Namespace, gunicorn: str) -> str:
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    database = (f"PostgreSQL {rush_instance.postgres_version()}" if options.postgres
                else f"SQLite {sqlite3.sqlite_version}")
    return (f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}, load average {load}; {database}; one gunicorn server "
            f"({gunicorn}, max_requests {options.max_requests if options.max_requests is not None else 100000}, "
            f"portal/gunicorn_conf.py); "
            f"wrk -c {options.connections} -t 2 -d {options.seconds:g}s; {options.requests} sequential requests "
            f"per page and size with the page cache off; wrk with the page cache "
            f"{options.page_cache or 'as configured (in each process)'}\n")


# ---- page 1 at each size -------------------------------------------------------------------------------------------

def stop(servers: list, where: str, workers: int) -> list[str]:
    tracebacks = rush_instance.tracebacks(servers)
    rush_instance.stop_servers(servers)
    # gunicorn replaces a worker after max_requests (portal/gunicorn_conf.py): its page cache in memory goes with it.
    booted = sum(server.log.read_text(errors="replace").count("Booting worker") for server in servers)
    if booted > workers:
        print(f"gunicorn replaced {booted - workers} worker(s) {where} (max_requests)", flush=True)
    return [f"{tracebacks} traceback(s) in the server's log {where}"] if tracebacks else []


def get(connection: http.client.HTTPConnection, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read()


def page_one(options: argparse.Namespace, port: int, size: int, failures: list[str]) -> list[dict]:
    """Sequential requests on one kept-alive connection, so each one measures the server's answer, not a connect."""
    rows = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for name, path in LISTS.items():
            status, body = get(connection, path)  # warm-up
            seconds, odd = [], 0
            for _ in range(options.requests):
                began = time.perf_counter()
                status, body = get(connection, path)
                seconds.append((time.perf_counter() - began) * 1000)
                odd += status != 200
            if odd:
                failures.append(f"{path}: {odd} answer(s) other than 200 at {size} calls")
            listed = len(set(CALL_LINK.findall(body.decode("utf-8", "replace"))))
            if not listed:
                failures.append(f"{path} lists no call at {size} calls (an empty search index?)")
            rows.append({"size": size, "page": name, "path": path, "bytes": len(body), "listed": listed,
                         "p50": percentile(seconds, 0.50), "p99": percentile(seconds, 0.99)})
    finally:
        connection.close()
    return rows


# ---- each public page against its own bytes served static ----------------------------------------------------------

def against_static(options: argparse.Namespace, port: int, folder: Path, failures: list[str]) -> list[dict]:
    """wrk on the bytes of the page as a file under static/ (Flask's static route, same server), then on the page,
    page after page: each ratio compares two rounds run one after the other."""
    folder.mkdir()
    rows = []
    for name, path in PAGES.items():
        # A connection of its own: gunicorn closes one left idle 5 s (keepalive) while wrk ran.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            status, body = get(connection, path)
        finally:
            connection.close()
        if status != 200:
            failures.append(f"{path} answered {status}")
            continue
        copy = folder / f"{re.sub(r'[^a-z]+', '-', name.lower())}{SUFFIX.get(name, '.html')}"
        copy.write_bytes(body)
        static = wrk(options, port, f"/static/{folder.name}/{copy.name}", failures)
        page = wrk(options, port, path, failures)
        rows.append({"page": name, "path": path, "bytes": len(body), **page,
                     "static": static["rate"], "static p99": static["p99"]})
    return rows


WRK_LATENCY = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_COUNT = re.compile(r"^\s+(\d+) requests in", re.M)
WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
WRK_ODD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def wrk(options: argparse.Namespace, port: int, path: str, failures: list[str]) -> dict:
    """A warm-up round (each worker process fills its own page cache), then the measured one."""
    for seconds in (options.warm_up, options.seconds):
        if seconds <= 0:
            continue
        # A 10 s timeout: wrk leaves a request slower than its default 2 s out of the latencies; here it counts.
        done = subprocess.run(["wrk", "-c", str(options.connections), "-t", "2", "-d", f"{seconds:g}s",
                               "--timeout", "10s", "--latency", f"http://127.0.0.1:{port}{path}"],
                              capture_output=True, text=True, check=False)
    rate, latency, count = (WRK_RATE.search(done.stdout), WRK_LATENCY.search(done.stdout),
                            WRK_COUNT.search(done.stdout))
    if done.returncode != 0 or rate is None or latency is None or count is None:
        raise SystemExit(f"wrk failed on {path}:\n{done.stdout}{done.stderr}")
    if int(count.group(1)) == 0:  # not an error: requests still running when the round ended
        print(f"warning: {path}: no request completed within the {seconds:g} s round; lengthen --seconds", flush=True)
    odd = sum(int(n) for n in WRK_ODD.findall(done.stdout))
    errors = sum(int(n) for found in WRK_SOCKET.findall(done.stdout) for n in found)
    if odd or errors:
        failures.append(f"{path}: {odd} answer(s) not 2xx/3xx and {errors} socket error(s) under wrk")
    scale = {"us": 0.001, "ms": 1, "s": 1000}[latency.group(2)]
    return {"rate": float(rate.group(1)), "p99": float(latency.group(1)) * scale}


# ---- report --------------------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def report(options: argparse.Namespace, latencies: list[dict], throughput: list[dict]) -> None:
    print(f"\nPage 1 by number of published calls, the shipped ones included ({options.requests} sequential requests "
          f"each, page cache off; database time: the request's SQL replayed {options.repeat} times, median)\n")
    print("| calls | page | address | calls listed | bytes | p50 (ms) | p99 (ms) | SQL statements | database (ms) |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for row in sorted(latencies, key=lambda r: (list(LISTS).index(r["page"]), r["size"])):
        print(f"| {row['size']:,} | {row['page']} | `{row['path']}` | {row['listed']} | {row['bytes']:,} "
              f"| {row['p50']:.1f} | {row['p99']:.1f} | {row.get('statements', '?')} | {row.get('db_ms', 0):.2f} |")
    if options.statements:
        print(f"\nEach SQL read of page 1 at {options.sizes[-1]:,} calls (median of {options.repeat} replays; the "
              "statement's first 160 characters)\n")
        print("| page | ms | statement |")
        print("|---|---:|---|")
        for row in latencies[-len(LISTS):]:
            for statement, milliseconds in row.get("each", []):
                print(f"| {row['page']} | {milliseconds:.2f} | `{statement.replace('|', '¦')}` |")
    if not throughput:
        return
    print(f"\nPublic pages against the same bytes served static, {options.sizes[-1]:,} calls (wrk -c "
          f"{options.connections} -t 2, {options.seconds:g} s per round, the static round just before the page's)\n")
    print("| page | address | bytes | req/s | p99 (ms) | static req/s | static p99 (ms) | ratio "
          "| ≥ 0.7 and p99 ≤ 50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for row in throughput:
        ratio = row["rate"] / row["static"] if row["static"] else 0
        met = "yes" if ratio >= 0.7 and row["p99"] <= 50 else "no"
        print(f"| {row['page']} | `{row['path']}` | {row['bytes']:,} | {row['rate']:.0f} | {row['p99']:.1f} "
              f"| {row['static']:.0f} | {row['static p99']:.1f} | {ratio:.2f} | {met} |")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
