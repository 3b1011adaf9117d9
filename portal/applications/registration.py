"""Files that arrive another way: sent by post (« le cachet de la poste faisant foi ») or by e-mail, registered by a
call manager on the organisation's behalf, so that screening, reviewing and deciding happen in one place. The
organisation is found or created by the accounts domain, the documents go through the one upload path (checked and
scanned like every upload) and the deposit through the one deposit path (submission.record_deposit): number,
version, receipt. What counts for the time limit is the date of the postmark or of receipt, not the registration."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts import organisations
from portal.accounts.models import Organisation, User
from portal.applications import cerfa, documents, submission
from portal.applications.models import Application
from portal.applications.queries import of_organisation_in_window
from portal.applications.states import Channel
from portal.catalog.models import Window
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, datetime_fr
from portal.core.storage import storage
from portal.core.time import today_paris
from portal.extensions import db

# What the date is, as each channel's refusals say it (« Le cachet de la poste (12 mai 2025) est postérieur… »).
_DATE_OF = {Channel.POST: ("Le cachet de la poste", "postérieur", "antérieur"),
            Channel.EMAIL: ("La date de réception du courriel", "postérieure", "antérieure")}


class AlreadyRegistered(Refusal):
    """The organisation already has a file for this window (one per organisation and window): the page links to it."""

    def __init__(self, message: str, existing: Application) -> None:
        super().__init__(message, field="organisation_id")
        self.existing = existing


def register(window: Window | None, organisation: Organisation | organisations.Identity, channel: str | None,
             received_on: dt.date | None, uploads: dict[str, list[tuple[BinaryIO, str]]], by: User, at: dt.datetime,
             amount_requested: str | None = None) -> Application:
    """Register and deposit a file received by post or e-mail. `uploads` maps a document of the call to its scanned
    files (any may be missing: a paper file may be incomplete, screening says so). Nothing is kept if refused."""
    channel = _channel(channel)
    _check_dates(window, channel, received_on, at)
    amount = _amount(amount_requested)
    if isinstance(organisation, organisations.Identity):
        organisation, created = organisations.find_or_register(organisation, by)
    else:
        created = False
    application = _new_application(window, organisation, channel, received_on, by, at)
    if amount:
        application.answers = {"cerfa": {"amount_requested": amount}}
    _store(application, uploads, organisation.id, by, at)
    version = submission.record_deposit(application, by, at)
    audit.record("application.registered", actor=by, target=f"application:{application.id}",
                 number=application.number, version=version.number, channel=channel.value,
                 received_on=received_on.isoformat(), organisation=organisation.legal_name,
                 organisation_created=created, files=[f.name for f in version.files])
    return application


def _channel(value: str | None) -> Channel:
    try:
        channel = Channel(value or "")
    except ValueError:
        channel = None
    if channel is None or not channel.registered_by_staff:
        raise Refusal("Choisissez comment le dossier est arrivé : par courrier ou par courriel.", field="channel")
    return channel


def _check_dates(window: Window | None, channel: Channel, received_on: dt.date | None, at: dt.datetime) -> None:
    if window is None:
        raise Refusal("Choisissez la fenêtre de candidature du dossier.", field="window_id")
    if window.opens_at is not None and at < window.opens_at:
        raise Refusal("Cette fenêtre de candidature n'est pas encore ouverte : aucun dossier ne peut y être "
                      "enregistré.", field="window_id")
    if received_on is None:
        raise Refusal("Indiquez la date du cachet de la poste ou de réception du courriel (JJ/MM/AAAA).",
                      field="received_on")
    what, later, earlier = _DATE_OF[channel]
    if received_on > today_paris(at):
        raise Refusal(f"{what} ({date_fr(received_on)}) ne peut pas être dans le futur : vérifiez la date.",
                      field="received_on")
    if window.opens_at is not None and received_on < today_paris(window.opens_at):
        raise Refusal(f"{what} ({date_fr(received_on)}) est {earlier} à l'ouverture de la fenêtre, le "
                      f"{date_fr(window.opens_at)} : un dossier ne peut pas être envoyé avant l'ouverture.",
                      field="received_on")
    closing_day = today_paris(window.closes_at)
    if received_on > closing_day:
        raise Refusal(f"{what} ({date_fr(received_on)}) est {later} à la date limite du {date_fr(closing_day)} : le "
                      "dossier est hors délai.", field="received_on")


def _amount(text: str | None) -> str | None:
    """Cerfa 12156, « montant de la subvention demandée », as written on the paper form (stored raw, as typed)."""
    text = (text or "").strip()
    try:
        amount = cerfa.parse_amount(text)
    except ValueError:
        amount = -1
    if amount is not None and amount < 0:
        raise Refusal("Saisissez un montant en euros, par exemple 12 000 ou 12 000,50.", field="amount_requested")
    return text or None


def _new_application(window: Window, organisation: Organisation, channel: Channel, received_on: dt.date, by: User,
                     at: dt.datetime) -> Application:
    existing = of_organisation_in_window(organisation.id, window.id)
    if existing is not None:
        raise _already(organisation, existing)
    application = Application(call_id=window.call_id, window_id=window.id, organisation_id=organisation.id,
                              answers={}, created_at=at, created_by_id=by.id, updated_at=at, updated_by_id=by.id,
                              updated_by_name=by.name, channel=channel, received_on=received_on,
                              registered_by_id=by.id)
    try:
        with db.session.begin_nested():  # a colleague registering the same file at the same instant
            db.session.add(application)
    except IntegrityError as error:
        raise _already(organisation, of_organisation_in_window(organisation.id, window.id)) from error
    return application


def _already(organisation: Organisation, existing: Application) -> AlreadyRegistered:
    if existing.ever_deposited:
        return AlreadyRegistered(f"« {organisation.legal_name} » a déjà un dossier pour cette fenêtre : "
                                 f"{existing.number}. Ajoutez-y les pièces reçues par une demande de pièces.", existing)
    return AlreadyRegistered(f"« {organisation.legal_name} » a déjà un dossier pour cette fenêtre : un brouillon "
                             "commencé en ligne et jamais déposé. Demandez à l'organisation de le déposer, ou de le "
                             "supprimer pour que le dossier papier soit enregistré.", existing)


def _store(application: Application, uploads: dict[str, list[tuple[BinaryIO, str]]], organisation_id: uuid.UUID,
           by: User, at: dt.datetime) -> None:
    """Each scanned file through the one upload path; a refusal names its field, and removes from the store the
    files this registration stored before it (the transaction forgets their rows): a refused file leaves nothing."""
    stored = []
    try:
        for key, files in uploads.items():
            for stream, filename in files:
                try:
                    stored.append(documents.upload(application, key, stream, filename, by, organisation_id,
                                                   at).storage_key)
                except Refusal as refused:
                    refused.field = field_of(key)
                    raise
    except BaseException:
        for key in stored:
            storage().delete(key)
        raise


def field_of(key: str) -> str:
    """The form field of a call's document (« cerfa-12156 » → « doc_cerfa_12156 »)."""
    return "doc_" + key.replace("-", "_")


