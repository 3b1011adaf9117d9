"""Conventions (issue 17): drafted for a published « retenu » from the call and the decision, with the issuer's
template (its text: convention_text.py) or the portal's default one; sent for signature, signed by the
organisation then by the issuer (signed copies checked like every upload), in force at the later signature; amended
(« avenant ») once in force, each amendment a new version saying what changed, binding once both parties signed it.

Services flush and audit; the request commits (core.unit_of_work). Refusals are in French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy import func, select

from portal.accounts.models import Organisation
from portal.accounts.queries import members_of
from portal.applications.models import Application
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, money_fr
from portal.core.pdf import render_pdf
from portal.core.time import today_paris
from portal.core.uploads import store_checked
from portal.core.urls import external_url
from portal.extensions import db
from portal.followup import convention_territories
from portal.followup.convention_text import check_template, context_of, render_text, template_text
from portal.followup.models import Convention, ConventionTemplate, ConventionVersion, SignedCopy
from portal.followup.states import ConventionState, SignatureSide, VersionKind
from portal.reviews import queries as review_queries
from portal.reviews.models import Decision
from portal.reviews.states import Outcome

# Décret 2001-495 du 6 juin 2001 (art. 1er): a convention is required above this amount. A note for the staff only.
CONVENTION_THRESHOLD = Decimal("23000")
SIGNED_FORMATS = ("pdf",)
SIGNED_MAX_MB = 20

NOT_SELECTED = ("Une convention se prépare pour une candidature retenue, une fois la décision publiée : ce n'est pas "
                "le cas de celle-ci.")


# ---- reading ---------------------------------------------------------------------------------------------------

def convention_of(application: Application) -> Convention | None:
    return db.session.scalar(select(Convention).where(Convention.application_id == application.id))


def of_call(call) -> list[Convention]:
    return list(db.session.scalars(select(Convention).where(Convention.call_id == call.id)
                                   .order_by(Convention.number)))


def current_version(convention: Convention) -> ConventionVersion:
    """The latest version, an amendment under signature included (the one a signed copy is filed against)."""
    return convention.versions[-1]


def _signed_by_both(version: ConventionVersion) -> bool:
    return {copy.side for copy in version.signed_copies} >= {SignatureSide.ORGANISATION, SignatureSide.ISSUER}


def in_force_version(convention: Convention) -> ConventionVersion:
    """The terms that bind: the initial version, or the latest amendment both parties signed."""
    return next(v for v in reversed(convention.versions) if v.kind == VersionKind.INITIAL or _signed_by_both(v))


def pending_amendment(convention: Convention) -> ConventionVersion | None:
    """The amendment proposed and not yet signed by both parties (one at a time), if any."""
    latest = convention.versions[-1] if convention.versions else None
    return latest if latest is not None and latest.kind == VersionKind.AMENDMENT and not _signed_by_both(latest) \
        else None


def awaits_signature_of(convention: Convention, side: SignatureSide) -> bool:
    """Whether the convention, or its amendment under signature, waits for that side's signed copy."""
    if side == SignatureSide.ORGANISATION and convention.state == ConventionState.SENT:
        return True
    if side == SignatureSide.ISSUER and convention.state == ConventionState.SIGNED_BY_ORGANISATION:
        return True
    pending = pending_amendment(convention)
    if pending is None or convention.state != ConventionState.IN_FORCE:
        return False
    sides = {copy.side for copy in pending.signed_copies}
    return side not in sides and (side == SignatureSide.ORGANISATION or SignatureSide.ORGANISATION in sides)


def amendment_number(version: ConventionVersion) -> int:
    return version.number - 1


def application_of(convention: Convention) -> Application:
    return db.session.get(Application, convention.application_id)


def below_threshold(convention_or_amount) -> bool:
    amount = getattr(convention_or_amount, "amount", convention_or_amount)
    return amount is not None and amount <= CONVENTION_THRESHOLD


