"""The states of the follow-up after award (stored English values, French labels): conventions and their
versions, payment tranches and their triggers, reports and their kinds."""

from __future__ import annotations

from portal.core.labels import Labelled, labelled


class ConventionState(Labelled):
    DRAFT = "draft"  # drafted from the call and the decision, not yet sent
    SENT = "sent"  # sent to the organisation for signature
    SIGNED_BY_ORGANISATION = "org_signed"
    SIGNED_BY_ISSUER = "issuer_signed"  # signed by both: the issuer signs last
    IN_FORCE = "in_force"
    CLOSED = "closed"  # every report accepted, every tranche paid or recovered


CONVENTION_STATE_LABELS = labelled(ConventionState, {
    ConventionState.DRAFT: "En préparation", ConventionState.SENT: "Envoyée pour signature",
    ConventionState.SIGNED_BY_ORGANISATION: "Signée par l'organisation",
    ConventionState.SIGNED_BY_ISSUER: "Signée par les deux parties", ConventionState.IN_FORCE: "En vigueur",
    ConventionState.CLOSED: "Soldée"})


class VersionKind(Labelled):
    INITIAL = "initial"
    AMENDMENT = "amendment"  # « avenant »


VERSION_KIND_LABELS = labelled(VersionKind, {VersionKind.INITIAL: "Convention initiale",
                                             VersionKind.AMENDMENT: "Avenant"})


class SignatureSide(Labelled):
    ORGANISATION = "organisation"
    ISSUER = "issuer"


SIGNATURE_SIDE_LABELS = labelled(SignatureSide, {SignatureSide.ORGANISATION: "Organisation bénéficiaire",
                                                 SignatureSide.ISSUER: "Financeur"})


class Trigger(Labelled):
    """What makes a tranche due: the convention's signature, a date, or the acceptance of a report."""

    SIGNATURE = "signature"
    DATE = "date"
    REPORT = "report"


TRIGGER_LABELS = labelled(Trigger, {Trigger.SIGNATURE: "À la signature de la convention",
                                    Trigger.DATE: "À une date", Trigger.REPORT: "À l'acceptation d'un bilan"})


class TrancheState(Labelled):
    PLANNED = "planned"  # its trigger has not happened
    DUE = "due"
    REQUESTED = "requested"  # asked of finance
    CERTIFIED = "certified"  # « service fait » certified by a person with that right
    PAID = "paid"
    CANCELLED = "cancelled"


TRANCHE_STATE_LABELS = labelled(TrancheState, {
    TrancheState.PLANNED: "Prévue", TrancheState.DUE: "Due", TrancheState.REQUESTED: "Demandée",
    TrancheState.CERTIFIED: "Service fait certifié", TrancheState.PAID: "Payée", TrancheState.CANCELLED: "Annulée"})


class ReportKind(Labelled):
    INTERIM = "interim"  # bilan d'étape
    ANNUAL = "annual"
    FINAL = "final"
    FINANCIAL = "financial"  # Cerfa n°15059 « compte rendu financier », six months after the funded year


REPORT_KIND_LABELS = labelled(ReportKind, {
    ReportKind.INTERIM: "Bilan intermédiaire", ReportKind.ANNUAL: "Bilan annuel", ReportKind.FINAL: "Bilan final",
    ReportKind.FINANCIAL: "Compte rendu financier (Cerfa n°15059)"})


class ReportState(Labelled):
    EXPECTED = "expected"
    SUBMITTED = "submitted"  # received by the service
    TO_COMPLETE = "to_complete"  # the service asked for what is missing
    ACCEPTED = "accepted"


REPORT_STATE_LABELS = labelled(ReportState, {
    ReportState.EXPECTED: "Attendu", ReportState.SUBMITTED: "Reçu", ReportState.TO_COMPLETE: "À compléter",
    ReportState.ACCEPTED: "Accepté"})
