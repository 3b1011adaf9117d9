"""The Alembic migrations build exactly the tables the models describe, on the database under test."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.catalog import search
from portal.extensions import db

pytestmark = pytest.mark.real_commits  # the migrations' own connection reads the database as it stands


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                              "include_name": search.include_in_comparison})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
