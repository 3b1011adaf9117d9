"""`portal followup …`: the follow-up's maintenance commands (issue 17)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.core.time import now
from portal.extensions import db
from portal.followup import conventions

followup_cli = AppGroup("followup", help="Suivi des subventions attribuées (conventions, versements, bilans).")


@followup_cli.command("remind-conventions")
def remind_conventions() -> None:
    """Rappeler aux organisations les conventions envoyées et non signées depuis FOLLOWUP_SIGNATURE_REMINDER_DAYS
    jours (15 par défaut), une fois par période."""
    days = int(current_app.config.get("FOLLOWUP_SIGNATURE_REMINDER_DAYS", 15))
    count = conventions.remind_unsigned(now(), days)
    db.session.commit()
    click.echo(f"{count} convention(s) rappelée(s).")


@followup_cli.command("remind-reports")
def remind_reports() -> None:
    """Rappeler aux organisations les bilans à déposer : 15 jours avant l'échéance, puis 7 jours après si le bilan
    n'est pas déposé, une fois chacun."""
    from portal.followup import reports

    sent = 0
    for report, when in reports.due_reminders(now()):
        reports.remind(report, when, now())
        db.session.commit()  # once per report: a failure neither resends nor loses the others
        sent += 1
    click.echo(f"{sent} bilan(s) rappelé(s).")


@followup_cli.command("payments-due")
def payments_due() -> None:
    """Rendre dues les tranches à date des conventions signées dont la date est arrivée (heure de Paris), avec leur
    montant et son calcul ; à lancer chaque jour."""
    from portal.core.time import today_paris
    from portal.followup import payments

    made = payments.make_dated_tranches_due(today_paris(now()), now())
    db.session.commit()
    click.echo(f"{len(made)} tranche(s) devenue(s) due(s).")
