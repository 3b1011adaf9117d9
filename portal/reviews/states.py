"""The states of the selection, as stored: English values in the database and the code, French only in the labels
a person reads (each enum's `label`). Each table's CheckConstraint is derived from its enum (core.db.check_in)."""

from __future__ import annotations

from portal.core.labels import Labelled, labelled


class RoundPhase(Labelled):
    """The phases of a round; what each allows is in phases.PHASES."""

    ELIGIBILITY = "eligibility"
    REVIEW = "review"
    DELIBERATION = "deliberation"
    DECIDED = "decided"


class Verdict(Labelled):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class AssignmentMethod(Labelled):
    MANUAL = "manual"
    BULK = "bulk"
    CSV = "csv"
    AUTO = "auto"


class ConflictKind(Labelled):
    MEMBER = "member"  # detected from memberships
    PARTNER = "partner"  # detected from memberships
    PROFESSIONAL = "professional"
    PERSONAL = "personal"
    FINANCIAL = "financial"
    OTHER = "other"

    @property
    def is_detected(self) -> bool:
        """Found by the portal from memberships, never declared by a person."""
        return self in (ConflictKind.MEMBER, ConflictKind.PARTNER)


class DeclaredBy(Labelled):
    SYSTEM = "system"
    REVIEWER = "reviewer"
    APPLICANT = "applicant"
    MANAGER = "manager"


class ReviewStatus(Labelled):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Opinion(Labelled):
    FAVOURABLE = "favourable"
    RESERVED = "reserved"
    UNFAVOURABLE = "unfavourable"


class Outcome(Labelled):
    """What the committee decides; a laureate's withdrawal after publication makes the fourth (waiting_list.py)."""

    SELECTED = "selected"
    WAITING_LIST = "waiting_list"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def committee(cls) -> tuple[Outcome, ...]:
        """The outcomes the committee records; a withdrawal is recorded afterwards, never decided."""
        return cls.SELECTED, cls.WAITING_LIST, cls.REJECTED


class ChangeKind(Labelled):
    WITHDRAWAL = "withdrawal"
    PROMOTION = "promotion"


class AttendanceRole(Labelled):
    REVIEWER = "reviewer"
    MANAGER = "manager"


labelled(RoundPhase, {RoundPhase.ELIGIBILITY: "Recevabilité", RoundPhase.REVIEW: "Évaluation",
                     RoundPhase.DELIBERATION: "Délibération", RoundPhase.DECIDED: "Décisions publiées"})
labelled(Verdict, {Verdict.ELIGIBLE: "Recevable", Verdict.INELIGIBLE: "Irrecevable"})
labelled(AssignmentMethod, {AssignmentMethod.MANUAL: "Une par une", AssignmentMethod.BULK: "En groupe",
                            AssignmentMethod.CSV: "Import CSV", AssignmentMethod.AUTO: "Automatique"})
labelled(ConflictKind, {
    ConflictKind.MEMBER: "Membre de l'organisation candidate", ConflictKind.PARTNER: "Membre d'une organisation partenaire",
    ConflictKind.PROFESSIONAL: "Lien professionnel", ConflictKind.PERSONAL: "Lien personnel ou familial",
    ConflictKind.FINANCIAL: "Intérêt financier", ConflictKind.OTHER: "Autre"})
labelled(DeclaredBy, {DeclaredBy.SYSTEM: "Détecté automatiquement", DeclaredBy.REVIEWER: "Déclaré par l'évaluateur",
                      DeclaredBy.APPLICANT: "Signalé par le candidat", DeclaredBy.MANAGER: "Déclaré par le gestionnaire"})
labelled(ReviewStatus, {ReviewStatus.DRAFT: "Brouillon", ReviewStatus.SUBMITTED: "Soumise"})
labelled(Opinion, {Opinion.FAVOURABLE: "Favorable", Opinion.RESERVED: "Réservé", Opinion.UNFAVOURABLE: "Défavorable"})
labelled(Outcome, {Outcome.SELECTED: "Retenu", Outcome.WAITING_LIST: "Liste complémentaire",
                   Outcome.REJECTED: "Non retenu", Outcome.WITHDRAWN: "Désistement"})
labelled(ChangeKind, {ChangeKind.WITHDRAWAL: "Désistement", ChangeKind.PROMOTION: "Retenue sur la liste complémentaire"})
labelled(AttendanceRole, {AttendanceRole.REVIEWER: "Membre du comité d'évaluation",
                          AttendanceRole.MANAGER: "Gestionnaire de l'appel"})

# For templates that name a stored value (`outcomes[row.outcome]`): a plain string finds its member's label.
OUTCOME_LABELS = {o: o.label for o in Outcome}
OPINION_LABELS = {o: o.label for o in Opinion}
