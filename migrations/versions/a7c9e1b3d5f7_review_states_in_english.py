"""reviews: states stored in English (decisions' outcomes, reviews' opinions), the French words only in labels

Revision ID: a7c9e1b3d5f7
Revises: f2b4d6a8c0e1
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa

from portal.core.db import foreign_keys_checked_at_the_end


revision = 'a7c9e1b3d5f7'
down_revision = 'f2b4d6a8c0e1'
branch_labels = None
depends_on = None

# Frozen here: a migration states the values of its day, whatever the enums become later.
OUTCOMES = {'retenu': 'selected', 'liste_complementaire': 'waiting_list', 'non_retenu': 'rejected',
            'desiste': 'withdrawn'}
OPINIONS = {'favorable': 'favourable', 'reserve': 'reserved', 'defavorable': 'unfavourable'}


def _in(column, values, nullable=False):
    condition = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def _checks(outcomes, opinions, refused):
    return {
        'decisions': [('ck_decisions_outcome', _in('outcome', outcomes)),
                      ('ck_decisions_motivated_refusal', f"outcome <> '{refused}' OR motivation IS NOT NULL")],
        'reviews': [('ck_reviews_opinion', _in('opinion', opinions, nullable=True))],
    }


def _rewrite(mapping_outcomes, mapping_opinions, checks_before, checks_after):
    connection = op.get_bind()
    with foreign_keys_checked_at_the_end(connection):
        for table, checks in checks_before.items():
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name, _ in checks:
                    batch_op.drop_constraint(op.f(name), type_='check')
        for old, new in mapping_outcomes.items():
            op.execute(sa.text("UPDATE decisions SET outcome = :new WHERE outcome = :old").bindparams(old=old, new=new))
            for column in ('outcome_before', 'outcome_after'):
                op.execute(sa.text(f"UPDATE decision_changes SET {column} = :new WHERE {column} = :old")
                           .bindparams(old=old, new=new))
        for old, new in mapping_opinions.items():
            op.execute(sa.text("UPDATE reviews SET opinion = :new WHERE opinion = :old").bindparams(old=old, new=new))
        # The opinion a submitted version froze, and the one waiting aside, read the same way as the live row.
        for table, column in (('review_versions', 'snapshot'), ('reviews', 'pending')):
            rows = sa.table(table, sa.column('id'), sa.column(column, sa.JSON))
            for row_id, value in connection.execute(sa.select(rows.c.id, rows.c[column])).all():
                if isinstance(value, dict) and value.get('opinion') in mapping_opinions:
                    connection.execute(rows.update().where(rows.c.id == row_id)
                                       .values({column: {**value, 'opinion': mapping_opinions[value['opinion']]}}))
        for table, checks in checks_after.items():
            with op.batch_alter_table(table, schema=None) as batch_op:
                for name, condition in checks:
                    batch_op.create_check_constraint(op.f(name), condition)


def upgrade():
    _rewrite(OUTCOMES, OPINIONS, _checks(OUTCOMES, OPINIONS, 'non_retenu'),
             _checks(OUTCOMES.values(), OPINIONS.values(), 'rejected'))


def downgrade():
    _rewrite({v: k for k, v in OUTCOMES.items()}, {v: k for k, v in OPINIONS.items()},
             _checks(OUTCOMES.values(), OPINIONS.values(), 'rejected'), _checks(OUTCOMES, OPINIONS, 'non_retenu'))
