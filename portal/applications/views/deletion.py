"""Deleting a draft never deposited: a confirmation page (no JavaScript needed), then the deletion itself. Once
deposited, an application is withdrawn instead (applicant.withdraw)."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.applications import drafts, permissions
from portal.applications.views.applicant import back_to_application, bp, member_application
from portal.core.errors import Refusal, refusals_go_to


def _refused(application, refusal: Refusal):
    """Why this person may not delete it (permissions.can_delete_draft): the application was deposited, or she acts
    for a partner."""
    return render_template("applications/delete.html", application=application,
                           refusal=refusal.message), refusal.status


@bp.get("/<uuid:application_id>/supprimer")
@login_required
def confirm_delete(application_id: uuid.UUID):
    application = member_application(application_id)
    if refusal := permissions.can_delete_draft(current_user, application):
        return _refused(application, refusal)
    return render_template("applications/delete.html", application=application, refusal=None)


@bp.post("/<uuid:application_id>/supprimer")
@login_required
@refusals_go_to(back_to_application)  # deposited meanwhile, or followed by the service: back to its page
def delete(application_id: uuid.UUID):
    application = member_application(application_id)
    if refusal := permissions.can_delete_draft(current_user, application):
        return _refused(application, refusal)
    title = application.call.title
    drafts.delete(application, current_user)
    flash(f"Le brouillon de candidature à « {title} » est supprimé.", "success")
    return redirect(url_for(".mine"))
