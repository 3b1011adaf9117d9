"""One walk of the whole follow-up URL map (issue 17, « Done when »: the isolation and conflict rules of the other
domains hold here too). Every rule whose view lives in `portal.followup` is built from one followed file — a
convention signed and in force, its tranches planned and one requested, a report accepted with a document, in a
call that declares a national framework — so that a new follow-up page is walked without anyone adding it here.

To whoever is outside the file (another organisation's member, another issuer's manager and finance department, a
manager of the same issuer in conflict of interest with the file, a reviewer of the call), an address naming the
file is a 404 on GET and POST; an address naming only the call, the framework or nothing is a 404 or 403, or a page
without any trace of the file; and nothing is written. The issuer's finance department reads, and acts only on its
own money (certify, pay) and its own download of the « dossier de contrôle »."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile

import pytest
from sqlalchemy import func, select

from portal.applications.models import Message
from portal.core import time
from portal.core.audit import AuditEvent
from portal.core.formatting import money_fr, number_fr
from portal.core.mail import OutboxMessage
from portal.extensions import db
from portal.followup import conventions, payments, reports
from portal.followup.models import (
    Convention,
    ConventionTemplate,
    ConventionVersion,
    Report,
    ReportFile,
    SignedCopy,
    Tranche,
)
from portal.followup.states import ReportKind
from portal.reviews.models import Conflict
from tests.conftest import csrf_token
from tests.fakes.samples import pdf
from tests.followup.conftest import ISSUER, sign_in_as
from tests.followup.test_indicators_framework import FRAMEWORK, FRAMEWORK_EVALUATION, cadre_data

OTHER_ISSUER = "Département du Nord"
# The ids that name the followed file: an address holding one of them is the file's, and a 404 to outsiders.
FILE_ARGUMENTS = {"application_id", "convention_id", "tranche_id", "report_id", "copy_id", "file_id"}
HOUSEHOLDS = 4321  # the report's figure: « 4 321 » on a page that added it up


@pytest.fixture
def followed(laureate, publish_call, make_user, clock):
    """Association Alpha's convention (12 000,50 €) under a call of the national framework: sent, signed by the
    organisation (its signed copy stored) and by the issuer, in force; the 60 % advance requested; the final
    report filed with its activity report and accepted. With the issuer's finance department."""
    framework = publish_call(slug=FRAMEWORK, **cadre_data(evaluation=FRAMEWORK_EVALUATION))
    call = laureate.call
    call.spec_json = {**call.spec_json, "framework": FRAMEWORK}
    call.__dict__.pop("spec", None)  # a cached property
    application, applicant, manager = laureate.applications[0], laureate.applicants[0], laureate.manager
    convention = conventions.draft(application, manager, time.now())
    clock("2025-07-02 10:00:00")
    conventions.send(convention, manager, time.now())
    clock("2025-07-04 10:00:00")
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "signee.pdf", dt.date(2025, 7, 3), applicant,
                                      time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "financeur.pdf", dt.date(2025, 7, 4), manager,
                                time.now())
    payments.request(convention.tranches[0], manager, time.now())
    clock("2026-07-06 10:00:00")
    final = next(r for r in convention.reports if r.kind == ReportKind.FINAL)
    assert reports.save(final, {"indicator.0": str(HOUSEHOLDS), "indicator.1": "12", "quantity.0": "40",
                                "quantity.1": "6", "qualitative": "La mobilité des ménages freine le relogement."},
                        applicant, time.now()) == {}
    reports.add_file(final, "rapport-activite", io.BytesIO(pdf()), "rapport.pdf", applicant, time.now())
    reports.submit(final, applicant, time.now())
    reports.accept(final, manager, time.now())
    laureate.finance = make_user("finances@pasdecalais.fr", "Fanny Finances", grants=[("finance", {"issuer": ISSUER})])
    db.session.commit()
    laureate.framework, laureate.convention, laureate.report = framework, convention, final
    return laureate


def values(followed) -> dict[str, list]:
    """Each argument of the follow-up's rules, with every value worth walking (a slug: the call's and the
    framework's; an export: both formats)."""
    convention, report = followed.convention, followed.report
    return {"application_id": [followed.applications[0].id], "convention_id": [convention.id],
            "number": [convention.versions[-1].number], "copy_id": [convention.versions[0].signed_copies[0].id],
            "tranche_id": [convention.tranches[0].id], "report_id": [report.id], "file_id": [report.files[0].id],
            "slug": [followed.call.slug, followed.framework.slug], "extension": ["csv", "xlsx"]}


def follow_up_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if app.view_functions[rule.endpoint].__module__.startswith("portal.followup")]