def selected_without_convention(call) -> list[Application]:
    """The call's applications with a published « retenu » and no convention yet."""
    return list(db.session.scalars(
        select(Application).join(Decision, Decision.application_id == Application.id)
        .where(Application.call_id == call.id, Decision.outcome == Outcome.SELECTED,
               Decision.published_at.is_not(None),
               Application.id.not_in(select(Convention.application_id)))
        .order_by(Application.number)))


def applications_of(listed: list[Convention]) -> list[Application]:
    ids = [c.application_id for c in listed]
    return list(db.session.scalars(select(Application).where(Application.id.in_(ids)))) if ids else []


def can_be_drafted(application: Application) -> bool:
    decision = review_queries.decision_of(application)
    return (decision is not None and decision.published_at is not None and decision.outcome == Outcome.SELECTED
            and decision.amount is not None and convention_of(application) is None)


def _dates(application: Application, duration_years: int | None) -> tuple[dt.date | None, dt.date | None]:
    period = application.window.spec.agreement_period
    if period is not None:
        return period.start, period.end
    start = application.call.spec.start_date
    if start is None:
        return None, None
    if duration_years:
        try:
            end = start.replace(year=start.year + duration_years) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + duration_years, day=28)
        return start, end
    return start, None


def _number(at: dt.datetime) -> str:
    prefix = f"CONV-{today_paris(at).year}-"
    count = db.session.scalar(select(func.count(Convention.id)).where(Convention.number.like(f"{prefix}%")))
    return f"{prefix}{count + 1:04d}"


# ---- drafting -----------------------------------------------------------------------------------------------

def draft(application: Application, by, at: dt.datetime) -> Convention:
    """Version 1 of the convention of a published « retenu », from the call, the decision and the issuer's template.
    The caller has checked can_prepare_convention."""
    decision = review_queries.decision_of(application)
    if decision is None or decision.published_at is None or decision.outcome != Outcome.SELECTED:
        raise Refusal(NOT_SELECTED)
    if decision.amount is None:
        raise Refusal("La décision ne fixe pas de montant : la convention ne peut pas être préparée.")
    existing = convention_of(application)
    if existing is not None:
        raise Refusal(f"La convention de cette candidature est déjà préparée : {existing.number}.")
    starts_on, ends_on = _dates(application, decision.duration_years)
    convention = Convention(application_id=application.id, call_id=application.call_id, number=_number(at),
                            state=ConventionState.DRAFT, amount=decision.amount, starts_on=starts_on,
                            ends_on=ends_on, created_at=at, created_by_id=getattr(by, "id", None),
                            territories=convention_territories.default_for(application))
    text = render_text(template_text(application.call.issuer), context_of(convention, application))
    convention.versions.append(ConventionVersion(number=1, kind=VersionKind.INITIAL, text=text,
                                                 amount=decision.amount, created_at=at,
                                                 created_by_id=getattr(by, "id", None)))
    db.session.add(convention)
    db.session.flush()
    audit.record("followup.convention_draft", actor=by, target=f"convention:{convention.id}",
                 number=convention.number, application=application.number, amount=str(convention.amount))
    _plan_tranches(convention, by)
    return convention


def _plan_tranches(convention: Convention, by) -> None:
    """The payment schedule (payments.plan) and the reports' calendar (reports.calendar, when the convention's
    dates are known) are drafted with the convention."""
    from portal.followup import payments, reports  # here: reports reads the conventions' permissions

    payments.plan(convention, by)
    if convention.starts_on is not None and convention.ends_on is not None:
        reports.calendar(convention, by)


def save_template(issuer: str, text: str, by, at: dt.datetime) -> ConventionTemplate:
    """The issuer's own template (the caller has checked can_manage_issuer); refused when a placeholder is unknown."""
    check_template(text)
    stored = db.session.get(ConventionTemplate, issuer)
    if stored is None:
        stored = ConventionTemplate(issuer=issuer, text=text, updated_at=at, updated_by_id=getattr(by, "id", None))
        db.session.add(stored)
    else:
        stored.text, stored.updated_at, stored.updated_by_id = text, at, getattr(by, "id", None)
    db.session.flush()
    audit.record("followup.convention_template", actor=by, target=f"issuer:{issuer}", size=len(text))
    return stored


