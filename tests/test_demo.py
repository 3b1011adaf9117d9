"""`portal demo load` (run by scripts/serve) gives a local portal people to try it with, as the README lists."""

from portal.accounts import permissions
from portal.accounts.models import Organisation
from portal.accounts.queries import user_by_email
from portal.config import ROOT
from portal.demo import DEMO_PASSWORD
from portal.extensions import db


def test_demo_people_and_organisations_can_sign_in(app, client, sign_in):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # idempotent
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in text
    admin = user_by_email("admin@demo.example.org")
    assert permissions.is_admin(admin) and "admin@demo.example.org" in text
    manager = user_by_email("gestionnaire@demo.example.org")
    assert [g.role for g in manager.grants] == ["manager"]
    reviewers = [user_by_email(e) for e in ("evaluatrice1@demo.example.org", "evaluateur2@demo.example.org")]
    assert all(g.role == "reviewer" for r in reviewers for g in r.grants)
    organisations = db.session.query(Organisation).all()
    with_colleague = [o for o in organisations if len(o.memberships) == 2]
    assert len(organisations) == 8 and len(with_colleague) == 2
    assert sign_in(client, "salarie@asso-logement.demo.example.org", DEMO_PASSWORD).status_code == 302
    assert "Association fictive Logement Solidaire" in client.get("/compte/").get_data(as_text=True)


def test_demo_selection_round_is_ready_to_rank_and_decide(app, client, sign_in):
    """Six fictitious applications screened, five found eligible and each scored by both demo reviewers, the round in
    deliberation."""
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    sign_in(client, "gestionnaire@demo.example.org", DEMO_PASSWORD)
    page = client.get("/gestion/selection/demonstration-appel-en-selection/fenetres/unique/classement")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text.count("Association fictive") == 6 and "2 / 2" in text
    assert "5 candidatures classées, 1 irrecevable en fin de tableau" in text
    sign_in(client, "evaluatrice1@demo.example.org", DEMO_PASSWORD)
    link = "/evaluation/demonstration-appel-en-selection/fenetres/unique/classement"
    assert f'href="{link}"' in client.get("/evaluation/").get_data(as_text=True)  # her home leads to it
    ranking = client.get(link)
    assert ranking.status_code == 200 and ranking.get_data(as_text=True).count("Association fictive") == 5  # the committee ranks the eligible ones


def test_readme_lists_every_demo_account_applicants_included():
    from portal.demo import DEMO_PEOPLE
    from portal.demo_selection import ASSOCIATIONS, applicant_email

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    emails = [email for email, _, _ in DEMO_PEOPLE] + [applicant_email(i) for i in range(1, len(ASSOCIATIONS) + 1)]
    assert len(emails) == 15
    assert [e for e in emails if f"`{e}`" not in text] == []


def test_demo_selection_holds_one_ineligible_application_to_try_the_irrecevable_letter(app, client, sign_in):
    from portal.reviews.models import Eligibility

    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    from portal.applications.models import Application
    from portal.catalog.models import Call

    verdicts = db.session.query(Eligibility).join(Application, Application.id == Eligibility.application_id).join(
        Call, Call.id == Application.call_id).filter(Call.slug == "demonstration-appel-en-selection").all()
    refused = [e for e in verdicts if not e.is_eligible]
    assert len(verdicts) == 6 and len(refused) == 1 and refused[0].reason
    sign_in(client, "gestionnaire@demo.example.org", DEMO_PASSWORD)
    text = client.get("/gestion/selection/demonstration-appel-en-selection/fenetres/unique/recevabilite"
                      ).get_data(as_text=True)
    assert "Irrecevable" in text or "irrecevable" in text


def test_the_demo_header_names_the_issuer_of_the_demo_calls(app, client):
    from portal.catalog.models import Call

    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    issuers = {c.issuer for c in db.session.query(Call).all() if c.slug.startswith("demonstration")}
    header = client.get("/appels/").get_data(as_text=True).split("</header>")[0]
    assert len(issuers) == 1 and issuers.pop() in header


def test_the_demo_holds_a_thread_the_first_association_has_not_read_yet(app, client, sign_in):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0  # idempotent: no second exchange
    sign_in(client, "contact@asso1.demo.example.org", DEMO_PASSWORD)
    home = client.get("/candidatures/").get_data(as_text=True)
    assert "1 nouveau message" in home
    from portal.applications.models import Message
    from portal.extensions import db
    assert db.session.query(Message).count() == 2


def test_the_demo_holds_a_call_in_follow_up(app, client, sign_in):
    """A fictitious call closed weeks ago: its first laureate's convention in force, the 60 % advance paid by the demo
    finance account, the final report filed for the manager to accept; a second load changes nothing."""
    from portal.followup.models import Convention, Report, Tranche
    from portal.followup.states import ConventionState, ReportKind, ReportState, TrancheState
    from portal.reviews.models import Decision

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = [db.session.query(m).count() for m in (Convention, Tranche, Report, Decision)]
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert [db.session.query(m).count() for m in (Convention, Tranche, Report, Decision)] == counts  # idempotent
    (convention,) = db.session.query(Convention).all()
    assert convention.state == ConventionState.IN_FORCE
    advance = convention.tranches[0]
    assert advance.state == TrancheState.PAID and advance.amount_due == convention.amount * 60 / 100
    final = next(r for r in convention.reports if r.kind == ReportKind.FINAL)
    assert final.state == ReportState.SUBMITTED and final.indicator_values
    assert db.session.query(Decision).filter(Decision.published_at.isnot(None)).count() >= 3
    response = sign_in(client, "finances@demo.example.org", DEMO_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/finances/")
