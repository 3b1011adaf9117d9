"""The manager's selection hub: each window's round and phase with its counts, moving to the next phase, and the
call's review settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.core.errors import Refusal, refusals_go_to
from portal.core.time import now
from portal.reviews import permissions, queries, rounds
from portal.reviews.forms.rounds import DueDateForm, SettingsForm
from portal.reviews.phases import PHASES
from portal.reviews.states import RoundPhase
from portal.reviews.views.blueprints import manage
from portal.reviews.views.loading import managed_call, managed_window, window_of

# What each move does, said on its button: (from, to) → label, consequence.
MOVES = {
    (RoundPhase.ELIGIBILITY, RoundPhase.REVIEW): ("Commencer l'évaluation",
                                "les dossiers seront figés et la recevabilité ne pourra plus changer"),
    (RoundPhase.REVIEW, RoundPhase.DELIBERATION): ("Ouvrir la délibération",
                                 "les évaluateurs ne pourront plus noter ; le comité verra toutes les évaluations"),
    (RoundPhase.DELIBERATION, RoundPhase.REVIEW): ("Rouvrir l'évaluation",
                                 "les évaluateurs pourront de nouveau noter ; les décisions attendront"),
}
SETTINGS_FIELDS = ("blind", "others_after_own", "reviews_per_application", "max_per_reviewer",
                   "min_reviews_for_normalisation", "disagreement_threshold")


def move_label(current: str, target: str) -> str:
    action, consequence = MOVES.get((current, target), (f"Passer à la phase « {PHASES[target].label} »", ""))
    return f"{action} — {consequence}" if consequence else action


def _overview(call, refused: dict[str, str] | None = None):
    """The hub; `refused` holds, by window key, the French error of a move to deliberation left unconfirmed."""
    moment = now()
    visible = permissions.reviewable(current_user, call)
    windows = [{"window": w, "round": rounds.round_of(w, moment), "counts": queries.screening_counts(w, visible)}
               for w in call.windows]
    for row in windows:
        phase = rounds.phase_of(row["round"])
        row["phase"] = phase
        row["moves"] = [(to, move_label(phase.key, to)) for to in phase.next if to != RoundPhase.DECIDED] if phase else []
        row["progress"] = queries.review_progress(row["window"], visible) if phase else None
        row["missing"] = (rounds.missing_reviews(row["window"], current_user)
                          if phase and RoundPhase.DELIBERATION in phase.next else [])
        row["error"] = (refused or {}).get(row["window"].key)
    return render_template("reviews/overview.html", call=call, windows=windows, phases=PHASES,
                           confirm_label=rounds.confirm_missing_label,
                           refused=[row for row in windows if row["error"]]), 422 if refused else 200


@manage.get("/<slug>/")
@login_required
def overview(slug: str):
    return _overview(managed_call(slug))


@manage.post("/<slug>/fenetres/<key>/phase")
@login_required
@refusals_go_to(lambda slug, key: url_for(".overview", slug=slug))
def change_phase(slug: str, key: str):
    call = managed_call(slug)
    window = window_of(call, key)
    moment = now()
    round_ = rounds.round_of(window, moment)
    if round_ is None:
        flash("Le dépôt est encore ouvert : la sélection commence après la date limite.", "error")
        return redirect(url_for(".overview", slug=call.slug))
    target = request.form.get("to", "")
    confirmed = request.form.get("confirm_missing", "")
    try:
        rounds.change_phase(round_, target, by=current_user, at=moment,
                            missing_confirmed=int(confirmed) if confirmed.isdigit() else 0)
    except rounds.MissingReviews as unconfirmed:
        return _overview(call, {window.key: unconfirmed.message})
    where = f" de « {window.display_label} »" if window.display_label else ""
    flash(f"La sélection{where} est maintenant en phase « {PHASES[target].label} ».", "success")
    return redirect(url_for(".overview", slug=call.slug))


@manage.route("/<slug>/parametres", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    call = managed_call(slug)
    current = rounds.settings_of(call)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        rounds.update_settings(current, by=current_user, at=now(),
                               **{name: getattr(form, name).data for name in SETTINGS_FIELDS})
        flash("Les paramètres de la sélection sont enregistrés.", "success")
        return redirect(url_for(".settings", slug=call.slug))
    return render_template("reviews/settings.html", call=call, form=form), 400 if form.errors else 200


@manage.route("/<slug>/fenetres/<key>/date-limite", methods=["GET", "POST"])
@login_required
def due_date(slug: str, key: str):
    """« Date limite des évaluations » of one window's round: shown to its reviewers, reminded two days before."""
    call, window, round_ = managed_window(slug, key)
    form = DueDateForm(obj=round_)
    if form.validate_on_submit():
        try:
            rounds.set_reviews_due_on(round_, form.reviews_due_on.data, by=current_user, at=now())
        except Refusal as refused:
            form.reviews_due_on.errors = [*form.reviews_due_on.errors, refused.message]
        else:
            flash("La date limite des évaluations est enregistrée." if form.reviews_due_on.data
                  else "La date limite des évaluations est retirée.", "success")
            return redirect(url_for(".overview", slug=call.slug, _anchor=f"fenetre-{window.key}"))
    return render_template("reviews/due_date.html", call=call, window=window, round=round_, form=form), (
        422 if form.errors else 200)
