"""Benchmark, not a test: does the answer time of sign-up and sign-in tell whether an address has an account?
(issue 12, finding 5)

Builds a throw-away instance in a temporary folder (SQLite migrated with `flask_migrate.upgrade`, one confirmed
account made by `auth.create_confirmed_user`), with the production argon2 parameters of
`portal.accounts.passwords`, and times through the Flask test client, as a browser would (GET the form for its CSRF
token, then POST it; the rate limits are raised through the configuration so that they never answer):

- sign-up with the address of the existing account, against sign-up with a new address each time;
- sign-in with a wrong password for the existing account, against sign-in with an unknown address.

The two cases of each pair alternate, and their order flips at every repetition. Prints the medians and p90s with
the ratio known / new in a Markdown table. Exits non-zero when a ratio of medians falls outside 0.8–1.25 (the
answer time tells the two apart), when a POST does not answer the page it should, or when the hasher does not
have the production parameters. Mail is only queued in the outbox; nothing is sent.

    .venv/bin/python scripts/bench/sign_up.py [--repeat 30] [--warm-up 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import argon2  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.accounts import auth, passwords  # noqa: E402
from portal.accounts.models import User  # noqa: E402
from portal.config import Config  # noqa: E402
from portal.core.mail import OutboxMessage  # noqa: E402
from portal.extensions import db  # noqa: E402

EMAIL, PASSWORD = "deja-inscrite@asso-exemple.fr", "une phrase de passe solide"
ATTEMPT = "une autre phrase de passe"  # a valid new password on sign-up, a wrong one on sign-in
LOW, HIGH = 0.8, 1.25  # known / new outside this band: the answer time tells which addresses have an account
UNLIMITED = "1000000 per minute"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SIGNED_UP = "Consultez votre messagerie"  # templates/accounts/check_mail.html, whatever the address
REFUSED = "Adresse électronique ou mot de passe incorrect."  # auth.authenticate, whatever the failure


@dataclass
class Pair:
    label: str
    known: list[float] = field(default_factory=list)
    new: list[float] = field(default_factory=list)

    def ratio(self, statistic) -> float:
        return statistic(self.known) / statistic(self.new)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed POSTs of each case")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed POSTs of each case first")
    return parser.parse_args()


def production_hasher() -> str | None:
    """Refuse to measure with other parameters than the shipped ones (the test suite swaps in the cheapest)."""
    shipped, default = passwords._hasher, argon2.PasswordHasher()
    names = ("time_cost", "memory_cost", "parallelism", "hash_len", "salt_len", "type")
    if any(getattr(shipped, name) != getattr(default, name) for name in names):
        return "passwords._hasher does not have argon2's recommended parameters"
    return None


def post(client, path: str, fields: dict[str, str], expected_status: int, expected_text: str) -> float:
    """GET the form for its token, then time the POST alone, as the server sees a browser's submission."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    if match is None:
        raise SystemExit(f"no CSRF token on {path}")
    gc.collect()  # not during the timed request, whichever case it is
    started = time.perf_counter()
    response = client.post(path, data={"csrf_token": match.group(1), **fields})
    elapsed = time.perf_counter() - started
    body = response.get_data(as_text=True)
    if response.status_code != expected_status or expected_text not in body:
        raise SystemExit(f"POST {path} {fields.get('email')}: HTTP {response.status_code}, "
                         f"« {expected_text} » {'found' if expected_text in body else 'missing'}")
    return elapsed


def sign_up(client, email: str) -> float:
    return post(client, "/compte/inscription", {"name": "Camille Essai", "email": email, "password": ATTEMPT,
                                                "confirm": ATTEMPT}, 200, SIGNED_UP)


def sign_in(client, email: str) -> float:
    return post(client, "/compte/connexion", {"email": email, "password": ATTEMPT}, 400, REFUSED)


