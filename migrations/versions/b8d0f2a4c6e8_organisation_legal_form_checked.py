"""accounts: an organisation's legal form is one of the legal forms the calls list as carriers (core.vocabulary.LegalForm),
checked by the database

Revision ID: b8d0f2a4c6e8
Revises: a7c9e1b3d5f7
Create Date: 2026-12-01 12:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d0f2a4c6e8'
down_revision = 'a7c9e1b3d5f7'
branch_labels = None
depends_on = None

# Frozen here: a migration states the values of its day, whatever the enum becomes later.
FORMS = ('association', 'fondation', 'bailleur_social', 'organisme_agree', 'etablissement_public', 'collectivite',
         'service_etat', 'autre')
CONDITION = f"legal_form IN ({', '.join(repr(form) for form in FORMS)})"


def upgrade():
    # The form never offered another value, but the database did not refuse one: any such row says « autre ».
    op.execute(sa.text(f"UPDATE organisations SET legal_form = 'autre' WHERE NOT ({CONDITION})"))
    # SQLite rebuilds the table by copy: migrations/env.py runs this with its foreign keys off, checked at the end.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_organisations_legal_form'), CONDITION)


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisations_legal_form'), type_='check')
