"""`portal mail send [--loop]`: deliver the outbox."""

from __future__ import annotations

import time as wall

import click
from flask.cli import AppGroup

from portal.core import mail

mail_cli = AppGroup("mail", help="Courriels : envoi de la file d'attente.")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Continuer indéfiniment, en vérifiant la file toutes les N secondes.")
@click.option("--every", default=10, show_default=True, help="Intervalle en secondes (avec --loop).")
def send(loop: bool, every: int) -> None:
    """Envoyer les courriels en attente."""
    while True:
        sent, failed = mail.deliver_pending()
        click.echo(f"{sent} courriel(s) envoyé(s), {failed} en échec (nouvel essai plus tard).")
        if not loop:
            raise SystemExit(1 if failed else 0)
        wall.sleep(every)
