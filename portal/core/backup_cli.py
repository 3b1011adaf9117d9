"""`portal backup DEST` and `portal restore SRC`: a consistent copy of the database and the upload store."""

from __future__ import annotations

from pathlib import Path

import click

from portal.core import audit, backup
from portal.extensions import db


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest: Path) -> None:
    """Sauvegarder la base de données et les fichiers déposés dans le nouveau dossier DEST, portail en marche."""
    try:
        report = backup.backup(dest)
    except backup.BackupError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Sauvegarde écrite dans {dest} : base {backup.KIND_NAMES[report.kind]} (révision {report.revision}), "
               f"{report.files} fichier(s), {report.bytes / 1024 / 1024:.1f} Mo, vérifiée.")
    if not report.problems:
        # Recorded once verified, for the administrator's « État de l'instance » (core.health.last_backup). The
        # entry postdates the snapshot, so the backup itself does not hold it.
        audit.record(backup.DONE, folder=str(dest), files=report.files, bytes=report.bytes)
        db.session.commit()
    if report.problems:
        for problem in report.problems:
            click.echo(f"Attention : {problem}", err=True)
        raise SystemExit(1)


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Remplacer une base ou un dossier de fichiers qui contient déjà des données.")
def restore_command(src: Path, force: bool) -> None:
    """Restaurer dans ce portail (base et fichiers déposés) une sauvegarde faite par « portal backup »."""
    try:
        manifest = backup.restore(src, force=force)
    except backup.BackupError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Sauvegarde du {manifest['created_at']} restaurée : {len(manifest['files'])} fichier(s), "
               f"révision {manifest['alembic_revision']}. Lancez « portal db upgrade » si ce portail est plus récent.")
