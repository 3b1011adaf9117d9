"""One list of legal forms: what an organisation declares is what a call lists as its carriers, and the database
refuses any other."""

import pytest
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import LEGAL_FORMS, Organisation
from portal.catalog.schema import CARRIER_LABELS, CarrierType
from portal.core import time
from portal.core.vocabulary import LegalForm
from portal.extensions import db


def test_the_organisations_forms_are_the_calls_carrier_types():
    assert CarrierType is LegalForm and list(LEGAL_FORMS) == [form.value for form in CarrierType]
    assert set(CARRIER_LABELS) == set(LegalForm)
    assert LEGAL_FORMS["association"] == "Association loi 1901 (ou de droit local)"  # in full for the organisation
    assert LegalForm.ASSOCIATION.label == "Association loi 1901"  # short in a call's list


def test_the_database_refuses_a_legal_form_outside_the_list(app):
    db.session.add(Organisation(legal_name="Association X", legal_form="sarl", address="1 rue A", postcode="62000",
                                city="Arras", representative_name="Jeanne Leroy", representative_role="Présidente",
                                created_at=time.now()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
