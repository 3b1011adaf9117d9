"""The editor of a call's Markdown file (/gestion/redaction/): new call, text checked as `portal calls check` does,
revisions and their differences, preview as the public page, publication now or at a Paris date and time. Drafts
are private to the issuer's managers (404 to anyone else)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.catalog import authoring, permissions
from portal.catalog.authoring_forms import (
    ApprovalSettingForm,
    DuplicateForm,
    EditorForm,
    FromTemplateForm,
    ScheduleForm,
    UploadForm,
)
from portal.catalog.authoring_models import CallSource
from portal.catalog.models import Call, Management
from portal.catalog.schema import CARRIER_LABELS, CarrierType
from portal.catalog.status import call_status
from portal.core.errors import Refusal
from portal.core.hooks import contributions
from portal.core.time import PARIS, now

bp = Blueprint("authoring", __name__, url_prefix="/gestion/redaction")


def register(app, **staff_rules) -> None:
    """The editor's pages, given the accounts domain's rule of who manages an issuer's calls."""
    permissions.use_staff_rules(app, **staff_rules)
    app.register_blueprint(bp)


def _editable(slug: str) -> CallSource:
    draft = authoring.source(slug)
    if draft is None:
        raise Refusal.not_found()
    refusal = permissions.can_edit_source(current_user, draft)
    if refusal is not None:
        raise refusal
    return draft


def _authorable_issuers() -> list[str]:
    """The issuers she may write calls for: those the portal knows and those her grants name, as the accounts'
    rule (permissions.can_author_calls) admits them."""
    named = permissions.issuers_named(current_user)
    names = set(authoring.known_issuers(current_app.config.get("ISSUER_NAME"))) | named
    return sorted(name for name in names if permissions.can_author_calls(current_user, name) is None)


def _duplicable_calls() -> list[Call]:
    from sqlalchemy import select

    from portal.extensions import db

    calls = db.session.scalars(select(Call).order_by(Call.title))
    return [call for call in calls if permissions.can_author_calls(current_user, call.issuer) is None]


@bp.app_template_global("writes_calls")
def writes_calls(user) -> bool:
    """Whether « Nouvel appel » leads somewhere for her: an issuer's manager or an administrator (no query beyond
    her grants, which the page's menu has read already)."""
    if not getattr(user, "is_authenticated", False):
        return False
    issuers = permissions.issuers_named(user)
    issuers.add(current_app.config.get("ISSUER_NAME") or "")
    return any(permissions.can_author_calls(user, issuer) is None for issuer in issuers if issuer)


# ---- list and new call ---------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    issuers = _authorable_issuers()
    if not issuers:
        raise Refusal.not_found()
    sources = [s for s in authoring.all_sources() if permissions.can_edit_source(current_user, s) is None]
    settings = [(issuer, ApprovalSettingForm(issuer=issuer, approval_required=authoring.approval_required(issuer),
                                             prefix=f"r{n}")) for n, issuer in enumerate(issuers)]
    return render_template("catalog/authoring/index.html", sources=sources, settings=settings,
                           calls=_duplicable_calls(), Management=Management)


@bp.post("/parametres")
@login_required
def settings():
    issuer = request.form.get("issuer", "")
    refusal = permissions.can_author_calls(current_user, issuer)
    if refusal is not None:
        raise refusal
    authoring.set_approval_required(issuer, request.form.get("approval_required") == "y", current_user, now())
    flash("Le réglage de publication a été enregistré.", "success")
    return redirect(url_for(".index"), code=303)


def _new_forms(issuers: list[str], calls: list[Call]):
    posted = request.form.get("origin") if request.method == "POST" else None
    blank = FromTemplateForm(prefix="modele", formdata=None if posted != "modele" else request.form)
    blank.issuer.choices = [(name, name) for name in issuers]
    copy = DuplicateForm(prefix="copie", formdata=None if posted != "copie" else request.form)
    copy.call.choices = [("", "Choisir un appel")] + [(c.slug, f"{c.title} ({c.slug})") for c in calls]
    upload = UploadForm(prefix="fichier", formdata=None if posted != "fichier" else
                        request.form.copy() | request.files)
    return posted, blank, copy, upload


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
def new():
    issuers = _authorable_issuers()
    if not issuers:
        raise Refusal.not_found()
    calls = _duplicable_calls()
    posted, blank, copy, upload = _new_forms(issuers, calls)
    form = {"modele": blank, "copie": copy, "fichier": upload}.get(posted)
    if form is not None and form.validate():
        try:
            draft = _create(posted, form, issuers, calls)
        except Refusal as refusal:
            if refusal.status == 404:
                raise
            getattr(form, refusal.field or "slug").errors = [refusal.message]
        else:
            flash("Le brouillon est créé : il n'est visible que des gestionnaires de l'organisme.", "success")
            return redirect(url_for(".edit", slug=draft.slug), code=303)
    status = 422 if form is not None else 200
    return render_template("catalog/authoring/new.html", blank=blank, copy=copy, upload=upload,
                           posted=posted), status