@dataclass(frozen=True)
class Mark:
    """How an application registered by staff came: what its badge says."""

    channel: Channel
    received_on: dt.date | None


def marks_of(application_ids) -> dict[uuid.UUID, Mark]:
    """The applications among these that staff registered, read in one query (the ranking and the reviews' lists
    show their badge without loading every application)."""
    ids = {uuid.UUID(str(i)) for i in application_ids}
    if not ids:
        return {}
    rows = db.session.execute(select(Application.id, Application.channel, Application.received_on)
                              .where(Application.id.in_(ids), Application.channel != Channel.ONLINE))
    return {row.id: Mark(Channel(row.channel), row.received_on) for row in rows}


def deadline_fact(application: Application) -> tuple[bool, str] | None:
    """For a file registered by staff, whether it came in time and why (the postmark or receipt date against the
    closing day, not the registration's instant); None for a file deposited online, judged by its version."""
    if not Channel(application.channel).registered_by_staff or application.received_on is None:
        return None
    closing_day = today_paris(application.window.closes_at)
    what = _DATE_OF[Channel(application.channel)][0]
    return (application.received_on <= closing_day,
            f"{what} : {date_fr(application.received_on)} ; date limite : {date_fr(closing_day)}.")


def badge(channel, received_on: dt.date | None, long: bool = False) -> str | None:
    """« Reçu par courrier — cachet du 12/05/2025 », « Reçu par courriel le 12/05/2025 » (with « , enregistré par le
    service » where the page is the applicant's); None for a file deposited online. The badge's one wording."""
    channel = Channel(channel or Channel.ONLINE)
    if not channel.registered_by_staff:
        return None
    day = received_on.strftime("%d/%m/%Y") if received_on else "date inconnue"
    said = f"Reçu par courrier — cachet du {day}" if channel is Channel.POST else f"Reçu par courriel le {day}"
    return said + (", enregistré par le service" if long else "")


def receipt_line(application: Application, version) -> str | None:
    """What a receipt says of a file registered by staff: « Dossier reçu par courrier le 12 mai 2025 (cachet de la
    poste), enregistré par le service le 14 mai 2025 à 9 h 30 (heure de Paris). »"""
    channel = Channel(application.channel or Channel.ONLINE)
    if not channel.registered_by_staff:
        return None
    how = "par courrier le {} (cachet de la poste)" if channel is Channel.POST else "par courriel le {}"
    return (f"Dossier reçu {how.format(date_fr(application.received_on))}, enregistré par le service le "
            f"{datetime_fr(version.submitted_at)}.")
