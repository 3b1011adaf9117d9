"""`portal reviews …`: the selection side's maintenance commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.catalog.queries import get_call
from portal.core.time import now
from portal.extensions import db
from portal.reviews import reminders, totals

reviews_cli = AppGroup("reviews", help="Sélection des candidatures (évaluation, classement).")


@reviews_cli.command("recompute")
@click.argument("slug")
def recompute(slug: str) -> None:
    """Recalcule les notes sur 20 des évaluations d'un appel avec ses pondérations actuelles."""
    call = get_call(slug)
    if call is None:
        raise click.ClickException(f"Aucun appel publié à l'adresse /appels/{slug}/.")
    changed = totals.recompute_totals(call)
    db.session.commit()
    click.echo(f"{changed} évaluation(s) recalculée(s).")


@reviews_cli.command("remind")
def remind() -> None:
    """Rappeler aux évaluateurs, deux jours avant la date limite des évaluations, celles qu'ils n'ont pas remises."""
    count = reminders.send_due(now())  # its links come from PORTAL_BASE_URL (core.urls): no request needed
    click.echo(f"{count} évaluateur(s) rappelé(s).")
