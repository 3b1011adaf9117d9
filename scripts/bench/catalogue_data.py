"""The instance's side of the catalogue benchmark (catalogue.py): N published calls generated from the shipped calls'
words and values, with windows past, open and upcoming around today, and revisions on some; and the database time
of a page's request.

Imported inside the throw-away instance (it needs the portal and an application context to publish). Call number
i is the same whatever N, so that the instance grows from 50 to 500 to 5,000 calls by publishing the next ones."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import statistics
import time as clock
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select

from portal.catalog import loader, services
from portal.catalog.models import Call, CallRevision
from portal.catalog.schema import CallSpec
from portal.core.text import slugify
from portal.core.time import start_of_day_paris, today_paris
from portal.extensions import db

# A fixed namespace: the generated calls' ids are the same from run to run (uuid5 of the number).
NAMESPACE = uuid.UUID("5d0c3c3e-2a7e-4f51-9a39-0f4be2b8c1a7")
HEADINGS = ("Contexte", "Objectifs", "Public visé", "Actions attendues", "Modalités de financement",
            "Critères de sélection", "Calendrier", "Pièces à fournir", "Évaluation")


@dataclass(frozen=True)
class Vocabulary:
    """What the shipped calls say: their themes, territories, carriers and issuers, and the sentences of their
    texts, from which the generated titles, summaries and bodies are made (so that a search finds real words)."""

    themes: list[str]
    territories: list[dict]
    carriers: list[str]
    issuers: list[dict]
    titles: list[str]
    summaries: list[str]
    sentences: list[str]


def vocabulary(calls_dir: Path) -> Vocabulary:
    specs, bodies = [], []
    for result in loader.load_all([calls_dir]):
        if result.valid:
            specs.append(result.spec)
            bodies.append(result.body)
    territories = {t.name: t.code for spec in specs for t in spec.all_territories}
    issuers = {spec.issuer.body: spec.issuer.model_dump(mode="json", exclude_none=True,
                                                        include={"body", "direction", "service"}) for spec in specs}
    return Vocabulary(
        themes=sorted({theme for spec in specs for theme in spec.themes}),
        territories=[{"name": name, **({"code": code} if code else {})} for name, code in sorted(territories.items())],
        carriers=sorted({carrier.value for spec in specs for carrier in spec.carrier_types}),
        issuers=[issuers[body] for body in sorted(issuers)],
        titles=sorted(spec.title for spec in specs),
        summaries=sorted(spec.summary for spec in specs),
        sentences=sorted({s for body in bodies for s in _sentences(body)}))


def _sentences(body: str) -> list[str]:
    """The plain sentences of a call's text: no headings, lists, tables or links."""
    found = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line[0] in "#|-*>[0123456789" or "](" in line or "http" in line:
            continue
        found.extend(s.strip() for s in re.split(r"(?<=[.;!?])\s+", line) if 40 <= len(s.strip()) <= 300)
    return found


@dataclass(frozen=True)
class Generated:
    slug: str
    versions: list[tuple[dict, str, dt.datetime]]  # (spec as JSON, body, when published), oldest first


def generate(number: int, words: Vocabulary, today: dt.date, seed: int) -> Generated:
    """Call number `number`: mostly archives (as an instance that keeps years of calls holds), some open (a few
    closing today at 23:59:59 Paris time or within the week), some upcoming, a few national frameworks without
    windows; two in seven with several windows; one in three updated once or twice after publication."""
    rng = random.Random(seed * 1_000_003 + number)
    territories = rng.sample(words.territories, k=min(len(words.territories), rng.choice((1, 1, 1, 2))))
    shape = rng.random()
    kind = "cadre" if shape < 0.02 else rng.choice(("AAP", "AAP", "AAP", "AMI"))
    if number % 97 == 0:
        first_closing = today  # closes tonight at 23:59:59, Paris time
    elif shape < 0.10:
        first_closing = today + dt.timedelta(days=rng.randint(1, 60))  # open, some of them closing soon
    elif shape < 0.15:
        first_closing = today + dt.timedelta(days=rng.randint(70, 200))  # upcoming: opens in the coming weeks
    else:
        first_closing = today - dt.timedelta(days=rng.randint(1, 6 * 365))  # the archives: six years of calls
    upcoming = 0.10 <= shape < 0.15 and number % 97 != 0
    windows = []
    closing = first_closing
    for index in range(rng.choice((1, 1, 1, 1, 1, 2, 3))):
        length = rng.randint(20, 90)
        opens = closing - dt.timedelta(days=length)
        if upcoming and index == 0:
            opens = max(opens, today + dt.timedelta(days=rng.randint(5, 40)))
        elif not upcoming and first_closing >= today and index == 0:
            opens = min(opens, today - dt.timedelta(days=1))
        window = {"key": f"session-{index + 1}", "closes_on": closing.isoformat()}
        if rng.random() > 0.05 or index:  # a few state only their closing date, as the Seine-et-Marne AMI does
            window["opens_on"] = opens.isoformat()
        if index:
            window["label"] = f"Session {index + 1}"
        windows.append(window)
        closing = closing + dt.timedelta(days=rng.randint(120, 240))  # the next session, months later
    first_opening = first_closing - dt.timedelta(days=90)
    published_on = min(first_opening - dt.timedelta(days=rng.randint(0, 20)), today)
    year = (first_closing.year if kind != "cadre" else first_opening.year)
    territory_names = " et ".join(t["name"] for t in territories)
    title = f"{rng.choice(words.titles)} — {territory_names} {year}"[:200]
    spec = {
        "id": str(uuid.uuid5(NAMESPACE, f"{seed}-{number}")), "kind": kind, "title": title,
        "summary": rng.choice(words.summaries)[:180], "issuer": rng.choice(words.issuers),
        "themes": rng.sample(words.themes, k=rng.randint(1, 3)), "territories": territories,
        "published_on": published_on.isoformat(),
        "carriers": {"types": rng.sample(words.carriers, k=rng.randint(1, 2))},
    }
    if kind == "cadre":
        spec["period"] = {"start": first_opening.isoformat(), "end": (first_opening + dt.timedelta(days=730)).isoformat()}
    else:
        spec["windows"] = windows
    if rng.random() < 0.1:
        spec["imminent_days"] = rng.choice((10, 14))
    body = _body(rng, words)
    published = start_of_day_paris(published_on) + dt.timedelta(hours=rng.randint(8, 17))
    versions = [(spec, body, published)]
    for _ in range(rng.choice((0, 0, 0, 0, 1, 2)) if kind != "cadre" else 0):
        spec, body = _revised(rng, words, spec, body)
        published = min(published + dt.timedelta(days=rng.randint(1, 15)), start_of_day_paris(today))
        versions.append((spec, body, published))
    return Generated(f"banc-{number:05d}-{_slug(title)}"[:120].rstrip("-"), versions)


