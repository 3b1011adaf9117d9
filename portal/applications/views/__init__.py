"""The applications domain's pages: the applicant's (applicant.py, documents.py), the staff's (staff.py), the
thread both sides share (messages.py) and the public receipt check (verification.py)."""

from __future__ import annotations

import uuid

from flask import Flask, url_for
from flask_login import current_user

from portal.applications.documents import hint as document_hint
from portal.applications.drafts import seen_by_service
from portal.applications.registration import badge as channel_badge_text
from portal.applications.registration import marks_of, receipt_line
from portal.applications.states import MessageSide, ScanStatus
from portal.core import hooks
from portal.core.time import now


def register(app: Flask) -> None:
    from portal.applications import call_changes, call_usage, messages
    from portal.applications.views import (  # noqa: F401 (routes)
        applicant,
        deletion,
        documents,
        preview_form,
        registration,
        staff,
        verification,
    )
    from portal.applications.views import messages as thread  # noqa: F401 (routes)

    call_usage.register()  # the catalogue asks before a call file drops a window or a document
    call_changes.register()  # those applying to a call are told by e-mail what changed in it
    # The catalogue's call page and the header show this domain's parts through slots, without naming it.
    hooks.contribute(app, "call.apply", hooks.fragment("applications/_apply.html"))
    hooks.contribute(app, "call.preview_form", preview_form.fragment)  # the editor's preview: the form implied
    hooks.contribute(app, "navigation", lambda user: hooks.NavEntry("Mes candidatures", "applications.mine"), order=20)
    # A member of an association lands on her applications after signing in (after any staff role's home).
    hooks.contribute(app, "home", lambda user: (40, url_for("applications.mine")) if user.memberships else None)

    app.add_template_global(applicant.deadline_warning, "deadline_warning")
    app.add_template_global(document_hint, "document_hint")
    app.add_template_global(channel_badge_text, "channel_badge_text")  # templates/applications/_channel.html
    app.add_template_global(marks_of, "registered_marks")
    app.add_template_global(receipt_line, "registered_receipt_line")
    app.add_template_global(lambda application: seen_by_service(application, now()), "seen_by_service")
    app.add_template_filter(lambda value: uuid.UUID(str(value)), "uuid")
    # The thread's unread messages for the signed-in person: {application id: count} for a list, in one statement.
    app.add_template_global(lambda applications: messages.unread_by_application(
        current_user, [a.id for a in applications]), "unread_messages")
    app.add_template_global(MessageSide, "MessageSide")
    app.add_template_global(ScanStatus, "ScanStatus")
    app.register_blueprint(applicant.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(verification.bp)
