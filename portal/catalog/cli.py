"""`portal calls check` and `portal calls sync`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.catalog import alerts, loader, services
from portal.core.time import now
from portal.extensions import db

calls_cli = AppGroup("calls", help="Appels : vérifier et publier les fichiers de calls/.")


def _paths(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p) for p in paths] or [current_app.config["CALLS_DIR"]]


@calls_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def check(paths: tuple[str, ...]) -> None:
    """Vérifie les fichiers d'appels et affiche chaque erreur (fichier:ligne: champ: message) et chaque
    avertissement (dates qui se contredisent : le fichier reste valide)."""
    results = loader.load_all(_paths(paths))
    errors = [error for result in results for error in result.errors]
    warnings = [warning for result in results for warning in result.warnings]
    for result in results:
        for error in result.errors:
            click.echo(str(error), err=True)
        for warning in result.warnings:
            where = f"{warning.file}:{warning.line}" if warning.line is not None else warning.file
            click.echo(f"{where}: avertissement : {warning.field}: {warning.message}", err=True)
    if not results:
        click.echo("Aucun fichier d'appel (.md) trouvé.", err=True)
        raise SystemExit(1)
    invalid = sum(not r.valid for r in results)
    click.echo(f"{len(results)} fichier(s) vérifié(s), {invalid} invalide(s), {len(errors)} erreur(s), "
               f"{len(warnings)} avertissement(s).")
    if errors:
        raise SystemExit(1)


@calls_cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def sync(paths: tuple[str, ...]) -> None:
    """Publie les appels valides ; un fichier invalide est refusé et sa version publiée reste en ligne."""
    report = services.sync_calls(_paths(paths), at=now())
    db.session.commit()  # every valid file at once; a refused one changed nothing
    for error in report.errors:
        click.echo(str(error), err=True)
    click.echo(f"{len(report.created)} publié(s), {len(report.updated)} mis à jour, "
               f"{len(report.unchanged)} inchangé(s), {len({e.file for e in report.errors})} refusé(s).")
    if report.errors:
        raise SystemExit(1)


alerts_cli = AppGroup("alerts", help="Alertes par courriel sur les appels.")


@alerts_cli.command("send")
def send_alerts() -> None:
    """Mettre en file d'attente les courriels d'alerte dus (puis `portal mail send` les envoie)."""
    queued = alerts.send_due()  # its links come from PORTAL_BASE_URL (core.urls): no request needed
    # One transaction: queuing touches only the database (the outbox sends later), so a failure half-way queues
    # nothing and marks nothing sent, and the next run does it all.
    db.session.commit()
    click.echo(f"{queued} alerte(s) mise(s) en file d'attente.")