def urls(app, known: dict[str, list]) -> list[tuple[str, str, bool]]:
    """(method, url, names the file) for every method but HEAD and OPTIONS of every follow-up rule."""
    missing = {rule.endpoint: sorted(rule.arguments - known.keys()) for rule in follow_up_rules(app)
               if rule.arguments - known.keys()}
    if missing:
        pytest.fail(f"The walk cannot build these follow-up rules, give it a value for: {missing}")
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in follow_up_rules(app):
        names = sorted(rule.arguments)
        for chosen in itertools.product(*(known[name] for name in names)):
            url = adapter.build(rule.endpoint, dict(zip(names, chosen, strict=True)))
            found += [(method, url, bool(rule.arguments & FILE_ARGUMENTS))
                      for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def body() -> dict:
    """Plausible fields for every follow-up form, so that a 404 is the rule's and not the CSRF check's 400."""
    return {"signed_on": "2025-07-01", "amount": "1,00", "reason": "Parce que.", "text": "Texte.",
            "file": (io.BytesIO(pdf()), "x.pdf"), "territories": "Arras", "missing": "Tout.", "decision": "accorder",
            "new_date": "2026-12-01", "qualitative": "Réécrit.", "indicator.0": "1", "action": "deposer",
            "certified_amount": "7200,30", "commitment_ref": "EJ", "payment_ref": "M", "paid_on": "2025-09-15",
            "paid_amount": "7200,30", "tranche-0-certified_amount": "7200,30"}


def send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client), **body()}, content_type="multipart/form-data")


def text_of(response) -> str:
    """What a reader of the answer reads: a page's text without its markup, an export's cells."""
    data = response.get_data()
    if data.startswith(b"PK"):  # the XLSX export: the text of its sheets
        archive = zipfile.ZipFile(io.BytesIO(data))
        return " ".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))
    text = data.decode("utf-8-sig", errors="replace")
    return re.sub(r"<[^>]+>", " ", text) if "html" in response.content_type else text


def traces(followed) -> list[str]:
    """What would betray the file: its numbers, its organisation, its amounts, its figure."""
    convention = followed.convention
    amounts = [convention.amount] + [t.amount_due for t in convention.tranches if t.amount_due]
    return [convention.number, followed.applications[0].number, followed.organisations[0].legal_name,
            number_fr(HOUSEHOLDS),
            *(money_fr(amount) for amount in amounts),
            *(format(amount.normalize(), "f") for amount in amounts)]  # an export's « 12000.5 », « 7200.30 »


def written() -> tuple:
    """The follow-up's rows and what they hold that a request could change."""
    db.session.expire_all()
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (
        AuditEvent, OutboxMessage, Message, Convention, ConventionVersion, SignedCopy, Tranche, Report, ReportFile,
        ConventionTemplate))
    states = tuple(db.session.execute(select(Convention.state, Convention.amount, Convention.territories)).all()) + \
        tuple(db.session.execute(select(Tranche.state, Tranche.certified_amount, Tranche.paid_amount)
                                 .order_by(Tranche.id)).all()) + \
        tuple(db.session.execute(select(Report.state, Report.due_on, Report.extension_asked_on,
                                        Report.completion_asked).order_by(Report.id)).all())
    return counts, states


def in_conflict(followed, person) -> None:
    """A conflict of interest with the file, declared and confirmed by the call's manager."""
    db.session.add(Conflict(application_id=followed.applications[0].id, email=person.email, user_id=person.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=followed.manager.id, declared_at=time.now(),
                            confirmed_by_id=followed.manager.id, confirmed_at=time.now()))


def outsiders(followed, make_user, make_organisation) -> dict:
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue", grants=[("manager", {"issuer": ISSUER})])
    in_conflict(followed, conflicted)
    treasurer = make_user("comptable@pasdecalais.fr", "Claire Comptable", grants=[("finance", {"issuer": ISSUER})])
    in_conflict(followed, treasurer)
    people = {
        "another organisation's member": followed.applicants[1],
        "a manager of another issuer": make_user("gestion@nord.fr", "Gestion Nord",
                                                 grants=[("manager", {"issuer": OTHER_ISSUER})]),
        "a manager of the issuer in conflict with the file": conflicted,
        "a reviewer of the call": followed.reviewers[0],
        "the finance department of another issuer": make_user("finances@nord.fr", "Finances Nord",
                                                              grants=[("finance", {"issuer": OTHER_ISSUER})]),
        "the issuer's finance department in conflict with the file": treasurer,
    }
    db.session.commit()
    return people


