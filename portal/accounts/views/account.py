"""Sign-up, e-mail confirmation, sign-in and out, password reset, the account page, personal data."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import auth, organisations, personal, sessions
from portal.accounts.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmptyForm,
    ForgotPasswordForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
)
from portal.accounts.queries import memberships_of, normalise_email
from portal.core import hooks, tokens, unit_of_work
from portal.core.errors import Refusal
from portal.core.text import safe_next
from portal.core.time import now
from portal.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/compte")


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT"]


def _form_limit() -> str:
    return current_app.config["FORM_LIMIT_ADDRESS"]


def _submitted_account() -> str:
    return "compte:" + normalise_email(request.form.get("email", ""))


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        auth.sign_up(form.email.data, form.name.data, form.password.data)
        return render_template("accounts/check_mail.html", email=normalise_email(form.email.data))
    return render_template("accounts/sign_up.html", form=form)


@bp.get("/confirmer/<token>")
def confirm(token: str):
    try:
        auth.confirm_email(token)
    except tokens.InvalidToken as invalid:
        return render_template("accounts/link_problem.html", message=invalid.message), 400
    unit_of_work.keep()  # a GET that writes: the link is followed from a mail client
    flash("Votre adresse est confirmée. Vous pouvez vous connecter.", "success")
    return redirect(url_for(".sign_in"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_submitted_account, methods=["POST"])
def sign_in():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.email.data, form.password.data)
        except Refusal as failure:
            error = failure.message
            # Refused, yet kept: the failed attempt stays in the audit log, the confirmation link resent stays sent.
            unit_of_work.keep()
        else:
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            sessions.start(user, remember=form.remember.data, at=now())
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or _landing(user))
    return render_template("accounts/sign_in.html", form=form, error=error), 200 if error is None else 400


def _landing(user) -> str:
    """Where a person lands after signing in: the home her roles give with the lowest priority (the domains say it
    through the `home` slot: manager, reviewer, administrator, member), else « Mon compte »."""
    homes = hooks.contributions("home", user=user)
    return min(homes, key=lambda home: home[0])[1] if homes else url_for(".home")


def _forget_this_browser() -> None:
    """Empty the session, then let Flask-Login sign out: in this order its instruction to delete the « rester
    connecté » cookie survives (clearing after logout_user erased it and left the person signed in)."""
    session.clear()
    logout_user()


@bp.post("/deconnexion")
def sign_out():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:
            sessions.end(current_user, now())
        _forget_this_browser()
        flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("pages.home"))


@bp.post("/deconnexion-partout")
@login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        closed = sessions.end_all(current_user, now(), "everywhere")
        _forget_this_browser()
        flash(f"Vous êtes déconnecté de tous vos appareils ({closed} session(s) fermée(s)).", "success")
        return redirect(url_for(".sign_in"))
    return redirect(url_for(".home"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        auth.request_password_reset(form.email.data)
        return render_template("accounts/check_mail.html", email=normalise_email(form.email.data), reset=True)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = auth.user_for_reset(token)
    except tokens.InvalidToken as invalid:
        return render_template("accounts/link_problem.html", message=invalid.message, reset=True), 400
    form = ResetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        try:
            auth.reset_password(token, form.password.data)
        except (Refusal, tokens.InvalidToken) as failure:
            form.password.errors.append(failure.message)
        else:
            flash("Votre mot de passe est changé. Connectez-vous avec le nouveau.", "success")
            return redirect(url_for(".sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/")
@login_required
def home():
    return render_template("accounts/home.html", memberships=memberships_of(current_user),
                           password_form=ChangePasswordForm(), empty=EmptyForm(),
                           devices=sessions.open_count(current_user, now()))


@bp.post("/mot-de-passe")
@login_required
def change_password():
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        try:
            auth.change_password(current_user, form.current.data, form.password.data)
        except Refusal as failure:
            form.current.errors.append(failure.message)
        else:
            flash("Votre mot de passe est changé ; vos autres sessions sont fermées.", "success")
            return redirect(url_for(".home"))
    return render_template("accounts/home.html", memberships=memberships_of(current_user), password_form=form,
                           empty=EmptyForm(), devices=sessions.open_count(current_user, now())), 400


@bp.post("/organisation-active")
@login_required
def switch_organisation():
    chosen = request.form.get("organisation", "")
    form = EmptyForm()
    if form.validate_on_submit() and any(str(m.organisation_id) == chosen for m in memberships_of(current_user)):
        session["organisation"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for(".home"))


@bp.get("/donnees.json")
@login_required
def export_data():
    response = jsonify(personal.export(current_user))
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


@bp.route("/supprimer", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not auth.passwords.verify(current_user.password_hash, form.password.data):
            form.password.errors.append("Le mot de passe est incorrect.")
        else:
            personal.delete_account(current_user)  # a Refusal (the last administrator) goes back to this page
            _forget_this_browser()
            flash("Votre compte est supprimé.", "success")
            return redirect(url_for("pages.home"))
    return render_template("accounts/delete.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invited = organisations.invitation_for_token(token)
    except Refusal as problem:
        return render_template("accounts/link_problem.html", message=problem.message), 400
    form = EmptyForm()
    if request.method == "POST" and current_user.is_authenticated and form.validate_on_submit():
        membership = organisations.accept_invitation(token, current_user)  # refused: back here with the reason
        session["organisation"] = str(membership.organisation_id)
        flash(f"Vous avez rejoint {invited.organisation.legal_name}.", "success")
        return redirect(url_for("organisations.show", organisation_id=membership.organisation_id))
    return render_template("accounts/invitation.html", invitation=invited, form=form, token=token)
