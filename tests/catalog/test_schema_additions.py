"""What the schema learned from real calls (issue 16): other channels beside the portal, documents required of some
carriers only, envelopes per year, arrondissements and territorial priorities, recurring milestones and periods,
quantified commitments and targets, the issuer's unit and address — each validated with a French message, shown
on the public page, and the dates in the call's iCalendar."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import icalendar
import pytest

from portal.catalog import loader
from portal.catalog.schema import CallSpec, Document
from portal.core.vocabulary import LegalForm
from tests.conftest import call_data


def errors(write_call, **overrides) -> list[str]:
    """The French messages `portal calls check` prints for a call with these fields, as « field: message »."""
    result = loader.load(write_call("appel.md", call_data(**overrides)))
    return [f"{e.field}: {e.message}".replace("\u202f", " ").replace("\u00a0", " ") for e in result.errors]


def at(messages: list[str], field: str) -> bool:
    """One message, at this field (for the messages loader.py words; another part of the work translates them)."""
    return len(messages) == 1 and messages[0].startswith(f"{field}: ")


def page(client, slug: str) -> str:
    text = html.unescape(client.get(f"/appels/{slug}/").get_data(as_text=True))
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def events(client, slug: str) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(client.get(f"/appels/{slug}/calendrier.ics").data)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


# 1. Other channels beside the portal

CHANNELS = [
    {"kind": "email", "address": "depot.aap@pasdecalais.fr", "subject": "AAP équipes mobiles — candidature",
     "note": "Un seul envoi par organisme."},
    {"kind": "post", "address": "Hôtel du Département\nRue Ferdinand Buisson\n62018 ARRAS CEDEX",
     "recipient": "À l'attention du service du logement", "postmark_counts": True},
]


def test_other_channels_are_accepted_and_checked_in_french(write_call):
    assert errors(write_call, other_channels=CHANNELS) == []
    assert errors(write_call, other_channels=[{"kind": "email", "address": "pas-une-adresse"}]) == [
        "other_channels[1].address: adresse électronique invalide « pas-une-adresse » : écrivez-la comme "
        "prenom.nom@exemple.fr"]
    assert errors(write_call, other_channels=[{"kind": "post", "address": "1 rue X\n62000 Arras",
                                               "subject": "Candidature"}]) == [
        "other_channels[1]: « subject » (l'objet du courriel) ne vaut que pour un envoi par courriel (kind: email)"]
    assert errors(write_call, other_channels=[{"kind": "email", "address": "a@b.fr", "postmark_counts": True}]) == [
        "other_channels[1]: « postmark_counts » (le cachet de la poste fait foi) ne vaut que pour un envoi postal "
        "(kind: post)"]
    assert errors(write_call, other_channels=[{"kind": "post"}]) == [
        "other_channels[1]: l'adresse postale (« address ») est obligatoire pour un envoi postal"]
    assert errors(write_call, other_channels=[{"kind": "email"}]) == [
        "other_channels[1]: écrivez l'adresse électronique (« address »), ou dites dans « note » à qui écrire"]
    assert at(errors(write_call, other_channels=[{"kind": "fax", "address": "03 21"}]), "other_channels[1].kind")


def test_other_channels_are_shown_beside_the_portal_deposit(client, publish_call, clock):
    clock("2025-04-15 10:00")
    publish_call("canaux", other_channels=CHANNELS)
    text = page(client, "canaux")
    section = text[text.index('id="autres-canaux"'):]
    assert text.index('id="candidater"') < text.index('id="autres-canaux"') < text.index('class="call-body"')
    for fact in ["Autres moyens de candidater", "Par courriel", 'href="mailto:depot.aap@pasdecalais.fr"',
                 "Objet à indiquer : « AAP équipes mobiles — candidature »", "Un seul envoi par organisme.",
                 "Par courrier", "Hôtel du Département<br>Rue Ferdinand Buisson<br>62018 ARRAS CEDEX",
                 "À l'attention du service du logement", "Le cachet de la poste fait foi"]:
        assert fact in section, fact


# 2. A document required of some carriers only

CERFA = {"key": "cerfa-12156", "label": "Demande de subvention (Cerfa n°12156)", "required_for": ["association"]}


def test_a_document_required_of_some_carriers_only_is_checked(write_call):
    assert errors(write_call, required_documents=[CERFA]) == []
    assert at(errors(write_call, required_documents=[{**CERFA, "required_for": ["club"]}]),
              "required_documents[1].required_for[1]")
    assert errors(write_call, required_documents=[{**CERFA, "required": False}]) == [
        "required_documents[1]: « required_for » dit pour qui la pièce est obligatoire : il ne vaut pas pour une "
        "pièce facultative (required: false)"]


def test_the_rule_of_a_conditional_document_lives_on_the_document():
    cerfa = Document.model_validate(CERFA)
    assert cerfa.is_required_for(LegalForm.ASSOCIATION) and cerfa.is_required_for("association")
    assert not cerfa.is_required_for(LegalForm.BAILLEUR_SOCIAL)
    assert cerfa.for_carrier("bailleur_social").required is False
    assert cerfa.for_carrier("association") is cerfa
    plain = Document.model_validate({"key": "statuts", "label": "Statuts"})
    assert plain.is_required_for("bailleur_social") and plain.required_for_label is None
    optional = Document.model_validate({"key": "annexes", "label": "Annexes", "required": False})
    assert not optional.is_required_for("association")
    both = Document.model_validate({**CERFA, "required_for": ["association", "fondation"]})
    assert both.required_for_label == "obligatoire pour les associations et les fondations"


def test_the_page_says_for_whom_a_document_is_required(client, publish_call):
    publish_call("cerfa", required_documents=[CERFA, {"key": "statuts", "label": "Statuts"}])
    text = page(client, "cerfa")
    assert "Demande de subvention (Cerfa n°12156)</strong> (obligatoire pour les associations)" in text
    assert "Statuts</strong> (obligatoire" not in text


# 3. Envelopes per year and the selection's duration

def test_envelopes_per_year_are_checked(write_call):
    good = {"envelope": "313600", "envelopes": [{"year": 2021, "amount": "156800"},
                                                {"year": 2022, "amount": "156800", "note": "sous réserve"}]}
    assert errors(write_call, funding=good, selection_years=2) == []
    twice = {"envelopes": [{"year": 2021, "amount": "1"}, {"year": 2021, "amount": "2"}]}
    assert errors(write_call, funding=twice) == ["funding: année en double dans « envelopes » : 2021"]
    assert errors(write_call, funding=good, selection_years=1) == [
        "(en-tête): 2 enveloppes annuelles (« funding.envelopes ») pour une sélection d'un an (« selection_years ») :"
        " corrigez l'une ou l'autre"]
    over = {"envelope": "100", "envelopes": [{"year": 2021, "amount": "60"}, {"year": 2022, "amount": "50"}]}
    assert errors(write_call, funding=over) == [
        "funding: la somme des enveloppes annuelles (110 €) dépasse l'enveloppe totale (100 €)"]
    assert errors(write_call, funding={"envelopes": [{"year": 1999, "amount": "1"}]}) == [
        "funding.envelopes[1].year: année de 2000 à 2100 attendue, reçu « 1999 »"]
    assert at(errors(write_call, funding={"envelopes": [{"year": 2021, "amount": "-1"}]}), "funding.envelopes[1].amount")


def test_envelopes_and_the_selection_duration_are_on_the_page(client, publish_call):
    publish_call("pluriannuel", selection_years=2, grouped_applications=True,
                 funding={"envelopes": [{"year": 2021, "amount": "156800"},
                                        {"year": 2022, "amount": "196600.50", "note": "sous réserve du vote"}]})
    text = page(client, "pluriannuel")
    for fact in ["Durée de la sélection", "2 ans", "Enveloppe 2021", "156 800 €", "Enveloppe 2022",
                 "196 600,50 € (sous réserve du vote)", "Candidatures groupées",
                 "Admises : plusieurs organismes peuvent candidater ensemble"]:
        assert fact in text, fact
    publish_call("seul", selection_years=1, grouped_applications=False)
    text = page(client, "seul")
    assert "1 an" in text and "Non admises : chaque organisme candidate seul" in text


# 4. Arrondissements and territorial priorities

def test_arrondissements_and_priorities_are_checked(write_call):
    arras = {"name": "Arrondissement d'Arras", "code": "ARR-621"}
    priorities = [{"territory": arras, "share_percent": "80", "note": "des interventions"},
                  {"territory": {"name": "Corse-du-Sud", "code": "ARR-2A1"}, "share_percent": "20"}]
    assert errors(write_call, territories=[arras], priorities=priorities) == []
    assert errors(write_call, territories=[{"name": "Arras", "code": "ARR-62"}]) == [
        "territories[1].code: format invalide « ARR-62 » : écrivez PAYS-…, REG-…, DEP-…, ARR-…, EPCI-… ou COM-… "
        "suivi du code officiel géographique (DEP-62, ARR-621, COM-62041)"]
    assert at(errors(write_call, priorities=[{"territory": arras, "share_percent": "120"}]),
              "priorities[1].share_percent")
    assert errors(write_call, priorities=[{"territory": arras, "share_percent": "80"},
                                          {"territory": {"name": "Lens"}, "share_percent": "30"}]) == [
        "(en-tête): les parts des priorités territoriales (« priorities ») dépassent 100 % (110 %)"]


def test_priorities_are_on_the_page(client, publish_call):
    publish_call("priorites", territories=[{"name": "Arrondissement de Lens", "code": "ARR-624"}],
                 priorities=[{"territory": {"name": "Arrondissement de Lens", "code": "ARR-624"},
                              "share_percent": "80", "note": "des interventions"}])
    text = page(client, "priorites")
    assert "Priorités territoriales" in text and "Arrondissement de Lens : 80 % des interventions" in text


# 5. Recurring milestones and periods

def test_milestones_as_periods_and_recurring_are_checked(write_call):
    good = [{"date": "2021-07-01", "ends_on": "2021-07-07", "label": "Bilan d'étape", "recurrence": "yearly",
             "until": "2022-07-07", "when": "au plus tard la première semaine de juillet"},
            {"label": "Comité de pilotage", "when": "lors du dernier trimestre de chaque année",
             "recurrence": "yearly"},
            {"date": "2021-01-29", "label": "Sélection"}]
    assert errors(write_call, milestones=good) == []
    assert errors(write_call, milestones=[{"date": "2021-07-07", "ends_on": "2021-07-01", "label": "X"}]) == [
        "milestones[1]: la fin (2021-07-01) précède le début (2021-07-07)"]
    assert errors(write_call, milestones=[{"label": "Quand ?"}]) == [
        "milestones[1]: dites quand : une date (« date ») ou les mots de l'appel (« when »)"]
    assert errors(write_call, milestones=[{"date": "2021-07-01", "label": "X", "until": "2022-07-01"}]) == [
        "milestones[1]: « until » (dernière occurrence) ne vaut que pour une date qui se répète (« recurrence »)"]
    assert errors(write_call, milestones=[{"date": "2021-07-01", "label": "X", "recurrence": "yearly",
                                           "until": "2021-01-01"}]) == [
        "milestones[1]: la dernière occurrence (2021-01-01) précède la première (2021-07-01)"]
    assert errors(write_call, milestones=[{"date": "2021-01-01", "ends_on": "2022-06-30", "label": "X",
                                           "recurrence": "yearly"}]) == [
        "milestones[1]: une période qui revient chaque année ne peut durer plus d'un an"]
    assert errors(write_call, milestones=[{"ends_on": "2021-01-01", "label": "X", "when": "bientôt"}]) == [
        "milestones[1]: « ends_on » (fin de la période) demande une date de début (« date »)"]
    assert at(errors(write_call, milestones=[{"date": "2021-01-01", "label": "X", "recurrence": "weekly"}]),
              "milestones[1].recurrence")


RECURRING = [{"date": "2021-07-01", "ends_on": "2021-07-07", "label": "Bilan d'étape à la Dihal",
              "recurrence": "yearly", "until": "2022-07-07", "when": "au plus tard la première semaine de juillet"},
             {"label": "Comité de pilotage", "when": "lors du dernier trimestre de chaque année",
              "recurrence": "yearly"},
             {"date": "2025-06-02", "ends_on": "2025-06-13", "label": "Auditions des candidats"},
             {"date": "2025-09-01", "label": "Tableau de reporting", "recurrence": "monthly"}]


def test_recurring_milestones_and_periods_are_on_the_page(client, publish_call):
    publish_call("jalons", milestones=RECURRING)
    text = page(client, "jalons")
    for fact in ["Chaque année, du 1er juillet 2021 au 7 juillet 2021, jusqu'en 2022 (au plus tard la première "
                 "semaine de juillet) : Bilan d'étape à la Dihal",
                 "Chaque année (lors du dernier trimestre de chaque année) : Comité de pilotage",
                 "Du 2 juin 2025 au 13 juin 2025 : Auditions des candidats",
                 "Chaque mois, à partir du 1er septembre 2025 : Tableau de reporting"]:
        assert fact in text, fact


def test_the_calendar_holds_selection_start_and_milestones(client, publish_call):
    publish_call("agenda", selection_date="2025-06-15", start_date="2025-07-01", milestones=RECURRING)
    found = events(client, "agenda")
    selection = found["Sélection : Équipes mobiles de prévention des expulsions"]
    assert selection["dtstart"].dt == dt.date(2025, 6, 15) and selection["dtend"].dt == dt.date(2025, 6, 16)
    assert found["Démarrage : Équipes mobiles de prévention des expulsions"]["dtstart"].dt == dt.date(2025, 7, 1)
    report = found["Bilan d'étape à la Dihal — Équipes mobiles de prévention des expulsions"]
    assert report["dtstart"].dt == dt.date(2021, 7, 1) and report["dtend"].dt == dt.date(2021, 7, 8)  # exclusive
    rule = report["rrule"]
    assert rule["freq"] == ["YEARLY"] and rule["until"][0] == dt.date(2022, 7, 7)
    assert "au plus tard la première semaine de juillet" in str(report["description"])
    hearing = found["Auditions des candidats — Équipes mobiles de prévention des expulsions"]
    assert hearing["dtend"].dt == dt.date(2025, 6, 14) and "rrule" not in hearing
    assert found["Tableau de reporting — Équipes mobiles de prévention des expulsions"]["rrule"]["freq"] == [
        "MONTHLY"]
    # A milestone the call dates only in words has no instant to put in a calendar.
    assert not any("Comité de pilotage" in summary for summary in found)
    # The closing is still there.
    assert "Clôture : Équipes mobiles de prévention des expulsions" in found


# 6. Quantified commitments and targets on indicators

def test_commitments_and_targets_are_checked(write_call):
    commitments = [{"label": "Équipe", "at_least": 4, "unit": "personnes"},
                   {"label": "Situations nouvelles", "value": 25, "unit": "situations", "per": "month"},
                   {"label": "ETP financés par territoire", "at_least": 3, "at_most": 5, "unit": "ETP"},
                   {"label": "Veille sociale", "at_most": 15, "unit": "jours", "note": "après le dernier échange"}]
    evaluation = {"indicators": [{"label": "nombre de jeunes entrés en logement",
                                  "target": {"at_least": 30, "unit": "jeunes", "per": "year"}},
                                 "nombre de bailleurs contactés"]}
    assert errors(write_call, commitments=commitments, evaluation=evaluation) == []
    assert errors(write_call, commitments=[{"label": "X", "value": 4, "at_least": 3}]) == [
        "commitments[1]: écrivez soit « value » (une quantité exacte), soit « at_least » et/ou « at_most » "
        "(un minimum, un maximum), pas les deux"]
    assert errors(write_call, commitments=[{"label": "X", "unit": "ETP"}]) == [
        "commitments[1]: donnez la quantité : « value », « at_least » ou « at_most »"]
    assert errors(write_call, commitments=[{"label": "X", "at_least": 5, "at_most": 3}]) == [
        "commitments[1]: le minimum (5) dépasse le maximum (3)"]
    assert at(errors(write_call, commitments=[{"label": "X", "value": "vingt"}]), "commitments[1].value")
    assert at(errors(write_call, commitments=[{"label": "X", "value": 2, "per": "fortnight"}]), "commitments[1].per")
    assert errors(write_call, evaluation={"indicators": [{"label": "X", "target": {"unit": "jeunes"}}]}) == [
        "evaluation.indicators[1].target: donnez la quantité : « value », « at_least » ou « at_most »"]


def test_commitments_and_targets_are_kept_as_data_and_shown(client, publish_call):
    call = publish_call("engagements",
                        commitments=[{"label": "Une équipe", "at_least": 4, "unit": "personnes"},
                                     {"label": "Situations nouvelles", "value": 25, "unit": "situations",
                                      "per": "month"},
                                     {"label": "ETP financés", "at_least": 3, "at_most": 5, "unit": "ETP",
                                      "note": "par territoire"}],
                        evaluation={"indicators": [{"label": "nombre de jeunes entrés en logement",
                                                    "target": {"at_least": 30, "unit": "jeunes", "per": "year"}}]})
    spec = call.spec
    assert spec.commitments[1].value == Decimal("25") and spec.commitments[1].per == "month"
    assert spec.evaluation.indicators[0].target.at_least == Decimal("30")
    text = page(client, "engagements")
    for fact in ["Engagements demandés", "Une équipe : au moins 4 personnes", "Situations nouvelles : 25 situations "
                 "par mois", "ETP financés : entre 3 et 5 ETP (par territoire)",
                 "nombre de jeunes entrés en logement — objectif : au moins 30 jeunes par an"]:
        assert fact in text, fact


# 7. The issuer's unit and postal address

def test_issuer_unit_and_address_are_shown(client, publish_call, write_call):
    issuer = {"body": "Préfet de Seine-et-Marne", "direction": "Direction départementale de la cohésion sociale",
              "service": "Pôle Hébergement et Logement", "unit": "Bureau Prévention des Expulsions",
              "address": "20 Quai Hippolyte Rossignol\n77010 MELUN CEDEX"}
    assert errors(write_call, issuer=issuer) == []
    publish_call("organisme", issuer=issuer)
    text = page(client, "organisme")
    assert ("Pôle Hébergement et Logement<br>Bureau Prévention des Expulsions<br>"
            "<span class=\"address\">20 Quai Hippolyte Rossignol<br>77010 MELUN CEDEX</span>") in text


# 8. Every fact the file holds is on the page

def test_reports_due_after_award_are_on_the_page(client, publish_call):
    publish_call("bilans", evaluation={"interim_report": "Tableau de reporting mensuel.",
                                       "final_report": "Bilan quantitatif et qualitatif."})
    text = page(client, "bilans")
    assert "Bilans à rendre" in text
    assert "Bilan intermédiaire : Tableau de reporting mensuel." in text
    assert "Bilan final : Bilan quantitatif et qualitatif." in text


def test_a_spec_without_the_new_fields_stays_valid():
    spec = CallSpec.model_validate(call_data())
    assert spec.other_channels == [] and spec.priorities == [] and spec.commitments == []
    assert spec.issuer.unit is None and spec.issuer.address is None


@pytest.mark.parametrize("field", ["other_channels", "priorities", "commitments"])
def test_new_parts_have_french_names_in_the_change_list(field):
    from portal.catalog.schema import FIELD_LABELS

    assert FIELD_LABELS[field][0].isupper()


# 9. The shipped calls use them where their seeds say so (../shared/seeds/)

@pytest.fixture
def shipped(app):
    from portal.catalog import queries
    from portal.catalog.services import sync_calls
    from portal.config import ROOT
    from portal.core.time import now

    assert sync_calls([ROOT / "calls"], now()).errors == []
    return {item.call.slug: item.call for item in queries.all_calls(now())}


def test_seine_et_marne_takes_post_and_e_mail_and_asks_the_cerfa_of_associations(client, shipped):
    call = shipped["ami-2021-seine-et-marne-equipes-mobiles"]
    spec = call.spec
    cerfa = next(d for d in spec.required_documents if d.key == "cerfa-12156")
    assert cerfa.required_for == [LegalForm.ASSOCIATION]  # « s'il s'agit d'une association »
    assert spec.issuer.unit == "Bureau Prévention des Expulsions"
    assert [c.kind for c in spec.other_channels] == ["email", "post"]  # « par voie postale et électronique »
    assert spec.commitments[0].value == Decimal("4") and spec.commitments[0].unit == "ETP"
    text = page(client, call.slug)
    for fact in ["(obligatoire pour les associations)", "Par courrier", "DDCS de Seine-et-Marne<br>20 Quai Hippolyte "
                 "Rossignol<br>77010 MELUN CEDEX", "A l'attention d'Annick Volpatti", "Nombre d'ETP de l'équipe "
                 "mobile : 4 ETP"]:
        assert fact in text, fact
    assert "le cachet de la poste" not in text.lower()  # the call does not say it


def test_the_national_framework_has_its_recurring_milestones_in_its_calendar(client, shipped):
    call = shipped["cadre-national-equipes-mobiles-prevention-expulsions"]
    report = call.spec.milestones[1]
    assert report.recurrence == "yearly" and report.until == dt.date(2022, 7, 7)
    first = call.spec.commitments[0]
    assert (first.at_least, first.at_most) == (Decimal("3"), Decimal("5"))
    found = events(client, call.slug)
    assert any(str(e.get("rrule", {}).get("freq", [""])[0]) == "YEARLY" for e in found.values())
    text = page(client, call.slug)
    assert "Équivalents temps plein (ETP) financés par territoire : entre 3 et 5 ETP" in text
    assert "Chaque année, du 1er octobre 2021 au 31 décembre 2021 (lors du dernier trimestre de chaque année)" in text


def test_the_young_tenants_call_sets_a_target_on_its_indicator(shipped):
    call = next(c for c in shipped.values() if "jeunes primo" in c.title.lower())
    target = call.spec.evaluation.indicators[0].target
    assert target.at_least == Decimal("30")  # « Un objectif minimal de 30 jeunes ayant accédé au logement »


def test_themes_a_contacts_organisation_and_a_periods_note_are_on_the_page(client, publish_call):
    publish_call("cadre", kind="cadre", windows=[], carriers=None, themes=["prévention des expulsions", "logement"],
                 period={"start": "2021-01-01", "end": "2022-12-31", "note": "Financement prévu pour 2 ans."},
                 contacts=[{"name": "Annick VOLPATTI", "role": "Référent départemental",
                            "organisation": "DDCS de Seine-et-Marne"}])
    text = page(client, "cadre")
    for fact in ["Thèmes", "prévention des expulsions, logement", "du 1er janvier 2021 au 31 décembre 2022 — "
                 "Financement prévu pour 2 ans.", "Annick VOLPATTI, Référent départemental, DDCS de Seine-et-Marne"]:
        assert fact in text, fact
