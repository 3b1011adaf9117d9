"""An application's thread: one page at one address for the applying organisation's members and the call's staff
(permissions.can_read_thread, 404 to anyone else), the reply form (multipart, works without JavaScript), « Marquer
comme lu » (a POST: a GET never writes; static/js/messages.js sends it when the page is seen), the managers'
sharing with the committee and the attachments' download."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import Length

from portal.applications import messages, permissions, queries
from portal.applications.states import MessageSide
from portal.applications.views.applicant import bp
from portal.core.errors import Refusal
from portal.core.files import mime_of
from portal.core.storage import send_stored
from portal.core.time import now
from portal.core.upload_forms import store_from_form


class MessageForm(FlaskForm):
    message = TextAreaField("Votre message", description=f"{messages.MAX_LENGTH} caractères au plus.",
                            validators=[Length(max=messages.MAX_LENGTH, message=messages.TOO_LONG)],
                            render_kw={"rows": 8})
    attachments = MultipleFileField("Pièces jointes", description=messages.HINT, render_kw={
        "accept": ",".join(f".{key}" for key in messages.ATTACHMENT_FORMATS)})


def readable_application(application_id: uuid.UUID):
    """The application if this person reads its thread; 404 otherwise (a partner, another organisation, a person
    in conflict, a reviewer)."""
    application = queries.get(application_id) or abort(404)
    if refusal := permissions.can_read_thread(current_user, application):
        raise refusal
    return application


def side_of(application) -> MessageSide:
    """A member of the applying organisation speaks for it; anyone else reading the thread is the call's staff."""
    return MessageSide.APPLICANT if permissions.is_lead_member(current_user, application) else MessageSide.SERVICE


def _page(application, form: MessageForm, status: int = 200):
    thread = messages.thread(application)
    side = side_of(application)
    seen = messages.read_until(current_user, application)
    new = {m.id for m in thread if m.side != side and (seen is None or m.sent_at > seen)}
    if side == MessageSide.APPLICANT:
        back = (url_for("applications.show", application_id=application.id), "Retour au dossier")
    elif application.ever_deposited:
        back = (url_for("applications_staff.show", application_id=application.id), "Retour à la candidature")
    else:
        back = (url_for("applications_staff.call_applications", slug=application.call.slug),
                "Retour aux candidatures")
    organisation = queries.organisations_by_id([application.organisation_id])[application.organisation_id]
    return render_template("applications/messages.html", application=application, thread=thread, new=new,
                           side=side, form=form, back=back, organisation=organisation,
                           may_share=permissions.can_share_message(current_user, application) is None), status


@bp.get("/<uuid:application_id>/messages", endpoint="messages")
@login_required
def thread_page(application_id: uuid.UUID):
    return _page(readable_application(application_id), MessageForm())


@bp.post("/<uuid:application_id>/messages", endpoint="send_message")
@login_required
def send(application_id: uuid.UUID):
    application = readable_application(application_id)
    if refusal := permissions.can_write_message(current_user, application):
        raise refusal
    form = MessageForm()
    if not form.validate_on_submit():
        return _page(application, form, 422)
    uploads = [(f.stream, f.filename) for f in request.files.getlist("attachments") if f.filename]
    message, status = store_from_form(form, lambda: messages.send(
        application, form.message.data, uploads, current_user, side_of(application), now()),
        file_field="attachments", fields=("message", "attachments"))
    if status is not None:
        return _page(application, form, status)
    flash("Votre message est envoyé. Il ne peut plus être modifié : une correction s'écrit dans un nouveau message.",
          "success")
    return redirect(url_for("applications.messages", application_id=application.id) + f"#message-{message.id}")


@bp.post("/<uuid:application_id>/messages/lu", endpoint="mark_messages_read")
@login_required
def mark_read(application_id: uuid.UUID):
    """Up to the last message the page showed (`jusqu_a`), so that one arrived since stays unread; else now."""
    application = readable_application(application_id)
    moment = now()
    try:
        shown = messages.message_of(application, uuid.UUID(request.form.get("jusqu_a", "")))
    except ValueError:
        shown = None
    messages.mark_read(current_user, application, min(moment, shown.sent_at) if shown else moment)
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    flash("Les messages sont marqués comme lus.", "success")
    return redirect(url_for("applications.messages", application_id=application.id), code=303)


# A message's and an attachment's addresses carry their own id only (unguessable; the application is theirs): one
# address for every person entitled, whatever page led there.
@bp.post("/messages/<uuid:message_id>/partager", endpoint="share_message")
@login_required
def share(message_id: uuid.UUID):
    message = messages.message_by_id(message_id) or abort(404)
    application = readable_application(message.application_id)
    if refusal := permissions.can_share_message(current_user, application):
        raise refusal
    try:
        messages.share(message, current_user, now())
    except Refusal as refused:
        flash(refused.message, "error")
    else:
        flash("Le message est partagé avec les membres du comité affectés à cette candidature.", "success")
    return redirect(url_for("applications.messages", application_id=application.id) + f"#message-{message.id}")


@bp.get("/messages/pieces/<uuid:attachment_id>", endpoint="message_attachment")
@login_required
def download(attachment_id: uuid.UUID):
    """For the thread's readers, and the assigned reviewers for a shared message
    (permissions.can_download_attachment)."""
    attachment = messages.attachment_by_id(attachment_id) or abort(404)
    application = queries.get(attachment.message.application_id) or abort(404)
    refusal = permissions.can_download_attachment(current_user, application, attachment)
    if refusal and refusal.status == 404:
        abort(404)
    if refusal:  # blocked by the scanner: back to the thread, saying why, for who reads it
        if permissions.can_read_thread(current_user, application) is None:
            flash(refusal.message, "error")
            return redirect(url_for("applications.messages", application_id=application.id))
        raise refusal
    return send_stored(attachment.storage_key, attachment.original_name, mime_of(attachment.format))
