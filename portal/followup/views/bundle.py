"""The download of a convention's « dossier de contrôle » (followup.bundle), from the convention's staff page.

A POST (with the CSRF token every form carries), not a link: each download is audited (« followup.bundle », with its file count), and
a GET never writes (core.unit_of_work), nor would a prefetching browser or a crawler make an entry. The ZIP is
written to a temporary file first — it may weigh hundreds of megabytes, so never in memory — and then sent."""

from __future__ import annotations

import tempfile
import uuid

from flask import Blueprint, Flask, flash, redirect, send_file, url_for
from flask_login import current_user, login_required

from portal.core import audit, outages
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db
from portal.followup import bundle, bundle_index
from portal.followup.models import Convention

bp = Blueprint("bundle", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/dossier-de-controle")
@login_required
def download(convention_id: uuid.UUID):
    convention = db.session.get(Convention, convention_id)
    if convention is None:
        raise Refusal.not_found()
    if refusal := bundle.can_download_bundle(current_user, convention):
        raise refusal
    at = now()
    gathered = bundle.gather(convention, current_user, at)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it, once sent or abandoned
    try:
        size = bundle.write_zip(gathered, bundle_index.index_pdf(gathered, current_user, at), spool)
    except OSError as error:
        spool.close()
        flash(outages.disk_full_message(error), "error")
        return redirect(url_for("conventions.show", convention_id=convention.id))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    audit.record("followup.bundle", actor=current_user, target=f"convention:{convention.id}",
                 number=convention.number, files=gathered.file_count, size=size)
    response = send_file(spool, mimetype="application/zip", as_attachment=True, max_age=0,
                         download_name=f"dossier-de-controle-{convention.number}.zip")
    response.headers["Cache-Control"] = "no-store"
    return response
