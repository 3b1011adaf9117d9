"""The public check of a receipt: whoever holds the verification link sees what the portal holds for that version."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from portal.applications import queries, receipts

bp = Blueprint("verification", __name__, url_prefix="/verifier")


@bp.get("/<code>")
def verify(code: str):
    version = queries.version_by_code(code) or abort(404)
    receipt = receipts.receipt_of(version.application, version)
    return render_template("applications/verify.html", receipt=receipt)