# ---- signature ----------------------------------------------------------------------------------------------

def _lead_emails(application: Application) -> list[str]:
    organisation = db.session.get(Organisation, application.organisation_id)
    return [m.user.email for m in members_of(organisation)]


def _mail_members(convention: Convention, template: str, subject: str, **context) -> int:
    application = application_of(convention)
    link = external_url("conventions.mine", application_id=application.id)
    recipients = _lead_emails(application)
    for recipient in recipients:
        mail.enqueue(recipient, subject, template, convention=convention, application=application,
                     call=application.call, link=link, **context)
    return len(recipients)


def send(convention: Convention, by, at: dt.datetime) -> int:
    """Send the convention for signature: the lead organisation's members are e-mailed a link."""
    if convention.state != ConventionState.DRAFT:
        raise Refusal("La convention a déjà été envoyée pour signature.")
    convention.state = ConventionState.SENT
    convention.sent_at = at
    db.session.flush()
    count = _mail_members(convention, "convention_sent",
                          f"Convention {convention.number} à signer — {application_of(convention).call.title}")
    audit.record("followup.convention_send", actor=by, target=f"convention:{convention.id}",
                 number=convention.number, messages=count)
    return count


def _check_date(signed_on: dt.date | None, at: dt.datetime, sent_at: dt.datetime | None,
                organisation_signed_on: dt.date | None, what: str = "la convention") -> dt.date:
    if signed_on is None:
        raise Refusal("Indiquez la date de la signature.", field="signed_on")
    if signed_on > today_paris(at):
        raise Refusal("La date de signature ne peut pas être dans le futur.", field="signed_on")
    if sent_at is not None and signed_on < today_paris(sent_at):
        raise Refusal(f"La date de signature précède l'envoi de {what} ({date_fr(today_paris(sent_at))}).",
                      field="signed_on")
    if organisation_signed_on is not None and signed_on < organisation_signed_on:
        raise Refusal("Le financeur signe après l'organisation : la date précède sa signature "
                      f"({date_fr(organisation_signed_on)}).", field="signed_on")
    return signed_on


def _convention_date(convention: Convention, signed_on, at) -> dt.date:
    return _check_date(signed_on, at, convention.sent_at, convention.organisation_signed_on)


def _amendment_date(version: ConventionVersion, signed_on, at) -> dt.date:
    organisation = next((c.signed_on for c in version.signed_copies if c.side == SignatureSide.ORGANISATION), None)
    return _check_date(signed_on, at, version.created_at, organisation,
                       what=f"l'avenant n° {amendment_number(version)}")


def _store_copy(convention: Convention, side: SignatureSide, stream: BinaryIO | None, filename: str,
                signed_on: dt.date, by, at: dt.datetime) -> SignedCopy:
    if stream is None or not filename:
        raise Refusal("Choisissez le fichier PDF de la convention signée.", field="file")
    try:
        checked = store_checked(stream, filename, SIGNED_FORMATS, SIGNED_MAX_MB, by, f"convention:{convention.id}",
                                infected_action="followup.signed_copy_infected", too_large="par exemplaire signé")
    except Refusal as refused:
        raise Refusal(refused.message, field="file") from refused
    copy = SignedCopy(side=side, signed_on=signed_on, **checked.columns(), uploaded_by_id=getattr(by, "id", None),
                      uploaded_at=at)
    current_version(convention).signed_copies.append(copy)
    return copy


def _audit_signature(action: str, convention: Convention, copy: SignedCopy, by, **details) -> None:
    """A signature in the audit log: its date and the signed copy's name and SHA-256, what a « contrôle » checks."""
    audit.record(action, actor=by, target=f"convention:{convention.id}", number=convention.number,
                 signed_on=copy.signed_on.isoformat(), name=copy.original_name, sha256=copy.sha256, **details)


