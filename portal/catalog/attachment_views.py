"""The files published with a call written in the portal: their issuer's managers add and remove them
(/gestion/redaction/<slug>/pieces-jointes), the call's page lists them and anyone downloads them
(/appels/<slug>/documents/<id>)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length

from portal.catalog import attachments, authoring, permissions, queries
from portal.catalog.authoring_models import CallSource
from portal.core import security
from portal.core.errors import Refusal
from portal.core.files import FORMATS, mime_of
from portal.core.scan_status import SCAN_LABELS, ScanStatus
from portal.core.storage import send_stored
from portal.core.time import now
from portal.core.upload_forms import store_from_form

bp = Blueprint("call_attachments", __name__, url_prefix="/gestion/redaction")
public_bp = Blueprint("call_documents", __name__, url_prefix="/appels")


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    security.public_blueprints(app, public_bp.name)  # the same files for every visitor
    app.add_template_global(attachments.published_with, "call_attachments")  # catalog/_attachments.html
    app.add_template_global(lambda key: FORMATS[key][1] if key in FORMATS else key.upper(), "file_format_label")


class AttachmentForm(FlaskForm):
    title = StringField("Titre du document", description="Tel que la page de l'appel le listera : « Avis d'appel "
                        "signé », « Modèle de budget ».", render_kw={"maxlength": attachments.TITLE_MAX},
                        validators=[Length(max=attachments.TITLE_MAX,
                                           message=f"{attachments.TITLE_MAX} caractères au plus.")])
    file = FileField("Fichier", description=attachments.HINT,
                     render_kw={"accept": ",".join(f".{key}" for key in attachments.FORMATS)})


def _editable(slug: str) -> CallSource:
    source = authoring.source(slug)
    if source is None:
        raise Refusal.not_found()
    if refusal := permissions.can_edit_source(current_user, source):
        raise refusal
    return source


def _page(source: CallSource, form: AttachmentForm, status: int = 200):
    listed = attachments.of_source(source)
    blocked = {a.id for a in listed if ScanStatus(a.scan_status).is_blocked}
    return render_template("catalog/attachments.html", source=source, form=form, listed=listed, blocked=blocked,
                           scan_labels=SCAN_LABELS), status


@bp.get("/<slug>/pieces-jointes")
@login_required
def manage(slug: str):
    return _page(_editable(slug), AttachmentForm())


@bp.post("/<slug>/pieces-jointes")
@login_required
def add(slug: str):
    source = _editable(slug)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return _page(source, form, 422)
    upload = form.file.data
    attachment, status = store_from_form(form, lambda: attachments.add(
        source, form.title.data, getattr(upload, "stream", None), getattr(upload, "filename", "") or "",
        current_user, now()), file_field="file", fields=("title", "file"))
    if status is not None:
        return _page(source, form, status)
    flash(f"« {attachment.title} » est joint à l'appel"
          f"{' et listé sur sa page' if source.call_id else ' ; sa page le listera dès la publication'}.", "success")
    return redirect(url_for(".manage", slug=source.slug))


@bp.post("/<slug>/pieces-jointes/<uuid:attachment_id>/retirer")
@login_required
def remove(slug: str, attachment_id: uuid.UUID):
    source = _editable(slug)
    attachment = attachments.get(source, attachment_id) or abort(404)
    attachments.remove(attachment, current_user)
    flash(f"« {attachment.title} » est retiré de l'appel.", "success")
    return redirect(url_for(".manage", slug=source.slug))


@bp.get("/<slug>/pieces-jointes/<uuid:attachment_id>")
@login_required
def download_draft(slug: str, attachment_id: uuid.UUID):
    """The managers' own copy, before publication too; a file a scanner blocked is not handed out."""
    source = _editable(slug)
    attachment = attachments.get(source, attachment_id) or abort(404)
    if ScanStatus(attachment.scan_status).is_blocked:
        raise Refusal.forbidden(f"« {attachment.original_name} » n'est pas téléchargeable : "
                                f"{SCAN_LABELS[ScanStatus(attachment.scan_status)]}.")
    return send_stored(attachment.storage_key, attachment.original_name, mime_of(attachment.format))


@public_bp.get("/<slug>/documents/<uuid:attachment_id>")
def download(slug: str, attachment_id: uuid.UUID):
    """A document of a published call, for anyone: always a download; none a scanner blocked (404)."""
    call = queries.get_call(slug) or abort(404)
    attachment = attachments.published_one(call, attachment_id) or abort(404)
    return send_stored(attachment.storage_key, attachment.original_name, mime_of(attachment.format))
