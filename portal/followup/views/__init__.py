"""The follow-up domain's pages, registered by create_app. Each part (conventions, payments, reports) adds its
blueprint and its contributions to the slots here."""

from __future__ import annotations

from flask import Flask

from portal.followup import models  # noqa: F401 - the tables, with the metadata wherever the app is


def register(app: Flask) -> None:
    """Nothing routed yet: the schema comes first (issue 17)."""
    from portal.followup.views import conventions  # the conventions' pages
    conventions.register(app)
    from portal.followup.views import reports  # the reports' (« bilans ») pages
    reports.register(app)
    from portal.followup.views import payments  # the payments' (« échéancier ») pages and the finance home
    payments.register(app)
    from portal.followup.views import indicators  # a call's indicators added up, against its targets
    indicators.register(app)
    from portal.followup.views import convention_territories  # a convention's territories, set by its manager
    convention_territories.register(app)
    from portal.followup.views import bundle  # a convention's « dossier de contrôle » (ZIP with its index)
    bundle.register(app)
