"""Site-wide pages that belong to no domain: home, accessibility statement, legal notice, personal data."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return redirect(url_for("catalog.index"))


@bp.get("/accessibilite")
def accessibility():
    return render_template("pages/accessibilite.html")


@bp.get("/mentions-legales")
def legal():
    return render_template("pages/mentions-legales.html")


@bp.get("/donnees-personnelles")
def personal_data():
    return render_template("pages/donnees-personnelles.html")