def test_the_walk_builds_every_follow_up_rule(app, followed):
    walked = urls(app, values(followed))
    endpoints = {rule.endpoint for rule in follow_up_rules(app)}
    assert {"bundle.download", "convention_territories.save", "indicators.call_totals",
            "indicators.framework_totals", "payments.certify", "reports.staff_download"} <= endpoints
    assert len([u for u in walked if u[0] == "GET"]) >= 20 and len([u for u in walked if u[0] == "POST"]) >= 15


def test_the_call_pages_show_the_traces_the_walk_looks_for(client, followed):
    """The other side of « no trace »: to the call's manager, the pages the outsiders walk do show the file."""
    convention, slug = followed.convention, followed.call.slug
    number, name, households = convention.number, followed.organisations[0].legal_name, number_fr(HOUSEHOLDS)
    raw = format(convention.amount.normalize(), "f")
    sign_in_as(client, followed.manager)
    for url, shown in {f"/gestion/suivi/{slug}/conventions": [number, money_fr(convention.amount)],
                       f"/gestion/suivi/{slug}/paiements": [number, name, money_fr(convention.amount)],
                       f"/gestion/suivi/{slug}/paiements.csv": [number, name, raw],
                       f"/gestion/suivi/{slug}/paiements.xlsx": [number, name, raw],
                       f"/gestion/suivi/{slug}/bilans": [followed.applications[0].number],
                       f"/gestion/suivi/{slug}/indicateurs": [name, households],
                       f"/gestion/cadres/{FRAMEWORK}/indicateurs": [households]}.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert [trace for trace in shown if trace not in text_of(response)] == [], url


@pytest.mark.parametrize("who", ["another organisation's member", "a manager of another issuer",
                                 "a manager of the issuer in conflict with the file", "a reviewer of the call",
                                 "the finance department of another issuer",
                                 "the issuer's finance department in conflict with the file"])
def test_outsiders_find_no_trace_of_the_file_and_write_nothing(app, client, followed, make_user, make_organisation,
                                                               who):
    person = outsiders(followed, make_user, make_organisation)[who]
    walked, hidden = urls(app, values(followed)), traces(followed)
    sign_in_as(client, person)
    before = written()
    for method, url, names_the_file in walked:
        response = send(client, method, url)
        if names_the_file:
            assert response.status_code == 404, (who, method, url, response.status_code)
            continue
        assert response.status_code in (200, 303, 403, 404), (who, method, url, response.status_code)
        if response.status_code == 200:
            text = text_of(response)
            assert not [trace for trace in hidden if trace in text], (who, method, url)
    assert written() == before, who


def test_the_finance_department_reads_and_only_handles_money(app, client, followed):
    walked = urls(app, values(followed))
    convention = followed.convention
    sign_in_as(client, followed.finance)
    before = written()
    reads = {f"/gestion/suivi/conventions/{convention.id}", f"/gestion/suivi/conventions/{convention.id}/echeancier",
             f"/gestion/suivi/bilans/{followed.report.id}", f"/gestion/suivi/{followed.call.slug}/paiements",
             f"/gestion/suivi/{followed.call.slug}/indicateurs", f"/gestion/cadres/{FRAMEWORK}/indicateurs",
             f"/gestion/suivi/conventions/{convention.id}/versions/1.pdf",
             f"/gestion/suivi/bilans/{followed.report.id}/fichiers/{followed.report.files[0].id}", "/finances/"}
    own = ("/certifier", "/payer", "/dossier-de-controle")
    for method, url, _ in walked:
        if method == "POST" and url.endswith(own):
            continue
        response = send(client, method, url)
        if method == "POST":
            assert response.status_code in (403, 404), (method, url, response.status_code)
        elif url in reads:
            assert response.status_code == 200, (url, response.status_code)
        else:
            assert response.status_code in (200, 404), (url, response.status_code)
    assert written() == before
    response = client.post(f"/gestion/suivi/conventions/{convention.id}/dossier-de-controle",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 200
    folders = {name.split("/")[0] for name in zipfile.ZipFile(io.BytesIO(response.get_data())).namelist()}
    assert folders == {"00-index.pdf", "05-convention", "06-bilans", "07-paiements"}  # the follow-up only


def test_the_organisation_finds_no_staff_page_of_its_own_file(app, client, followed):
    """The laureate's own member: every staff address (/gestion/…, /finances/) is a 404 to her, and writes nothing."""
    sign_in_as(client, followed.applicants[0])
    before = written()
    for method, url, _ in urls(app, values(followed)):
        if url.startswith(("/gestion/", "/finances/")):
            assert send(client, method, url).status_code == 404, (method, url)
    assert written() == before