def _body(rng: random.Random, words: Vocabulary) -> str:
    parts = []
    for heading in rng.sample(HEADINGS, k=rng.randint(3, 6)):
        paragraphs = [" ".join(rng.sample(words.sentences, k=rng.randint(2, 5))) for _ in range(rng.randint(1, 3))]
        parts.append(f"## {heading}\n\n" + "\n\n".join(paragraphs))
    return "\n\n".join(parts) + "\n"


def _revised(rng: random.Random, words: Vocabulary, spec: dict, body: str) -> tuple[dict, str]:
    """An update as services make them: the deadline pushed back a week, or the summary or text rewritten."""
    spec = {**spec, "windows": [dict(w) for w in spec.get("windows", [])]}
    change = rng.random()
    if change < 0.4 and spec["windows"]:
        last = spec["windows"][-1]
        last["closes_on"] = (dt.date.fromisoformat(last["closes_on"]) + dt.timedelta(days=7)).isoformat()
    elif change < 0.7:
        spec["summary"] = rng.choice(words.summaries)[:180]
    else:
        body = body + f"\n## Précisions\n\n{' '.join(rng.sample(words.sentences, k=2))}\n"
    return spec, body


def _slug(title: str) -> str:
    return slugify(title)[:80]


def publish_range(first: int, last: int, words: Vocabulary, today: dt.date, seed: int) -> dict:
    """Publish calls number first..last-1, each version through catalog.services.publish (the function `portal
    calls sync` uses, so the search index and everything publication fills are filled the same way), then flush;
    the caller commits once. Returns what was made."""
    made = {"calls": 0, "revisions": 0}
    for number in range(first, last):
        generated = generate(number, words, today, seed)
        for spec_json, body, at in generated.versions:
            spec = CallSpec.model_validate(spec_json)
            digest = hashlib.sha256(f"{spec.model_dump_json()}{body}".encode()).hexdigest()
            services.publish(generated.slug, spec, body, digest, at)
            made["revisions"] += 1
        made["calls"] += 1
        if number % 500 == 499:
            db.session.flush()  # keep the unit of work's identity map small
    db.session.flush()
    return made


def published(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Call.id)))


def grow(app, calls_dir: str, first: int, last: int, seed: int) -> dict:
    """Publish calls number first..last-1 in one transaction, as `portal calls sync` commits once."""
    with app.app_context():
        began = clock.perf_counter()
        made = publish_range(first, last, vocabulary(Path(calls_dir)), today_paris(), seed)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after such a load, done now: page 1 is then measured on the database in its
            # steady state, not while autovacuum reads thousands of new rows beside it.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        return {**made, "seconds": clock.perf_counter() - began, "total": published(app),
                "all revisions": db.session.scalar(select(func.count(CallRevision.id)))}


def database_time(app, pages: dict[str, str], repeat: int) -> dict:
    """For each page, the SQL statements one request runs (through the test client; the instance's page cache off),
    then those statements replayed `repeat` times on a connection of their own, rows fetched: the median
    total is the request's database time, without the ORM's or the template's share (a SQLite cursor steps its rows
    only when they are fetched, so timing the execute alone would miss most of it)."""
    captured: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

        def note(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", note)
        client = app.test_client()
        found = {}
        for name, path in pages.items():
            client.get(path)  # warm-up: the process's own caches (templates, parsed specs)
            captured.clear()
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code} in the test client")
            reads = [(s, p) for s, p in captured if s.lstrip().upper().startswith(("SELECT", "WITH"))]
            each = [[] for _ in reads]
            raw = engine.raw_connection()
            try:
                for _ in range(repeat):
                    for number, (statement, parameters) in enumerate(reads):
                        began = clock.perf_counter()
                        cursor = raw.cursor()
                        cursor.execute(statement, parameters)
                        cursor.fetchall()
                        cursor.close()
                        each[number].append(clock.perf_counter() - began)
                raw.rollback()
            finally:
                raw.close()
            found[name] = {"statements": len(captured), "reads": len(reads),
                           "db_ms": statistics.median(map(sum, zip(*each, strict=True))) * 1000 if reads else 0.0,
                           "each": [(" ".join(statement.split())[:160], statistics.median(times) * 1000)
                                    for (statement, _), times in zip(reads, each, strict=True)]}
        event.remove(engine, "before_cursor_execute", note)
    return found
