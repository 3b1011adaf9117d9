"""Each `can_*` predicate of applications and accounts answers None or a Refusal saying why: a 404 to whoever must
not learn the object exists, a 403 or 409 with the French reason to a member of the file or organisation."""

import html

from portal.accounts import permissions as people
from portal.applications import permissions
from portal.core.time import now
from tests.applications.conftest import deposit, get_application, ready, start
from tests.applications.test_deposit import sign_in_as


def test_deleting_and_withdrawing_say_why_not(client, open_call, applicant, make_user, make_organisation):
    claire, paul, organisation = applicant
    stranger = make_user("zoe@autre-asso.fr", "Zoé Autre")
    make_organisation(stranger, "Autre association", rna="W621000009")
    sign_in_as(client, claire)
    url = start(client, open_call, organisation)
    draft = get_application(url)

    assert permissions.can_delete_draft(claire, draft) is None
    assert permissions.can_edit_answers(paul, draft, now()) is None
    assert permissions.can_withdraw(claire, draft).message == permissions.NOT_DEPOSITED
    for refusal in (permissions.can_delete_draft(stranger, draft), permissions.can_withdraw(stranger, draft),
                    permissions.can_view_application(stranger, draft),
                    permissions.can_manage_application(claire, draft),
                    permissions.can_add_documents(stranger, draft, now())):
        assert refusal is not None and refusal.status == 404

    ready(client, url)
    deposit(client, url)
    deposited = get_application(url)
    refusal = permissions.can_delete_draft(paul, deposited)
    assert (refusal.status, refusal.message) == (403, permissions.DEPOSITED_STAYS)
    assert permissions.can_withdraw(paul, deposited) is None


def test_only_an_organisation_administrator_manages_it_and_the_page_says_so(client, applicant, make_user,
                                                                           make_organisation):
    claire, paul, organisation = applicant
    stranger = make_user("zoe@autre-asso.fr", "Zoé Autre")
    assert people.can_manage_organisation(claire, organisation) is None
    refusal = people.can_manage_organisation(paul, organisation)
    assert (refusal.status, refusal.message) == (403, people.ORGANISATION_ADMINS_ONLY)
    assert people.can_manage_organisation(stranger, organisation).status == 404
    assert people.can_view_organisation(paul, organisation) is None
    assert people.can_view_organisation(stranger, organisation).status == 404
    assert people.can_grant_roles(claire).status == 404

    sign_in_as(client, paul)
    response = client.get(f"/organisations/{organisation.id}/modifier")
    assert response.status_code == 403
    assert people.ORGANISATION_ADMINS_ONLY in html.unescape(response.get_data(as_text=True))
