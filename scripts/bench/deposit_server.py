"""Benchmark, not a test: a complete deposit's CPU in the real server, request kind by request kind (issue 18).

deposit_profile.py runs the application in this process through Flask's test client, which neither parses HTTP nor
reads a socket; rush.py gives the whole server's CPU per deposit under a rush. This one starts rush.py's instance
and one gunicorn server with the production settings (portal/gunicorn_conf.py, one worker), then runs the
applicants one after the other (nothing overlaps), reading the server's CPU time (user + system of master and
worker, /proc/<pid>/stat) before and after every request: the sum per request kind over the applicants after the
first (whose requests also compile what the worker had not warmed up). /proc counts in ticks of 10 ms, so each
figure is a sum over many requests, not a single timing.

    .venv/bin/python scripts/bench/deposit_server.py --applicants 30
"""

from __future__ import annotations

import argparse
import collections
import random
import shutil
import tempfile
from pathlib import Path

import rush_client as client
import rush_instance as instance


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-deposit-server-"))
    servers, made = [], None
    try:
        made = instance.create(folder, postgres=False, applicants=options.applicants, calls=20)
        rng = random.Random(options.seed)
        pool = client.Pool(64, options.seed)
        applicants = [client.Applicant(email, instance.PASSWORD, client.plan_files(pool, rng, 1, 5))
                      for email in instance.emails(made, options.applicants)]
        servers = instance.start_servers(made, 1, workers=1, threads=None)
        spent: dict[str, float] = collections.defaultdict(float)
        counts: dict[str, int] = collections.Counter()
        measuring = [False]
        plain = client.Browser.request

        def timed(browser, step, method, path, body=None, headers=None):
            before = instance.servers_cpu_seconds(servers)
            try:
                return plain(browser, step, method, path, body, headers)
            finally:
                if measuring[0]:
                    kind = f"{method} {step}"
                    spent[kind] += instance.servers_cpu_seconds(servers) - before
                    counts[kind] += 1

        client.Browser.request = timed
        total_before = None
        for index, applicant in enumerate(applicants):
            if index == 1:
                measuring[0], total_before = True, instance.servers_cpu_seconds(servers)
            client.apply(client.Browser([servers[0].port], 0, 60, client.Recorder()), applicant, instance.SLUG,
                         made.window_id, pool)
        total = instance.servers_cpu_seconds(servers) - total_before
        measured = len(applicants) - 1
        print(f"Server CPU per deposit, {measured} applicants after the first, one after the other "
              f"(gunicorn, 1 worker; ms)\n")
        print("| request | count per deposit | per request (ms) | per deposit (ms) |")
        print("|---|---:|---:|---:|")
        for kind in sorted(spent, key=spent.get, reverse=True):
            print(f"| {kind} | {counts[kind] / measured:.0f} | {1000 * spent[kind] / counts[kind]:.1f} "
                  f"| {1000 * spent[kind] / measured:.1f} |")
        print(f"| **complete deposit** | {sum(counts.values()) / measured:.0f} | | **{1000 * total / measured:.0f}** |")
        return 0
    finally:
        instance.stop_servers(servers)
        if made is not None:
            instance.destroy(made)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
