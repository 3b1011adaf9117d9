"""`portal backup DEST` and `portal restore SRC`: a consistent copy of the database and the upload store."""

from __future__ import annotations

import click


@click.command("backup")
@click.argument("dest", type=click.Path())
def backup_command(dest: str) -> None:
    """Sauvegarder la base de données et les fichiers déposés dans le dossier DEST."""
    raise click.ClickException("La sauvegarde n'est pas encore disponible.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
def restore_command(src: str) -> None:
    """Restaurer une sauvegarde faite par « portal backup » depuis le dossier SRC."""
    raise click.ClickException("La restauration n'est pas encore disponible.")
