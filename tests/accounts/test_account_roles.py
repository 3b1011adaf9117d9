"""« Mon compte », « Mes rôles »: each role links to that role's home — the manager's « Espace de gestion », the
reviewer's « Évaluation », the administrator's « État de l'instance », each organisation's page for its members —
without the accounts domain naming the pages of the domains downstream (the 'account.role_home' slot)."""

from __future__ import annotations

import html
import re

from portal.extensions import db

ISSUER = "Département du Pas-de-Calais"


def roles_section(client) -> str:
    page = html.unescape(client.get("/compte/").get_data(as_text=True))
    section = page.split('id="roles"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", section)


def test_each_role_links_to_its_home(client, make_user, make_organisation, sign_in, publish_call):
    call = publish_call()
    person = make_user("alice@portail.fr", "Alice Multi", grants=[
        ("admin", {}), ("manager", {"issuer": ISSUER}), ("reviewer", {"call_id": call.uuid})])
    organisation = make_organisation(person, "Association Logement Solidaire")
    db.session.commit()
    sign_in(client, "alice@portail.fr")
    section = roles_section(client)
    assert 'href="/admin/"' in section and "État de l'instance" in section
    assert 'href="/gestion/"' in section and "Espace de gestion" in section
    assert 'href="/evaluation/"' in section and "Évaluation" in section
    assert f'href="/organisations/{organisation.id}/"' in section


def test_a_member_without_grants_sees_her_organisation_as_her_role(client, make_user, make_organisation, sign_in):
    person = make_user("claire@asso-logement.fr", "Claire Martin")
    organisation = make_organisation(person, "Association Logement Solidaire")
    sign_in(client, "claire@asso-logement.fr")
    section = roles_section(client)
    assert f'href="/organisations/{organisation.id}/"' in section and "Association Logement Solidaire" in section
    assert "/admin/" not in section and "/gestion/" not in section
