"""The `portal` command: Flask's CLI bound to create_app, with each domain's commands (`portal calls …`)."""

from __future__ import annotations

from flask.cli import FlaskGroup

from portal import create_app


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Portail des appels à projets.")(prog_name="portal")
