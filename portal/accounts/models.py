"""Who is who: people, the organisations they act for, their agréments and vault, and staff roles."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, check_in
from portal.core.labels import Labelled, labelled
from portal.core.vocabulary import LegalForm

# The organisation's own form, in full (core.vocabulary: the one list, shared with the calls' carriers).
LEGAL_FORMS = {form.value: form.legal_label for form in LegalForm}


class Role(Labelled):
    """A staff role (RoleGrant.role)."""

    ADMIN = "admin"
    MANAGER = "manager"
    REVIEWER = "reviewer"
    FINANCE = "finance"  # certifies the « service fait » and records payments, for one issuer


ROLES = labelled(Role, {Role.ADMIN: "Administrateur de la plateforme", Role.MANAGER: "Gestionnaire d'appels",
                        Role.REVIEWER: "Membre de comité (évaluateur)",
                        Role.FINANCE: "Service financier (service fait, paiements)"})


class MembershipRole(Labelled):
    """What a person is in an organisation (Membership.role): its administrator, or a member."""

    ADMIN = "admin"
    MEMBER = "member"


MEMBERSHIP_ROLES = labelled(MembershipRole, {MembershipRole.ADMIN: "administrateur", MembershipRole.MEMBER: "membre"})

VAULT_KINDS = {
    "statuts": "Statuts",
    "dirigeants": "Liste des dirigeants",
    "agrement": "Agrément ou label",
    "rapport_activite": "Rapport d'activité",
    "comptes": "Comptes approuvés",
    "budget": "Budget prévisionnel de la structure",
    "rib": "Relevé d'identité bancaire",
    "autre": "Autre document",
}


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The sign-in before the last one: « since your last visit » counts from it (GET pages never write).
    previous_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                   foreign_keys="RoleGrant.user_id")

    # The server-side session this request was signed in through (accounts.sessions sets it); not a column.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login puts in the session and the « rester connecté » cookie: the person and her session."""
        if not self.session_token:
            raise RuntimeError("sign in through accounts.sessions.start, which opens the server-side session")
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and self.confirmed_at is not None


class SignInSession(Base):
    """One sign-in on one device. Its token is in the person's session and remember cookies, only its hash here:
    ending the row ends that sign-in, even in a cookie copied before (a signed cookie alone cannot be revoked)."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(30))  # sign_out, everywhere, password, deleted…

    user: Mapped[User] = relationship()


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (check_in("legal_form", LegalForm, name="legal_form"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    legal_name: Mapped[str] = mapped_column(String(250))
    acronym: Mapped[str | None] = mapped_column(String(60))
    legal_form: Mapped[str] = mapped_column(String(40))
    rna: Mapped[str | None] = mapped_column(String(10), index=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)  # or a SIREN (9 digits) when no SIRET
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(120))
    representative_name: Mapped[str] = mapped_column(String(200))
    representative_role: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation", cascade="all, delete-orphan")
    agrements: Mapped[list[Agrement]] = relationship(back_populates="organisation", cascade="all, delete-orphan",
                                                     order_by="Agrement.issued_on")

    @property
    def siren(self) -> str | None:
        return self.siret[:9] if self.siret else None


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),
                      check_in("role", MembershipRole, name="role"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=MembershipRole.MEMBER)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def role_label(self) -> str:
        return MembershipRole(self.role).label


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                       index=True)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the token itself is only in the e-mail
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class Agrement(Base):
    __tablename__ = "agrements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                       index=True)
    kind: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(120))
    authority: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    organisation: Mapped[Organisation] = relationship(back_populates="agrements")

    def is_expired_on(self, day: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < day


class VaultDocument(Base):
    __tablename__ = "vault_documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                       index=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def is_expired_on(self, day: dt.date) -> bool:
        return self.valid_until is not None and self.valid_until < day


class RoleGrant(Base):
    """A staff role. A manager acts for the calls of one issuer or for one named call; a reviewer for one call."""

    __tablename__ = "role_grants"
    __table_args__ = (
        check_in("role", Role, name="role"),
        CheckConstraint("(role = 'admin' AND issuer IS NULL AND call_id IS NULL)"
                        " OR (role = 'manager' AND (issuer IS NULL) <> (call_id IS NULL))"
                        " OR (role = 'reviewer' AND issuer IS NULL AND call_id IS NOT NULL)"
                        " OR (role = 'finance' AND issuer IS NOT NULL AND call_id IS NULL)", name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    issuer: Mapped[str | None] = mapped_column(String(200))
    call_id: Mapped[uuid.UUID | None] = mapped_column()  # a call's stable UUID (from its file)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
