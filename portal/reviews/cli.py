"""`portal reviews …`: the selection side's maintenance commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.catalog.queries import get_call
from portal.extensions import db
from portal.reviews import totals

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
