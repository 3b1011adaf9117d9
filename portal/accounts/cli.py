"""`portal users create-admin`: the first account, before anyone can grant roles in the browser."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.accounts import auth, roles
from portal.accounts.models import Role
from portal.core.errors import Refusal
from portal.extensions import db

users_cli = AppGroup("users", help="Comptes et rôles.")


@users_cli.command("create-admin")
@click.option("--email", prompt="Adresse électronique")
@click.option("--name", prompt="Nom et prénom")
@click.password_option("--password", prompt="Mot de passe (12 caractères au moins)")
def create_admin(email: str, name: str, password: str) -> None:
    """Créer un compte administrateur de la plateforme (adresse considérée comme confirmée)."""
    try:
        user = auth.create_confirmed_user(email, name, password)
        roles.grant_role(user, Role.ADMIN, by=None)
    except Refusal as refused:
        db.session.rollback()
        raise click.ClickException(refused.message) from refused
    db.session.commit()  # the account and its role, together
    click.echo(f"Administrateur créé : {user.email}")
