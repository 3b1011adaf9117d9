"""Asking committee members to review applications: one by one (from either side), in bulk, from a CSV file or
automatically (k reviewers per application, at most L per reviewer, fewest-loaded first). Every way goes through
`refusal`, so none can assign a person in conflict, an ineligible application or past the limit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.permissions import is_reviewer_of
from portal.accounts.queries import user_by_email
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import audit
from portal.core.errors import Refusal
from portal.extensions import db
from portal.reviews import conflicts, permissions, rounds
from portal.reviews.models import Assignment
from portal.reviews.phases import PHASES
from portal.reviews.queries import (
    assignment_of,
    committee_of,
    conflict_pairs,
    deposited_in_window,
    eligibility_by_application,
    eligibility_of,
    load_by_reviewer,
    own_review,
)
from portal.reviews.states import AssignmentMethod

METHODS = {m: m.label for m in AssignmentMethod}
MAX_CSV_BYTES = 1024 * 1024


@dataclass
class Report:
    """What a bulk, CSV or automatic assignment did: pairs made, and what was refused with the reason."""

    made: list[tuple[Application, User]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@dataclass
class Line:
    line: int
    number: str
    email: str
    message: str
    ok: bool


@dataclass
class ImportReport:
    lines: list[Line] = field(default_factory=list)

    @property
    def made(self) -> list[Line]:
        return [line for line in self.lines if line.ok]

    @property
    def refused(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]


@dataclass
class Shortfall:
    application: Application
    missing: int
    reason: str


@dataclass
class AutoReport:
    k: int
    limit: int | None
    settings_changed: bool = False  # the run's k and limit became the call's objectives (settings)
    made: list[tuple[Application, User]] = field(default_factory=list)
    short: list[Shortfall] = field(default_factory=list)


def _assigning_phase(window: Window, at: dt.datetime) -> str | None:
    round_ = rounds.round_of(window, at)
    if round_ is None:
        return "La fenêtre n'est pas encore close : les affectations commencent après la date limite."
    phase = PHASES[round_.phase]
    if not phase.assigning:
        return f"En phase « {phase.label} », les affectations ne changent plus."
    return None


def refusal(application: Application, reviewer: User, at: dt.datetime, limit: int | None = None) -> Refusal | None:
    """Why this person may not be assigned this application now (a Refusal and its French sentence), or None."""
    call = application.call
    eligibility = eligibility_of(application)
    limit = limit if limit is not None else rounds.settings_of(call).max_per_reviewer
    return _refusal(application, reviewer, _Facts(
        on_committee=is_reviewer_of(reviewer, call.uuid),
        phase_refusal={application.window_id: _assigning_phase(application.window, at)},
        ineligible={application.id} if eligibility is not None and not eligibility.is_eligible else set(),
        conflicted={application.id} if permissions.has_conflict(reviewer, application) else set(),
        assigned={application.id} if permissions.is_assigned(reviewer, application) else set(),
        load=load_by_reviewer(call).get(reviewer.id, 0) if limit is not None else 0), limit)


def assignable(reviewer: User, applications: list[Application], at: dt.datetime) -> set:
    """Ids of the applications `refusal` would let this person be given now, or keep, its load limit aside
    (ticking past it is refused with the reason): the same rule, read in a few statements whatever their number."""
    if not applications:
        return set()
    call, ids = applications[0].call, [a.id for a in applications]
    verdicts = eligibility_by_application(ids)
    facts = _Facts(
        on_committee=is_reviewer_of(reviewer, call.uuid),
        phase_refusal={w.id: _assigning_phase(w, at) for w in {a.window for a in applications}},
        ineligible={i for i, v in verdicts.items() if not v.is_eligible},
        conflicted={a for a, _ in conflict_pairs([reviewer], ids)},
        assigned=set(), load=0)  # those already hers stay open to her, to be kept or withdrawn
    return {a.id for a in applications if _refusal(a, reviewer, facts, None) is None}


@dataclass(frozen=True)
class _Facts:
    """What the rule reads about one person and some applications."""

    on_committee: bool
    phase_refusal: dict  # window id → why its phase assigns nothing, or None
    ineligible: set
    conflicted: set
    assigned: set
    load: int  # her assignments in the call, read only when a limit applies


def _refusal(application: Application, reviewer: User, facts: _Facts, limit: int | None) -> Refusal | None:
    """The one rule: on the committee, a deposited application, a phase that assigns, not ineligible, no conflict,
    not already given to her, below the limit."""
    number = application.number
    if not facts.on_committee:
        return Refusal(f"{reviewer.name} ne fait pas partie du comité de cet appel.")
    if not application.is_deposited:
        return Refusal("Cette candidature n'est pas déposée : elle ne peut pas être évaluée.")
    phase_refusal = facts.phase_refusal[application.window_id]
    if phase_refusal:
        return Refusal(phase_refusal)
    if application.id in facts.ineligible:
        return Refusal(f"La candidature {number} est irrecevable : elle n'est pas évaluée.")
    if application.id in facts.conflicted:
        return Refusal(f"{reviewer.name} est en conflit d'intérêts avec la candidature {number}.")
    if application.id in facts.assigned:
        return Refusal(f"{reviewer.name} est déjà affecté(e) à la candidature {number}.")
    if limit is not None and facts.load >= limit:
        return Refusal(f"{reviewer.name} a déjà {facts.load} candidature(s) de cet appel à évaluer ; le plafond est de "
                       f"{limit} par évaluateur.")
    return None


def _create(application: Application, reviewer: User, by, at: dt.datetime, method: str) -> Assignment:
    rounds.ensure_round(application.window, at)  # the first assignment stores the round, if no verdict did
    assignment = Assignment(application_id=application.id, reviewer_id=reviewer.id, method=method,
                            assigned_by_id=getattr(by, "id", None), assigned_at=at)
    db.session.add(assignment)
    audit.record("review.assign", actor=by, target=f"application:{application.id}", reviewer=reviewer.email,
                 number=application.number, method=method)
    db.session.flush()
    return assignment


def assign(application: Application, reviewer: User, by, at: dt.datetime, method: AssignmentMethod = AssignmentMethod.MANUAL) -> Assignment:
    reason = refusal(application, reviewer, at)
    if reason is not None:
        raise reason
    assignment = _create(application, reviewer, by, at, method)
    return assignment


def unassign(application: Application, reviewer: User, by, at: dt.datetime) -> None:
    """Withdraw an assignment. A review she already wrote stays stored but no longer counts (the aggregates count
    the reviews of people still assigned); assigning her again brings it back."""
    assignment = assignment_of(reviewer, application)
    if assignment is None:
        raise Refusal(f"{reviewer.name} n'est pas affecté(e) à la candidature {application.number}.")
    phase_refusal = _assigning_phase(application.window, at)
    if phase_refusal:
        raise Refusal(phase_refusal)
    review = own_review(reviewer, application)
    db.session.delete(assignment)
    audit.record("review.unassign", actor=by, target=f"application:{application.id}", reviewer=reviewer.email,
                 number=application.number, method=assignment.method,
                 review_kept=review.status if review is not None else None)
    db.session.flush()


def withdraw_all(application: Application, by, why: str) -> None:
    """Take the application off every reviewer's list (it was found irrecevable); the caller commits."""
    for item in db.session.scalars(select(Assignment).where(Assignment.application_id == application.id)):
        audit.record("review.unassign", actor=by, target=f"application:{application.id}",
                     reviewer_id=item.reviewer_id, number=application.number, method=item.method, why=why)
        db.session.delete(item)


