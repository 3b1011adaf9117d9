"""The ranking page of a window: for the call's managers at any phase after closing, for committee members once
the committee deliberates (their own assigned applications only, as `reviewable` says)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from portal.accounts.permissions import is_reviewer_of
from portal.catalog.queries import get_call
from portal.core.time import now
from portal.reviews import envelope, ranking, rounds
from portal.reviews.permissions import can_manage_selection, reviewable
from portal.reviews.phases import PHASES
from portal.reviews.states import OUTCOME_LABELS
from portal.reviews.views.blueprints import committee, manage
from portal.reviews.views.loading import window_of

# The URL's words for the sort keys of ranking.rank(); a criterion sorts as « critere-<key> ».
SORT_WORDS = {"moyenne": "mean", "mediane": "median", "desaccord": "std", "min": "min", "max": "max",
              "evaluations": "received", "normalise": "normalised", "numero": "number",
              "organisation": "organisation"}
WORD_OF_SORT = {value: key for key, value in SORT_WORDS.items()}
CRITERION_PREFIX = "critere-"




def _requested_sort() -> tuple[str, bool]:
    """?tri=moyenne&ordre=desc → ("mean", True); an unknown word falls back to the mean (rank() checks keys)."""
    word = request.args.get("tri", "moyenne")
    sort = (f"criterion:{word.removeprefix(CRITERION_PREFIX)}" if word.startswith(CRITERION_PREFIX)
            else SORT_WORDS.get(word, "mean"))
    return sort, request.args.get("ordre", "desc") != "asc"


def sort_word(sort: str) -> str:
    return CRITERION_PREFIX + sort.split(":", 1)[1] if sort.startswith("criterion:") else WORD_OF_SORT[sort]


def _render(call, window, round_, endpoint: str, manager: bool):
    sort, descending = _requested_sort()
    result = ranking.rank(call, window, current_user, sort=sort, descending=descending)
    # The managers' ranking shows the total awarded against the envelope; the committee's does not.
    budget = envelope.envelope_of(call, window, reviewable(current_user, call)) if manager else None
    return render_template("reviews/ranking.html", call=call, window=window, phase=PHASES[round_.phase],
                           ranking=result, endpoint=endpoint, manager=manager, sort_word=sort_word(result.sort),
                           criterion_prefix=CRITERION_PREFIX, outcomes=OUTCOME_LABELS, envelope=budget)


@manage.get("/<slug>/fenetres/<key>/classement", endpoint="ranking")
@login_required
def manager_ranking(slug: str, key: str):
    call = get_call(slug)
    if call is None or can_manage_selection(current_user, call) is not None:
        abort(404)
    window = window_of(call, key)
    round_ = rounds.round_of(window, now()) or abort(404)
    return _render(call, window, round_, "selection.ranking", manager=True)


@committee.get("/<slug>/fenetres/<key>/classement", endpoint="ranking")
@login_required
def committee_ranking(slug: str, key: str):
    call = get_call(slug)
    if call is None or not is_reviewer_of(current_user, call.uuid):
        abort(404)
    window = window_of(call, key)
    round_ = rounds.round_of(window, now()) or abort(404)
    if not PHASES[round_.phase].committee_sees_all:
        return render_template("reviews/ranking.html", call=call, window=window, phase=PHASES[round_.phase],
                               ranking=None, manager=False), 200
    return _render(call, window, round_, "committee.ranking", manager=False)