def measure(app, repeat: int, warm_up: int) -> tuple[Pair, Pair]:
    signing_up = Pair("sign-up (`POST /compte/inscription`)")
    signing_in = Pair("sign-in, wrong password (`POST /compte/connexion`)")
    client = app.test_client()
    for index in range(warm_up + repeat):
        new_address = f"nouvelle-{index:03d}@asso-exemple.fr"
        unknown_address = f"inconnue-{index:03d}@asso-exemple.fr"
        cases = [(signing_up.known, sign_up, EMAIL), (signing_up.new, sign_up, new_address),
                 (signing_in.known, sign_in, EMAIL), (signing_in.new, sign_in, unknown_address)]
        if index % 2:  # the other order every other time, so that neither case always comes first
            cases = [cases[1], cases[0], cases[3], cases[2]]
        for times, action, email in cases:
            elapsed = action(client, email)
            if index >= warm_up:
                times.append(elapsed)
    return signing_up, signing_in


def stored(app) -> tuple[int, int, int]:
    """Accounts, queued messages, and messages marked sent (there must be none)."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(User)),
                db.session.scalar(select(func.count()).select_from(OutboxMessage)),
                db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.sent_at.is_not(None))))


def report(pairs: tuple[Pair, ...]) -> None:
    print("| POST | address with an account: median / p90 (ms) | address without one: median / p90 (ms) "
          "| ratio known / new, medians | ratio known / new, p90s |")
    print("|---|---:|---:|---:|---:|")
    for pair in pairs:
        print(f"| {pair.label} | {statistics.median(pair.known) * 1000:.1f} / {p90(pair.known) * 1000:.1f} "
              f"| {statistics.median(pair.new) * 1000:.1f} / {p90(pair.new) * 1000:.1f} "
              f"| {pair.ratio(statistics.median):.2f} | {pair.ratio(p90):.2f} |")


def main() -> int:
    options = arguments()
    problem = production_hasher()
    if problem:
        print(f"FAILED: {problem}")
        return 1
    hasher = passwords._hasher
    print(f"argon2id time_cost={hasher.time_cost}, memory_cost={hasher.memory_cost // 1024} MiB, "
          f"parallelism={hasher.parallelism}; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start; {options.repeat} timed POSTs per case after "
          f"{options.warm_up} of warm-up\n")
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-sign-up-"))
    app = None
    try:
        app = create_app(Config({
            "PORTAL_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "PORTAL_INSTANCE_DIR": str(folder / "instance"),
            "PORTAL_SECRET_KEY": uuid.uuid4().hex, "PORTAL_UPLOAD_DIR": str(folder / "uploads"),
            "PORTAL_CALLS_DIR": str(folder / "calls"), "PORTAL_SMTP_URL": "smtp://127.0.0.1:9",
            "PORTAL_FORM_LIMIT_ADDRESS": UNLIMITED, "PORTAL_LOGIN_LIMIT_ADDRESS": UNLIMITED,
            "PORTAL_LOGIN_LIMIT_ACCOUNT": UNLIMITED}))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            auth.create_confirmed_user(EMAIL, "Dominique Déjà-Inscrite", PASSWORD)
            db.session.commit()
        started = time.perf_counter()
        pairs = measure(app, options.repeat, options.warm_up)
        seconds = time.perf_counter() - started
        report(pairs)
        accounts, queued, sent = stored(app)
        posts = options.warm_up + options.repeat
        print(f"\n{4 * posts} POSTs in {seconds:.0f} s; accounts {accounts} (expected {1 + posts}), "
              f"messages in the outbox {queued} (expected {2 * posts}), sent {sent}")
        problems = [f"{pair.label}: ratio of medians {pair.ratio(statistics.median):.2f}, outside {LOW}–{HIGH}: "
                    "the answer time tells whether the address has an account"
                    for pair in pairs if not LOW <= pair.ratio(statistics.median) <= HIGH]
        if (accounts, queued, sent) != (1 + posts, 2 * posts, 0):
            problems.append("the database does not hold one account per new address and one queued message per "
                            "sign-up")
        for problem in problems:
            print(f"FAILED: {problem}")
        return 1 if problems else 0
    finally:
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