def _visible(by, call: Call) -> set | None:
    """The applications the acting manager may see: one she is in conflict with is never touched in her name."""
    if by is None:
        return None  # the command line and the demo act for the platform
    return set(db.session.scalars(permissions.reviewable(by, call)))


def bulk_assign(applications: list[Application], reviewers: list[User], by, at: dt.datetime) -> Report:
    """Assign every chosen reviewer to every chosen application, refusing the pairs `refusal` forbids."""
    report = Report()
    for application in applications:
        for reviewer in reviewers:
            reason = refusal(application, reviewer, at)
            if reason is not None:
                report.refused.append(reason.message)
                continue
            _create(application, reviewer, by, at, AssignmentMethod.BULK)
            report.made.append((application, reviewer))
    db.session.flush()
    return report


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()


def import_csv(call: Call, window: Window, stream, by, at: dt.datetime) -> ImportReport:
    """Lines `numero;email` (or with commas), UTF-8 with or without BOM, a header row: each line is applied or
    refused on its own, with its number and the reason."""
    raw = stream.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise Refusal("Le fichier dépasse 1 Mo : découpez-le en plusieurs imports.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refusal("Le fichier n'est pas encodé en UTF-8 : enregistrez-le en « CSV UTF-8 » et "
                          "réessayez.") from error
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise Refusal("Le fichier est vide.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in first else ",")
    visible = _visible(by, call)
    applications = {a.number: a for a in deposited_in_window(window) if visible is None or a.id in visible}
    report, header_seen = ImportReport(), False
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            if _plain(cells[0]) in ("numero", "n", "no", "numero de dossier") and len(cells) > 1 \
                    and "@" not in cells[1]:
                continue
        number, email = (cells + ["", ""])[:2]
        line = Line(reader.line_num, number, email, "", False)
        report.lines.append(line)
        if len(cells) != 2 or not number or not email:
            line.message = "Deux colonnes attendues : le numéro de la candidature et l'adresse électronique."
            continue
        application = applications.get(number)
        if application is None:
            line.message = f"Aucune candidature déposée ne porte le numéro {number} dans cette fenêtre."
            continue
        person = user_by_email(email)
        if person is None:
            line.message = f"Aucun compte n'existe pour l'adresse {email}."
            continue
        reason = refusal(application, person, at)
        if reason is not None:
            line.message = reason.message
        else:
            _create(application, person, by, at, AssignmentMethod.CSV)
            line.ok, line.message = True, f"{person.name} affecté(e) à la candidature {number}."
    if not report.lines:
        raise Refusal("Le fichier ne contient aucune ligne à importer (numéro ; adresse électronique).")
    audit.record("review.assign_import", actor=by, target=f"window:{window.id}", lines=len(report.lines),
                 made=len(report.made), refused=[f"ligne {x.line} : {x.message}" for x in report.refused])
    db.session.flush()
    return report


def auto_assign(window: Window, k: int, limit: int | None, by, at: dt.datetime) -> AutoReport:
    """Give each deposited application not found ineligible up to k reviewers, taking the least loaded members
    first (load = their assignments in the whole call), never one in conflict, never past `limit`; ties go by
    name then id, so the same data always gives the same assignment. The k and limit of the run become the call's
    settings (one source of truth for the objective the matrix shows and the limit every other way respects)."""
    if k < 1 or (limit is not None and limit < 1):
        raise Refusal("Le nombre d'évaluateurs par candidature et le plafond doivent être au moins 1.")
    phase_refusal = _assigning_phase(window, at)
    if phase_refusal:
        raise Refusal(phase_refusal)
    call = window.call
    settings = rounds.settings_of(call)
    changed = (settings.reviews_per_application, settings.max_per_reviewer) != (k, limit)
    rounds.update_settings(settings, by, at, reviews_per_application=k, max_per_reviewer=limit)
    conflicts.sync_automatic(call, by, at)
    visible = _visible(by, call)
    applications = [a for a in deposited_in_window(window) if visible is None or a.id in visible]
    verdicts = eligibility_by_application(a.id for a in applications)
    applications = [a for a in applications if a.id not in verdicts or verdicts[a.id].is_eligible]
    reviewers = committee_of(call)
    in_conflict = {r.id: set(db.session.scalars(permissions.conflicted(r))) for r in reviewers}
    loads = defaultdict(int, load_by_reviewer(call))
    assigned = defaultdict(set)
    for application_id, reviewer_id in db.session.execute(select(
            Assignment.application_id, Assignment.reviewer_id).where(
            Assignment.application_id.in_([a.id for a in applications]))):
        assigned[application_id].add(reviewer_id)
    report = AutoReport(k=k, limit=limit, settings_changed=changed)
    for application in applications:
        have = assigned[application.id] & {r.id for r in reviewers}
        need = k - len(have)
        if need <= 0:
            continue
        candidates = [r for r in reviewers if r.id not in have and application.id not in in_conflict[r.id]
                      and (limit is None or loads[r.id] < limit)]
        candidates.sort(key=lambda r: (loads[r.id], r.name.casefold(), r.id))
        for reviewer in candidates[:need]:
            _create(application, reviewer, by, at, AssignmentMethod.AUTO)
            loads[reviewer.id] += 1
            report.made.append((application, reviewer))
        if len(candidates) < need:
            report.short.append(Shortfall(application, need - len(candidates),
                                          _why_short(application, reviewers, have, in_conflict, loads, limit)))
    audit.record("review.assign_auto", actor=by, target=f"window:{window.id}", k=k, limit=limit,
                 made=len(report.made), short=[f"{s.application.number} : {s.reason}" for s in report.short])
    db.session.flush()
    return report


def _why_short(application, reviewers, have, in_conflict, loads, limit) -> str:
    conflicted = sum(1 for r in reviewers if application.id in in_conflict[r.id])
    full = sum(1 for r in reviewers if r.id not in have and application.id not in in_conflict[r.id]
               and limit is not None and loads[r.id] >= limit)
    parts = [f"{len(reviewers)} membre(s) au comité", f"{len(have)} déjà affecté(s)"]
    if conflicted:
        parts.append(f"{conflicted} en conflit d'intérêts")
    if full:
        parts.append(f"{full} au plafond de {limit}")
    return ", ".join(parts) + "."
