"""`portal applications …`: the reminders sent two days before a deadline (run it daily, e.g. from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.applications import reminders
from portal.core.time import now

applications_cli = AppGroup("applications", help="Candidatures.")


@applications_cli.command("remind")
def remind() -> None:
    """Rappeler, deux jours avant la date limite, les brouillons non déposés (puis `portal mail send`)."""
    count = reminders.send_due(now())  # its links come from PORTAL_BASE_URL (core.urls): no request needed
    click.echo(f"{count} candidature(s) rappelée(s).")
