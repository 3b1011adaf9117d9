"""Calls written in the browser: a new call from the template, a copy or a file; the text checked in French at its
lines; every save a revision; the preview is the public page; publication now or at a Paris minute (the job);
a second manager's approval; unpublishing refused once applications exist; file-managed calls read-only; export;
and drafts private to the issuer's managers."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.catalog import authoring, loader, services
from portal.catalog.authoring_models import CallSource
from portal.catalog.models import Call, Management
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.conftest import csrf_token, post_form

ISSUER = "Département du Pas-de-Calais"
SHIPPED = Path(__file__).resolve().parents[2] / "calls"
SHIPPED_CALL = "aap-2025-equipes-mobiles-prevention-expulsions"


@pytest.fixture
def manager(make_user, sign_in, client):
    user = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    sign_in(client, user.email)
    return user


@pytest.fixture
def shipped(app, clock):
    """A shipped call, synced from its file as `portal calls sync` does."""
    clock("2025-03-01 10:00:00")
    services.sync_calls([SHIPPED / f"{SHIPPED_CALL}.md"], at=clock("2025-03-01 10:00:00"))
    db.session.commit()
    return db.session.scalar(select(Call).where(Call.slug == SHIPPED_CALL))


def new_from_template(client, slug="aap-2026-essai"):
    return post_form(client, "/gestion/redaction/nouveau",
                     {"origin": "modele", "modele-slug": slug, "modele-issuer": ISSUER})


def duplicate(client, call_slug, slug="aap-2026-equipes-mobiles"):
    return post_form(client, "/gestion/redaction/nouveau",
                     {"origin": "copie", "copie-call": call_slug, "copie-slug": slug})


def save(client, slug, text, action="enregistrer"):
    return post_form(client, f"/gestion/redaction/{slug}", {"text": text, "action": action})


def valid_text(**changes) -> str:
    text = (SHIPPED / f"{SHIPPED_CALL}.md").read_text(encoding="utf-8")
    text = re.sub(r"^id:.*$", f"id: {uuid.uuid4()}", text, count=1, flags=re.M)
    for old, new in changes.items():
        text = text.replace(old, new)
    return text


def test_the_blank_template_is_a_valid_call_once_its_address_and_issuer_are_given(app):
    result = loader.load_text("aap-2026-essai.md", authoring.blank_text(ISSUER))
    assert result.valid, result.errors
    assert result.spec.issuer.body == ISSUER


def test_a_manager_starts_from_the_commented_template(client, manager, clock):
    clock("2026-01-10 09:00:00")
    response = new_from_template(client)
    assert response.status_code == 303
    draft = authoring.source("aap-2026-essai")
    assert draft.issuer == ISSUER and draft.call_id is None and len(draft.revisions) == 1
    assert "# Titre de la page" in draft.text  # every field commented
    page = client.get("/gestion/redaction/aap-2026-essai").get_data(as_text=True)
    assert "Le texte est valide" in page and "Brouillon" in page


def test_a_bad_address_is_refused_beside_its_field(client, manager):
    response = new_from_template(client, slug="AAP 2026")
    assert response.status_code == 422
    assert "minuscules, chiffres et tirets" in response.get_data(as_text=True)
    assert authoring.all_sources() == []


def test_duplicating_a_file_call_rebuilds_its_markdown_with_a_new_id(client, manager, shipped):
    assert duplicate(client, shipped.slug).status_code == 303
    draft = authoring.source("aap-2026-equipes-mobiles")
    result = authoring.check(draft.slug, draft.text)
    assert result.valid, result.errors
    assert result.spec.id != shipped.uuid and result.spec.title == shipped.title
    assert result.body == shipped.body_md


def test_duplicating_a_portal_call_copies_its_text_as_written(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    assert duplicate(client, "aap-2026-essai", slug="aap-2027-essai").status_code == 303
    old, copy = authoring.source("aap-2026-essai"), authoring.source("aap-2027-essai")
    assert re.sub(r"^id:.*$", "", copy.text, flags=re.M) == re.sub(r"^id:.*$", "", old.text, flags=re.M)
    assert copy.text != old.text  # another id


def test_uploading_a_md_file(client, manager):
    text = valid_text()
    response = post_form(client, "/gestion/redaction/nouveau",
                         {"origin": "fichier", "fichier-fichier": (io.BytesIO(text.encode()), "aap-2026-depose.md")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    assert authoring.source("aap-2026-depose").text == authoring.normalise(text)


@pytest.mark.parametrize(("content", "name", "said"), [
    ("é".encode("latin-1") * 40, "appel.md", "UTF-8"),
    (b"---\n", "appel.pdf", ".md"),
    (b"a" * (authoring.MAX_UPLOAD + 1), "appel.md", "200 Ko"),
])
def test_an_upload_that_is_not_a_utf8_markdown_file_is_refused_in_french(client, manager, content, name, said):
    response = post_form(client, "/gestion/redaction/nouveau",
                         {"origin": "fichier", "fichier-fichier": (io.BytesIO(content), name),
                          "fichier-slug": "aap-2026-depose"}, content_type="multipart/form-data")
    assert response.status_code == 422 and said in response.get_data(as_text=True)
    assert authoring.source("aap-2026-depose") is None


def test_errors_are_listed_in_french_with_their_line_and_linked_to_it(client, manager):
    new_from_template(client)
    text = authoring.source("aap-2026-essai").text.replace('closes_on: "2026-05-29"', 'closes_on: "2026-02-30"')
    response = save(client, "aap-2026-essai", text, action="verifier")
    page = response.get_data(as_text=True)
    line = next(n for n, content in enumerate(text.splitlines(), 1) if "closes_on" in content)
    assert response.status_code == 422
    assert f'href="#ligne-{line}"' in page and f"Ligne {line}" in page and "date invalide" in page
    assert f'id="ligne-{line}"' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="text-hint verification"' in page
    assert len(authoring.source("aap-2026-essai").revisions) == 1  # « Vérifier » writes nothing


def test_the_check_endpoint_answers_json_and_writes_nothing(client, manager):
    new_from_template(client)
    response = post_form(client, "/gestion/redaction/aap-2026-essai/verifier", {"text": "---\ntitle: x\n---\n"})
    answer = response.get_json()
    assert answer["valid"] is False
    assert {"line", "field", "message"} <= set(answer["errors"][0])
    assert any(e["field"] == "id" and "obligatoire" in e["message"] for e in answer["errors"])
    assert len(authoring.source("aap-2026-essai").revisions) == 1


def test_each_save_is_a_revision_invalid_ones_too_but_an_invalid_text_is_not_published(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    text = authoring.source("aap-2026-essai").text
    clock("2026-01-10 09:30:00")
    assert save(client, "aap-2026-essai", text.replace("kind: AAP", "kind: XYZ")).status_code == 303
    draft = authoring.source("aap-2026-essai")
    assert [(r.number, r.author_name) for r in draft.revisions] == [(1, "Gaëlle Gestion"), (2, "Gaëlle Gestion")]
    response = post_form(client, "/gestion/redaction/aap-2026-essai/publier", {},
                         headers={"Referer": "http://localhost/gestion/redaction/aap-2026-essai"},
                         follow_redirects=True)
    assert "corrigez" in response.get_data(as_text=True)
    assert db.session.scalar(select(Call).where(Call.slug == "aap-2026-essai")) is None


def test_the_diff_between_two_revisions_says_what_was_added_and_removed(client, manager):
    new_from_template(client)
    text = authoring.source("aap-2026-essai").text
    save(client, "aap-2026-essai", text.replace("Titre de l'appel à projets", "Appel 2026 aux équipes mobiles"))
    page = client.get("/gestion/redaction/aap-2026-essai/versions?de=1&a=2").get_data(as_text=True)
    assert "<del>title: &#34;Titre de l&#39;appel à projets&#34;</del>" in page or "<del>title:" in page
    assert "<ins>title: &#34;Appel 2026 aux équipes mobiles&#34;</ins>" in page or "<ins>title:" in page
    assert "Supprimé" in page and "Ajouté" in page and "Gaëlle Gestion" in page


def _main(page: str) -> str:
    """The call's page from its title to the end, without the apply box (a preview has no window to apply to) and
    without the preview's own section below it: the application form the call implies."""
    start = page.index("<h1>")
    part = page[start:page.index("</main>")] if "</main>" in page else page[start:]
    part = re.sub(r'<section id="candidater".*?</section>', "", part, flags=re.S)
    return part.split('<section id="formulaire-implique"')[0]