def sign_for_organisation(convention: Convention, stream: BinaryIO | None, filename: str, signed_on: dt.date | None,
                          by, at: dt.datetime) -> SignedCopy:
    """The organisation's signed copy (PDF) with its date (the caller has checked can_sign_for_organisation): of
    the convention, or of its amendment under signature."""
    if not awaits_signature_of(convention, SignatureSide.ORGANISATION):
        raise Refusal("La convention n'attend pas la signature de l'organisation.")
    if (pending := pending_amendment(convention)) is not None:
        signed_on = _amendment_date(pending, signed_on, at)
        copy = _store_copy(convention, SignatureSide.ORGANISATION, stream, filename, signed_on, by, at)
        db.session.flush()
        _audit_signature("followup.amendment_sign_organisation", convention, copy, by, version=pending.number)
        return copy
    signed_on = _convention_date(convention, signed_on, at)
    copy = _store_copy(convention, SignatureSide.ORGANISATION, stream, filename, signed_on, by, at)
    convention.state = ConventionState.SIGNED_BY_ORGANISATION
    convention.organisation_signed_on = signed_on
    db.session.flush()
    _audit_signature("followup.convention_sign_organisation", convention, copy, by)
    return copy


def sign_for_issuer(convention: Convention, stream: BinaryIO | None, filename: str, signed_on: dt.date | None,
                    by, at: dt.datetime) -> SignedCopy:
    """The issuer's signature, after the organisation's: the convention is signed by both, then in force from the
    later signature (the caller has checked can_manage_convention)."""
    if not awaits_signature_of(convention, SignatureSide.ISSUER):
        raise Refusal("Le financeur signe après l'organisation : sa signature n'est pas encore enregistrée.")
    if (pending := pending_amendment(convention)) is not None:
        return _sign_amendment_for_issuer(convention, pending, stream, filename, signed_on, by, at)
    signed_on = _convention_date(convention, signed_on, at)
    copy = _store_copy(convention, SignatureSide.ISSUER, stream, filename, signed_on, by, at)
    convention.state = ConventionState.SIGNED_BY_ISSUER
    convention.issuer_signed_on = signed_on
    db.session.flush()
    _audit_signature("followup.convention_sign_issuer", convention, copy, by)
    convention.state = ConventionState.IN_FORCE
    convention.in_force_on = max(signed_on, convention.organisation_signed_on)
    db.session.flush()
    audit.record("followup.convention_in_force", actor=by, target=f"convention:{convention.id}",
                 number=convention.number, in_force_on=convention.in_force_on.isoformat())
    _signed(convention, at, by)
    return copy


def _signed(convention: Convention, at: dt.datetime, by) -> None:
    """The signature makes the tranches it triggers due (payments.on_signature)."""
    from portal.followup import payments

    payments.on_signature(convention, at, by)


# ---- amendments ---------------------------------------------------------------------------------------------
# An amendment binds like the convention: proposed (a new version saying what changes, the new values kept in its
# `changes`), mailed to the organisation, signed by it then by the issuer; only then do the convention's amount and
# dates change. Until then the payments and reports read the terms in force.

def _sign_amendment_for_issuer(convention: Convention, pending: ConventionVersion, stream, filename: str,
                               signed_on, by, at: dt.datetime) -> SignedCopy:
    signed_on = _amendment_date(pending, signed_on, at)
    copy = _store_copy(convention, SignatureSide.ISSUER, stream, filename, signed_on, by, at)
    convention.amount = pending.amount
    for change in pending.changes or []:
        if change.get("field") in ("starts_on", "ends_on"):
            setattr(convention, change["field"], dt.date.fromisoformat(change["value"]))
    db.session.flush()
    _audit_signature("followup.amendment_in_force", convention, copy, by, version=pending.number,
                     amount=format(convention.amount, "f"))
    return copy