def _create(origin: str, form, issuers: list[str], calls: list[Call]) -> CallSource:
    at = now()
    if origin == "modele":
        if form.issuer.data not in issuers:
            raise Refusal("Choisissez un organisme dont vous gérez les appels.", field="issuer")
        issuer, text = form.issuer.data, authoring.blank_text(form.issuer.data)
    elif origin == "copie":
        call = next((c for c in calls if c.slug == form.call.data), None)
        if call is None:
            raise Refusal("Choisissez un appel de la liste.", field="call")
        issuer, text = call.issuer, authoring.duplicate_text(call)
    else:
        text = authoring.uploaded_text(form.fichier.data)
        form.slug.data = form.slug.data or authoring.slug_from_name(form.fichier.data.filename)
        result = authoring.check(form.slug.data or "appel", text)
        issuer = result.spec.issuer.body if result.spec else issuers[0]
        if permissions.can_author_calls(current_user, issuer) is not None:
            raise Refusal(f"L'organisme émetteur du fichier, « {issuer} », n'est pas l'un de ceux dont vous gérez "
                          "les appels.", field="fichier")
    return authoring.create((form.slug.data or "").strip(), issuer, text, current_user, at, origin)


# ---- the editor ----------------------------------------------------------------------------------------------

def _editor(draft: CallSource, form: EditorForm, text: str, checked_now: bool = False, status: int = 200,
            schedule: ScheduleForm | None = None):
    result = authoring.check(draft.slug, text)
    call = authoring.published_call(draft.slug) if draft.call_id else None
    lines = text.splitlines()
    error_lines = sorted({e.line for e in result.errors if e.line})
    return render_template(
        "catalog/authoring/edit.html", draft=draft, form=form, result=result, checked_now=checked_now, call=call,
        lines=lines, error_lines=error_lines, schedule=schedule or ScheduleForm(formdata=None),
        approval_required=authoring.approval_required(draft.issuer),
        unsaved=authoring.normalise(text) != draft.text), status


@bp.get("/<slug>")
@login_required
def edit(slug: str):
    draft = authoring.source(slug)
    if draft is None:
        call = authoring.published_call(slug)
        if call is None or call.managed_by != Management.FILE:
            raise Refusal.not_found()
        refusal = permissions.can_read_call_file(current_user, call)
        if refusal is not None:
            raise refusal
        return render_template("catalog/authoring/file_managed.html", call=call, text=authoring.file_text(call))
    draft = _editable(slug)
    return _editor(draft, EditorForm(formdata=None, text=draft.text), draft.text)


@bp.post("/<slug>")
@login_required
def save(slug: str):
    draft = _editable(slug)
    form = EditorForm()
    text = form.text.data or ""
    if not form.validate():
        raise Refusal(form.text.errors[0], status=422)
    if request.form.get("action") == "verifier":  # checked, nothing written
        result = authoring.check(draft.slug, text)
        return _editor(draft, form, text, checked_now=True, status=200 if result.valid else 422)
    revision = authoring.save(draft, text, current_user, now())
    if revision is None:
        flash("Aucune modification : le texte est celui de la dernière version.", "info")
    else:
        valid = authoring.check(draft.slug, draft.text).valid
        flash(f"Version {revision.number} enregistrée" + ("." if valid else " comme brouillon : le texte contient "
              "des erreurs, à corriger avant de publier."), "success")
    return redirect(url_for(".edit", slug=slug), code=303)


@bp.post("/<slug>/verifier")
@login_required
def check_json(slug: str):
    """The errors of the text as typed, for the editor's script; writes nothing."""
    draft = _editable(slug)
    result = authoring.check(draft.slug, request.form.get("text", ""))
    as_json = [{"line": e.line, "field": e.field, "message": e.message} for e in result.errors]
    warnings = [{"line": w.line, "field": w.field, "message": w.message} for w in result.warnings]
    return jsonify(valid=result.valid, errors=as_json, warnings=warnings)