def test_the_preview_is_the_public_page_and_writes_nothing(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    calls_before = db.session.query(Call).count()
    preview = client.get("/gestion/redaction/aap-2026-essai/apercu")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Aperçu : cet appel n'est pas publié" in html
    assert db.session.query(Call).count() == calls_before
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    public = client.get("/appels/aap-2026-essai/").get_data(as_text=True)
    assert _main(html).split() == _main(public).split()


def test_publishing_now_goes_through_the_sync_path_and_marks_the_call_portal_managed(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    assert post_form(client, "/gestion/redaction/aap-2026-essai/publier", {}).status_code == 303
    call = db.session.scalar(select(Call).where(Call.slug == "aap-2026-essai"))
    draft = authoring.source("aap-2026-essai")
    assert call.managed_by == Management.PORTAL and draft.call_id == call.id
    assert [r.changes for r in call.revisions] == [["Publication"]]
    assert client.get("/appels/aap-2026-essai/").status_code == 200
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "call_source.publish"))


def test_a_scheduled_publication_happens_at_its_paris_minute_by_the_job(app, client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    response = post_form(client, "/gestion/redaction/aap-2026-essai/programmer",
                         {"date": "12/01/2026", "time": "14:30"})
    assert response.status_code == 303
    draft = authoring.source("aap-2026-essai")
    assert draft.publish_at.isoformat() == "2026-01-12T13:30:00+00:00"  # 14:30 in Paris, winter time
    runner = app.test_cli_runner()
    clock("2026-01-12 14:29:00")
    assert "0 appel(s) publié(s)" in runner.invoke(args=["calls", "publish-due"]).output
    assert client.get("/appels/aap-2026-essai/").status_code == 404
    clock("2026-01-12 14:30:00")
    result = runner.invoke(args=["calls", "publish-due"])
    assert "1 appel(s) publié(s)" in result.output, result.output
    db.session.expire_all()
    assert client.get("/appels/aap-2026-essai/").status_code == 200
    assert authoring.source("aap-2026-essai").publish_at is None


def test_a_past_date_cannot_be_scheduled(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    response = post_form(client, "/gestion/redaction/aap-2026-essai/programmer", {"date": "09/01/2026", "time": "9h"})
    assert response.status_code == 422 and "doivent être à venir" in response.get_data(as_text=True)


def test_a_second_manager_approves_and_the_requester_cannot_approve_her_own(app, client, manager, make_user,
                                                                            sign_in, clock):
    clock("2026-01-10 09:00:00")
    post_form(client, "/gestion/redaction/parametres", {"issuer": ISSUER, "approval_required": "y"})
    new_from_template(client)
    refused = post_form(client, "/gestion/redaction/aap-2026-essai/publier", {},
                        headers={"Referer": "http://localhost/gestion/redaction/aap-2026-essai"}, follow_redirects=True)
    assert "second gestionnaire" in refused.get_data(as_text=True)
    post_form(client, "/gestion/redaction/aap-2026-essai/demander-approbation", {})
    assert post_form(client, "/gestion/redaction/aap-2026-essai/approuver", {}).status_code == 403
    other = app.test_client()
    make_user("second@pasdecalais.fr", "Sam Second", grants=[("manager", {"issuer": ISSUER})])
    sign_in(other, "second@pasdecalais.fr")
    assert post_form(other, "/gestion/redaction/aap-2026-essai/approuver", {}).status_code == 303
    assert post_form(client, "/gestion/redaction/aap-2026-essai/publier", {}).status_code == 303
    assert db.session.scalar(select(Call).where(Call.slug == "aap-2026-essai")) is not None


def test_unpublishing_is_refused_once_an_application_exists_else_the_draft_is_kept(
        app, client, manager, clock, make_user, make_organisation):
    from tests.applications.conftest import start

    clock("2026-04-15 09:00:00")
    new_from_template(client)
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    applicant_client = app.test_client()
    claire = make_user("claire@asso.fr", "Claire Martin")
    organisation = make_organisation(claire, "Association Logement Solidaire")
    from tests.conftest import PASSWORD

    post_form(applicant_client, "/compte/connexion", {"email": claire.email, "password": PASSWORD})
    call = db.session.scalar(select(Call).where(Call.slug == "aap-2026-essai"))
    start(applicant_client, call, organisation)
    response = post_form(client, "/gestion/redaction/aap-2026-essai/retirer", {},
                         headers={"Referer": "http://localhost/gestion/redaction/aap-2026-essai"},
                         follow_redirects=True)
    assert "ne peut pas être retiré" in response.get_data(as_text=True)
    assert "Association Logement Solidaire (brouillon)" in response.get_data(as_text=True)
    assert client.get("/appels/aap-2026-essai/").status_code == 200


def test_unpublishing_a_call_without_applications_keeps_its_text_as_a_draft(client, manager, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    assert post_form(client, "/gestion/redaction/aap-2026-essai/retirer", {}).status_code == 303
    assert client.get("/appels/aap-2026-essai/").status_code == 404
    draft = authoring.source("aap-2026-essai")
    assert draft is not None and draft.call_id is None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "call_source.unpublish"))


def test_a_file_managed_call_opens_read_only_with_its_file(client, manager, shipped):
    page = client.get(f"/gestion/redaction/{shipped.slug}").get_data(as_text=True)
    assert f"Cet appel est géré par fichier (calls/{shipped.slug}.md)" in page
    assert "readonly" in page and 'action="/gestion/redaction' not in page
    download = client.get(f"/gestion/redaction/{shipped.slug}/fichier.md")
    assert download.status_code == 200 and download.mimetype == "text/markdown"
    assert loader.load_text(f"{shipped.slug}.md", download.get_data(as_text=True)).valid


def test_export_writes_the_portal_calls_files(app, client, manager, clock, tmp_path, shipped):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    new_from_template(client, slug="aap-2026-brouillon")  # a draft is not exported
    result = app.test_cli_runner().invoke(args=["calls", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["aap-2026-essai.md"]
    assert (tmp_path / "out" / "aap-2026-essai.md").read_text() == authoring.source("aap-2026-essai").text


OBJECT_VALUES = {"slug": "aap-2026-essai"}


def test_another_issuers_manager_and_an_applicant_get_404_on_every_authoring_url(app, client, manager, make_user,
                                                                                  sign_in, shipped):
    new_from_template(client)
    before = authoring.source("aap-2026-essai").text
    make_user("gestion@nord.fr", "Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    make_user("claire@asso.fr", "Claire Martin")
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("authoring.")]
    assert len(rules) >= 14
    for email in ("gestion@nord.fr", "claire@asso.fr"):
        other = app.test_client()
        sign_in(other, email)
        token = csrf_token(other)
        for rule in rules:
            for values in ({"slug": "aap-2026-essai"}, {"slug": shipped.slug}):
                url = rule.build(values, append_unknown=False)[1]
                for method in sorted(rule.methods & {"GET", "POST"}):
                    response = other.open(url, method=method, data={"csrf_token": token, "text": "x",
                                                                    "issuer": ISSUER, "approval_required": "y"}
                                          if method == "POST" else None)
                    if (email == "gestion@nord.fr" and "slug" not in rule.arguments
                            and rule.endpoint != "authoring.settings"):
                        # her own issuer's list and « Nouvel appel »: nothing of the Pas-de-Calais's drafts
                        assert response.status_code == 200 and "aap-2026-essai" not in response.get_data(as_text=True)
                        continue
                    assert response.status_code == 404, f"{email}: {method} {url} answered {response.status_code}"
        if email == "gestion@nord.fr":  # she may not write a call in the Pas-de-Calais's name either
            assert new_from_template(other, slug="aap-2026-intrus").status_code == 422
            assert authoring.source("aap-2026-intrus") is None
    assert authoring.source("aap-2026-essai").text == before
    assert not authoring.approval_required(ISSUER)
    assert db.session.scalar(select(CallSource).where(CallSource.slug == "aap-2026-essai")).call_id is None


def test_a_text_past_the_largest_length_is_refused_and_nothing_saved(client, manager):
    new_from_template(client)
    response = save(client, "aap-2026-essai", "x" * 200_001)
    assert response.status_code in (303, 422)
    assert len(authoring.source("aap-2026-essai").revisions) == 1


def test_the_list_says_which_calls_are_file_managed_and_which_portal_written(client, manager, shipped, clock):
    clock("2026-01-10 09:00:00")
    new_from_template(client)
    post_form(client, "/gestion/redaction/aap-2026-essai/publier", {})
    page = client.get("/gestion/redaction/").get_data(as_text=True)
    assert "Équipes mobiles de prévention des expulsions locatives</a> <span class=\"hint\">(géré par fichier)" in page
    assert "Titre de l&#39;appel à projets</a> <span class=\"hint\">(rédigé dans le portail)" in page


def test_the_workspace_offers_nouvel_appel_to_the_issuers_managers_only(app, client, manager, make_user, sign_in,
                                                                        shipped):
    assert "Nouvel appel" in client.get("/gestion/").get_data(as_text=True)
    named = make_user("appel@pasdecalais.fr", "Nommée pour un appel", grants=[("manager", {"call_id": shipped.uuid})])
    other = app.test_client()
    sign_in(other, named.email)
    page = other.get("/gestion/").get_data(as_text=True)
    assert "Nouvel appel" not in page, page[page.index("Nouvel appel") - 300:page.index("Nouvel appel") + 50]
    assert "Modifier l'appel" in page
    assert other.get("/gestion/redaction/nouveau").status_code == 404


def test_a_manager_named_for_one_call_does_not_write_her_issuers_calls(app, client, manager, make_user, sign_in,
                                                                        shipped):
    """Her grant covers that call's selection, not the issuer's publications: its drafts do not exist for her, and
    the call's file opens read-only as it does for its issuer's managers."""
    new_from_template(client)
    make_user("jury@pasdecalais.fr", "Jeanne Jury", grants=[("manager", {"call_id": shipped.uuid})])
    other = app.test_client()
    sign_in(other, "jury@pasdecalais.fr")
    assert other.get("/gestion/redaction/aap-2026-essai").status_code == 404
    assert other.get(f"/gestion/redaction/{shipped.slug}").status_code == 200
    assert new_from_template(other, slug="aap-2026-intrus").status_code in (404, 422)
    assert authoring.source("aap-2026-intrus") is None
