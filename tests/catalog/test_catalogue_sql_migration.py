"""Migration a4b6c8d0e2f3 on calls published before it: their closing instant (calls.ends_at) is filled from their
windows or their period, and the search index is built, as publication would have done."""

from __future__ import annotations

import pathlib

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from portal.catalog import queries
from portal.catalog.models import Call
from portal.core.time import now
from portal.extensions import db

MIGRATIONS = str(pathlib.Path(__file__).resolve().parents[2] / "migrations")


@pytest.mark.real_commits  # migrations run on their own connection
def test_calls_published_before_the_migration_get_their_closing_and_their_search_index(publish_call, clock):
    clock("2025-04-20 10:00")
    publish_call("deux-fenetres", title="Le tramway solidaire",
                 windows=[{"key": "ami-1", "label": "AMI 1", "opens_on": "2025-01-06", "closes_on": "2025-02-03"},
                          {"key": "ami-2", "label": "AMI 2", "opens_on": "2025-07-01", "closes_on": "2025-10-31"}])
    publish_call("cadre-periode", kind="cadre", windows=[], carriers=None, title="Cadre national des équipes",
                 period={"start": "2024-01-01", "end": "2025-03-30"})
    publish_call("cadre-sans-periode", kind="cadre", windows=[], carriers=None, title="Cadre permanent")
    published = dict(db.session.execute(select(Call.slug, Call.ends_at)).all())
    assert published["cadre-sans-periode"] is None
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="f3a5c7e9b1d2")  # the column and the index go
    upgrade(directory=MIGRATIONS)  # and come back, from the windows, the files' periods and the texts

    assert dict(db.session.execute(select(Call.slug, Call.ends_at)).all()) == published
    found = queries.search_calls(queries.CatalogFilter(q="tramways", status="tout"), now())
    assert [item.call.slug for item in found] == ["deux-fenetres"]
    archives = queries.search_calls(queries.CatalogFilter(status="cloture"), now())
    assert [item.call.slug for item in archives] == ["cadre-periode"]