@bp.get("/<slug>/fichier.md")
@login_required
def download(slug: str):
    draft = authoring.source(slug)
    if draft is not None:
        text = _editable(slug).text
    else:
        call = authoring.published_call(slug) or _not_found()
        refusal = permissions.can_read_call_file(current_user, call)
        if refusal is not None:
            raise refusal
        text = authoring.file_text(call)
    return Response(text, mimetype="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{slug}.md"'})


def _not_found():
    raise Refusal.not_found()


# ---- preview ---------------------------------------------------------------------------------------------------

@bp.get("/<slug>/apercu")
@login_required
def preview(slug: str):
    draft = _editable(slug)
    result = authoring.check(draft.slug, draft.text)
    if result.spec is None:
        return render_template("catalog/authoring/preview_invalid.html", draft=draft, result=result), 422
    moment = now()
    call = authoring.services.unsaved_call(draft.slug, result.spec, result.body, moment)  # never in the session

    def slots(slot: str, **context):
        if slot == "call.apply":  # no window to apply to yet: said instead of a form that would go nowhere
            return [Markup('<p class="hint">Aperçu : le bouton « Candidater » apparaîtra ici une fois '
                           "l'appel publié.</p>")]
        return contributions(slot, **context)

    return render_template("catalog/authoring/preview.html", draft=draft, call=call, spec=call.spec,
                           status=call_status(call, moment), moment=moment, carrier_labels=CARRIER_LABELS,
                           CarrierType=CarrierType, contributions=slots)


# ---- publication -------------------------------------------------------------------------------------------------

@bp.post("/<slug>/publier")
@login_required
def publish(slug: str):
    draft = _editable(slug)
    call = authoring.publish(draft, current_user, now())
    flash(f"L'appel est publié : /appels/{call.slug}/.", "success")
    return redirect(url_for(".edit", slug=slug), code=303)


@bp.post("/<slug>/programmer")
@login_required
def schedule(slug: str):
    draft = _editable(slug)
    form = ScheduleForm()
    if form.validate():
        when = dt.datetime.combine(form.date.data, form.time.data, PARIS).astimezone(dt.UTC)
        try:
            authoring.schedule(draft, when, current_user, now())
        except Refusal as refusal:
            if refusal.field != "date":
                raise
            form.date.errors = [refusal.message]
        else:
            flash("La publication est programmée.", "success")
            return redirect(url_for(".edit", slug=slug), code=303)
    return _editor(draft, EditorForm(formdata=None, text=draft.text), draft.text, status=422, schedule=form)


@bp.post("/<slug>/annuler-programmation")
@login_required
def cancel_schedule(slug: str):
    authoring.cancel_schedule(_editable(slug), current_user)
    flash("La publication programmée est annulée.", "success")
    return redirect(url_for(".edit", slug=slug), code=303)


@bp.post("/<slug>/demander-approbation")
@login_required
def request_approval(slug: str):
    authoring.request_approval(_editable(slug), current_user, now())
    flash("L'approbation est demandée : un autre gestionnaire de l'organisme peut maintenant approuver ce texte.",
          "success")
    return redirect(url_for(".edit", slug=slug), code=303)


@bp.post("/<slug>/approuver")
@login_required
def approve(slug: str):
    authoring.approve(_editable(slug), current_user, now())
    flash("Vous avez approuvé ce texte : il peut être publié.", "success")
    return redirect(url_for(".edit", slug=slug), code=303)


@bp.post("/<slug>/retirer")
@login_required
def unpublish(slug: str):
    authoring.unpublish(_editable(slug), current_user)
    flash("L'appel est retiré du portail ; son texte reste un brouillon.", "success")
    return redirect(url_for(".edit", slug=slug), code=303)


# ---- revisions ---------------------------------------------------------------------------------------------------

@bp.get("/<slug>/versions")
@login_required
def revisions(slug: str):
    draft = _editable(slug)
    numbers = {r.number: r for r in draft.revisions}
    last = len(draft.revisions)
    old_n = request.args.get("de", type=int) or max(last - 1, 1)
    new_n = request.args.get("a", type=int) or last
    old, new = numbers.get(old_n), numbers.get(new_n)
    groups = authoring.diff(old.text, new.text) if old and new else []
    return render_template("catalog/authoring/revisions.html", draft=draft, old=old, new=new, groups=groups)
