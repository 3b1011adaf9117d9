"""`portal calls check`, `sync`, `export` (the portal's calls back to files) and `publish-due` (scheduled publications)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.catalog import alerts, authoring, loader, services
from portal.core.errors import Refusal
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


@calls_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def export(folder: str) -> None:
    """Écrit le fichier de chaque appel rédigé dans le portail dans DOSSIER/<adresse>.md (pour le garder dans git)."""
    written = authoring.export(Path(folder))
    for path in written:
        click.echo(str(path))
    click.echo(f"{len(written)} fichier(s) d'appel écrit(s) dans {folder}.")


@calls_cli.command("publish-due")
def publish_due() -> None:
    """Publie les appels dont la publication programmée est arrivée (à lancer chaque minute)."""
    published = failed = 0
    for source_id in authoring.due(now()):
        try:
            call = authoring.publish_scheduled(source_id, now())
        except Refusal as refusal:  # the text or the setting changed since: the draft is kept, the schedule dropped
            db.session.rollback()
            authoring.give_up_schedule(source_id, refusal.message)
            db.session.commit()
            click.echo(f"Publication programmée abandonnée (source {source_id}) : {refusal.message}", err=True)
            failed += 1
            continue
        db.session.commit()  # one call at a time: a refused one does not hold back the others
        click.echo(f"Publié : /appels/{call.slug}/")
        published += 1
    click.echo(f"{published} appel(s) publié(s), {failed} abandonné(s).")


alerts_cli = AppGroup("alerts", help="Alertes par courriel sur les appels.")


@alerts_cli.command("send")
def send_alerts() -> None:
    """Mettre en file d'attente les courriels d'alerte dus (puis `portal mail send` les envoie)."""
    queued = alerts.send_due()  # its links come from PORTAL_BASE_URL (core.urls): no request needed
    # One transaction: queuing touches only the database (the outbox sends later), so a failure half-way queues
    # nothing and marks nothing sent, and the next run does it all.
    db.session.commit()
    click.echo(f"{queued} alerte(s) mise(s) en file d'attente.")
