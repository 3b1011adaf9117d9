"""The selection side's three doors, each with its own URL space: managers (/gestion/selection), committee
members (/evaluation) and applicants reading their decision or naming conflicts (/candidatures/…/selection)."""

from flask import Blueprint

manage = Blueprint("selection", __name__, url_prefix="/gestion/selection")
committee = Blueprint("committee", __name__, url_prefix="/evaluation")
applicant = Blueprint("selection_applicant", __name__, url_prefix="/candidatures")
