"""The application form a call implies, shown read-only in the call editor's preview (slot call.preview_form): the
applicant's questions and budget (templates/applications/_form_fields.html, the partial of her form page) with
empty answers, and the documents asked."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from portal.applications import answers, cerfa
from portal.catalog.models import Call


def fragment(call: Call) -> Markup:
    """The fragment for `call` — a Call not necessarily saved (the preview's is never in the session)."""
    return Markup(render_template("applications/_preview_form.html", call=call, spec=call.spec, given={},
                                  problems={}, cerfa=cerfa, totals=cerfa.totals_of({}),
                                  row_count=answers.row_count, length_limit=answers.length_limit))
