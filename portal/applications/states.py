"""The states of an application and of what it holds, as stored (English values), with their French labels."""

from __future__ import annotations

from enum import StrEnum

from portal.core.labels import Labelled, labelled

# What a virus scanner said of a file: one vocabulary for every stored upload (core), re-exported here.
from portal.core.scan_status import SCAN_LABELS, ScanStatus  # noqa: F401


class ApplicationStatus(Labelled):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # deposited: see Application.is_deposited
    WITHDRAWN = "withdrawn"


STATUS_LABELS = labelled(ApplicationStatus, {
    ApplicationStatus.DRAFT: "Brouillon — non déposé", ApplicationStatus.SUBMITTED: "Déposée",
    ApplicationStatus.WITHDRAWN: "Désistement"})



class VersionKind(Labelled):
    """Why a version was deposited (stored in application_versions.reason; French values before migration
    f2b4d6a8c0e1: depot, modifications)."""

    DEPOSIT = "deposit"  # the first deposit, which gives the number
    CHANGES = "changes"  # changes deposited before the deadline
    PIECES = "pieces"  # pieces asked for after it


VERSION_KIND_LABELS = labelled(VersionKind, {
    VersionKind.DEPOSIT: "Dépôt", VersionKind.CHANGES: "Modifications déposées",
    VersionKind.PIECES: "Pièces complémentaires"})


class PartnerState(StrEnum):
    """A partner of a grouped application: invited by e-mail, then accepted by one of its organisation's members
    (derived from Partner.accepted_at: no column)."""

    INVITED = "invited"
    ACCEPTED = "accepted"


class PieceRequestState(StrEnum):
    """A request for pieces: open until answered or due (derived from answered_at and due_at: no column)."""

    OPEN = "open"
    ANSWERED = "answered"
    LAPSED = "lapsed"


class Channel(Labelled):
    """How an application reached the service: deposited online, or sent by post or e-mail and registered by a
    call manager on the organisation's behalf (registration.py)."""

    ONLINE = "online"
    POST = "post"
    EMAIL = "email"

    @property
    def registered_by_staff(self) -> bool:
        return self is not Channel.ONLINE


CHANNEL_LABELS = labelled(Channel, {
    Channel.ONLINE: "Déposée en ligne", Channel.POST: "Reçue par courrier, enregistrée par le service",
    Channel.EMAIL: "Reçue par courriel, enregistrée par le service"})


class MessageSide(Labelled):
    """Who a message of an application's thread speaks for: the applying organisation or the call's service."""

    APPLICANT = "applicant"
    SERVICE = "service"


MESSAGE_SIDE_LABELS = labelled(MessageSide, {
    MessageSide.APPLICANT: "Organisation candidate", MessageSide.SERVICE: "Service instructeur"})
