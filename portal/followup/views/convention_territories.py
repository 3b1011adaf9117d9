"""The territories of a convention, set by its manager on the convention's page while it is unsigned (issue 17:
the indicators per territory). CSRF comes from the application's CSRFProtect; to anyone who may not manage the
convention the address does not exist (404)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from portal.core.errors import Refusal, refusals_go_to
from portal.extensions import db
from portal.followup import convention_territories, conventions, permissions
from portal.followup.models import Convention

bp = Blueprint("convention_territories", __name__)

NAME_MAX = 200  # as a call's territory name is stored with the call's tags


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(convention_territories, "convention_territories")


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/territoires")
@login_required
@refusals_go_to(lambda convention_id: url_for("conventions.show", convention_id=convention_id))
def save(convention_id: uuid.UUID):
    convention = db.session.get(Convention, convention_id)
    if convention is None or permissions.can_manage_convention(current_user, convention) is not None:
        raise Refusal.not_found()
    names = [name.strip()[:NAME_MAX] for name in request.form.getlist("territories") if name.strip()]
    call = conventions.application_of(convention).call
    try:
        chosen = convention_territories.set_territories(convention, call, names, current_user)
    except Refusal as refused:
        if refused.field != "territories":
            raise
        from portal.followup.views.conventions import _page  # the convention's page, the error at the field

        g.territories_error, g.territories_chosen = refused.message, names
        return _page(convention, status=422)
    flash(f"Territoires de la convention {convention.number} : {', '.join(chosen) or 'non renseignés'}.", "success")
    return redirect(url_for("conventions.show", convention_id=convention.id) + "#territoires")
