"""`portal storage gc [--grace MINUTES] [--dry-run]`: remove from the upload store the files nothing refers to."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from portal.core import storage_gc
from portal.core.formatting import number_fr
from portal.extensions import db

storage_cli = AppGroup("storage", help="Stockage des fichiers déposés.")


@storage_cli.command("gc")
@click.option("--grace", default=60, show_default=True, type=click.IntRange(min=0),
              help="Ne toucher qu'aux fichiers plus anciens que ce nombre de minutes : un dépôt en cours n'est "
                   "jamais supprimé.")
@click.option("--dry-run", is_flag=True, help="Afficher ce qui serait supprimé, sans rien supprimer.")
@click.option("--force", is_flag=True, help="Supprimer même si la base ne référence aucun fichier du stockage (par "
                                            "exemple une fois toutes les candidatures et tous les documents effacés).")
def gc(grace: int, dry_run: bool, force: bool) -> None:
    """Supprimer les fichiers orphelins (qu'aucune candidature ni aucun document du coffre-fort ne référence) et
    les fichiers temporaires laissés par un dépôt interrompu."""
    delay = dt.timedelta(minutes=grace)
    try:
        garbage = storage_gc.find(delay, force) if dry_run else storage_gc.collect(delay, force)
        db.session.commit()  # the audit entry of what was removed
    except storage_gc.Mismatch as mismatch:
        click.echo(str(mismatch), err=True)
        raise SystemExit(1) from mismatch
    for entry in garbage.entries:
        kind = "fichier temporaire d'un dépôt interrompu" if entry.temporary else "fichier orphelin"
        click.echo(f"{'à supprimer' if dry_run else 'supprimé'} : {entry.key} ({_bytes(entry.size)}, {kind})")
    count, size = len(garbage.entries), _bytes(garbage.size)
    if dry_run:
        click.echo(f"Simulation : {count} fichier(s) seraient supprimés ({size}), dont "
                   f"{garbage.temporaries} temporaire(s). Rien n'a été supprimé.")
    else:
        click.echo(f"{count} fichier(s) supprimé(s) ({size} libérés), dont {garbage.temporaries} "
                   "temporaire(s).")


def _bytes(size: int) -> str:
    return f"{number_fr(size)} octet{'s' if size > 1 else ''}"