def amend(convention: Convention, by, at: dt.datetime, *, text: str | None = None, amount: Decimal | None = None,
          starts_on: dt.date | None = None, ends_on: dt.date | None = None, reason: str | None = None
          ) -> ConventionVersion:
    """An « avenant » proposed: a new version saying what changes (amount, dates, text), mailed to the organisation
    for signature; only once the convention is in force, one at a time (the caller has checked
    can_manage_convention). Nothing of the convention changes until both parties have signed it."""
    if convention.state != ConventionState.IN_FORCE:
        raise Refusal("Un avenant modifie une convention en vigueur : celle-ci n'est pas encore signée par les deux "
                      "parties.")
    if (pending := pending_amendment(convention)) is not None:
        raise Refusal(f"L'avenant n° {amendment_number(pending)} est déjà en cours de signature : il doit être signé "
                      "par les deux parties avant d'en proposer un autre.")
    previous = current_version(convention)
    changes = []
    if amount is not None and amount != convention.amount:
        if amount <= 0:
            raise Refusal("Le montant doit être positif.", field="amount")
        changes.append({"label": "Montant", "before": money_fr(convention.amount), "after": money_fr(amount)})
    for name, label, old, new in (("starts_on", "Date de début", convention.starts_on, starts_on),
                                  ("ends_on", "Date de fin", convention.ends_on, ends_on)):
        if new is not None and new != old:
            changes.append({"label": label, "before": date_fr(old) if old else "—", "after": date_fr(new),
                            "field": name, "value": new.isoformat()})
    new_start = starts_on or convention.starts_on
    new_end = ends_on or convention.ends_on
    if new_start and new_end and new_end < new_start:
        raise Refusal("La date de fin précède la date de début.", field="ends_on")
    body = previous.text if not text or not text.strip() else text.strip() + "\n"
    if body != previous.text:
        changes.append({"label": "Texte", "before": f"version {previous.number}", "after": "texte modifié"})
    if not changes:
        raise Refusal("L'avenant ne change rien : modifiez le montant, les dates ou le texte.")
    if reason and reason.strip():
        changes.append({"label": "Motif", "before": "", "after": " ".join(reason.split())})
    version = ConventionVersion(number=previous.number + 1, kind=VersionKind.AMENDMENT, text=body,
                                amount=convention.amount if amount is None else amount, changes=changes,
                                created_at=at, created_by_id=getattr(by, "id", None))
    convention.versions.append(version)
    db.session.flush()
    count = _mail_members(convention, "amendment_sent", f"Avenant n° {amendment_number(version)} à la convention "
                          f"{convention.number} à signer — {application_of(convention).call.title}",
                          version=version, number=amendment_number(version))
    audit.record("followup.convention_amend", actor=by, target=f"convention:{convention.id}",
                 number=convention.number, version=version.number, changes=changes, messages=count)
    return version


# ---- reminders ----------------------------------------------------------------------------------------------

def remind_unsigned(at: dt.datetime, days: int) -> int:
    """E-mail the organisation of each convention sent and unsigned for `days` days, once every `days` days."""
    limit = at - dt.timedelta(days=days)
    due = db.session.scalars(select(Convention).where(
        Convention.state == ConventionState.SENT, Convention.sent_at <= limit,
        (Convention.reminded_at.is_(None)) | (Convention.reminded_at <= limit)))
    count = 0
    for convention in due:
        sent = _mail_members(convention, "convention_reminder",
                             f"Rappel : convention {convention.number} à signer — {application_of(convention).call.title}")
        convention.reminded_at = at
        audit.record("followup.convention_remind", target=f"convention:{convention.id}", number=convention.number,
                     messages=sent)
        count += 1
    db.session.flush()
    return count


# ---- PDF ----------------------------------------------------------------------------------------------------

def version_pdf(convention: Convention, version: ConventionVersion) -> bytes:
    from portal.core.markdown import render as markdown

    application = application_of(convention)
    return render_pdf("followup/convention_pdf.html", convention=convention, version=version,
                      application=application, body=markdown(version.text),
                      issuer=application.call.spec.issuer, issuer_name=application.call.spec.issuer.body)


def filename(convention: Convention, version: ConventionVersion) -> str:
    return f"{convention.number}-v{version.number}.pdf"
