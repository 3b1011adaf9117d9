"""The states of the selection, as stored: English values in the database and the code, French only in the labels
a person reads (each enum's `label`). Each table's CheckConstraint is derived from its enum (core.db.check_in)."""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[self]


class RoundPhase(_Labelled):
    """The phases of a round; what each allows is in phases.PHASES."""

    ELIGIBILITY = "eligibility"
    REVIEW = "review"
    DELIBERATION = "deliberation"
    DECIDED = "decided"


class Verdict(_Labelled):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class AssignmentMethod(_Labelled):
    MANUAL = "manual"
    BULK = "bulk"
    CSV = "csv"
    AUTO = "auto"


class ConflictKind(_Labelled):
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


class DeclaredBy(_Labelled):
    SYSTEM = "system"
    REVIEWER = "reviewer"
    APPLICANT = "applicant"
    MANAGER = "manager"


class ReviewStatus(_Labelled):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Opinion(_Labelled):
    FAVOURABLE = "favourable"
    RESERVED = "reserved"
    UNFAVOURABLE = "unfavourable"


class Outcome(_Labelled):
    """What the committee decides; a laureate's withdrawal after publication makes the fourth (waiting_list.py)."""

    SELECTED = "selected"
    WAITING_LIST = "waiting_list"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def committee(cls) -> tuple[Outcome, ...]:
        """The outcomes the committee records; a withdrawal is recorded afterwards, never decided."""
        return cls.SELECTED, cls.WAITING_LIST, cls.REJECTED


class ChangeKind(_Labelled):
    WITHDRAWAL = "withdrawal"
    PROMOTION = "promotion"


class AttendanceRole(_Labelled):
    REVIEWER = "reviewer"
    MANAGER = "manager"


_LABELS: dict[StrEnum, str] = {
    RoundPhase.ELIGIBILITY: "Recevabilité", RoundPhase.REVIEW: "Évaluation",
    RoundPhase.DELIBERATION: "Délibération", RoundPhase.DECIDED: "Décisions publiées",
    Verdict.ELIGIBLE: "Recevable", Verdict.INELIGIBLE: "Irrecevable",
    AssignmentMethod.MANUAL: "Une par une", AssignmentMethod.BULK: "En groupe", AssignmentMethod.CSV: "Import CSV",
    AssignmentMethod.AUTO: "Automatique",
    ConflictKind.MEMBER: "Membre de l'organisation candidate", ConflictKind.PARTNER: "Membre d'une organisation partenaire",
    ConflictKind.PROFESSIONAL: "Lien professionnel", ConflictKind.PERSONAL: "Lien personnel ou familial",
    ConflictKind.FINANCIAL: "Intérêt financier", ConflictKind.OTHER: "Autre",
    DeclaredBy.SYSTEM: "Détecté automatiquement", DeclaredBy.REVIEWER: "Déclaré par l'évaluateur",
    DeclaredBy.APPLICANT: "Signalé par le candidat", DeclaredBy.MANAGER: "Déclaré par le gestionnaire",
    ReviewStatus.DRAFT: "Brouillon", ReviewStatus.SUBMITTED: "Soumise",
    Opinion.FAVOURABLE: "Favorable", Opinion.RESERVED: "Réservé", Opinion.UNFAVOURABLE: "Défavorable",
    Outcome.SELECTED: "Retenu", Outcome.WAITING_LIST: "Liste complémentaire", Outcome.REJECTED: "Non retenu",
    Outcome.WITHDRAWN: "Désistement",
    ChangeKind.WITHDRAWAL: "Désistement", ChangeKind.PROMOTION: "Retenue sur la liste complémentaire",
    AttendanceRole.REVIEWER: "Membre du comité d'évaluation", AttendanceRole.MANAGER: "Gestionnaire de l'appel",
}

# For templates that name a stored value (`outcomes[row.outcome]`): a plain string finds its member's label.
OUTCOME_LABELS = {o: o.label for o in Outcome}
OPINION_LABELS = {o: o.label for o in Opinion}
