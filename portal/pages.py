"""Site-wide pages that belong to no domain: home, accessibility statement, legal notice, personal data; and the
look every page shares (issuer's logo, theme)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, redirect, render_template, url_for

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _identity() -> dict:
    """The issuer's brand on every page: its logo (a file under static/ or a path on this site) and the theme, "neutre" or "etat"."""
    config = current_app.config
    logo = config.get("ISSUER_LOGO")
    if logo and not logo.startswith("/"):  # a file under static/; the CSP allows images from this site only
        logo = url_for("static", filename=logo)
    return {"issuer_logo": logo, "theme": config.get("THEME", "neutre"),
            "contact_email": config.get("CONTACT_EMAIL")}


@bp.get("/")
def home():
    return redirect(url_for("catalog.index"))


@bp.get("/accessibilite")
def accessibility():
    established = dt.date.fromisoformat(current_app.config["ACCESSIBILITY_STATEMENT_DATE"])
    return render_template("pages/accessibilite.html", established=established)


@bp.get("/mentions-legales")
def legal():
    return render_template("pages/mentions-legales.html")


@bp.get("/donnees-personnelles")
def personal_data():
    return render_template("pages/donnees-personnelles.html")
