"""The committee's meeting for one window's round: when and where it sat, who chaired it, which of the call's
reviewers and managers were present or absent. The manager records it; the procès-verbal reports it and its
signature block names the chair. One meeting per round: recording again replaces what was said."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Boolean, Date, ForeignKey, String, Time, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Organisation, User
from portal.accounts.queries import managers_of
from portal.applications.models import Application
from portal.catalog.models import Call, Window
from portal.core import audit
from portal.core.db import Base, UTCDateTime, check_in
from portal.core.text import fold
from portal.extensions import db
from portal.reviews import rounds
from portal.reviews.models import ReviewRound
from portal.reviews.permissions import conflicted, reviewable
from portal.reviews.queries import committee_of
from portal.reviews.states import AttendanceRole

ROLES = {r: r.label for r in AttendanceRole}


class CommitteeMeeting(Base):
    __tablename__ = "committee_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"), unique=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    starts_at: Mapped[dt.time | None] = mapped_column(Time)  # Paris time, as the invitation gave it
    place: Mapped[str] = mapped_column(String(300))
    chair_name: Mapped[str] = mapped_column(String(200))
    chair_title: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                        order_by="Attendance.name")

    @property
    def present(self) -> list[str]:
        return sorted((a.name for a in self.attendance if a.present), key=fold)

    @property
    def absent(self) -> list[str]:
        return sorted((a.name for a in self.attendance if not a.present), key=fold)


class Attendance(Base):
    """One member of the committee at the meeting, present or absent; the name is kept as it was that day."""

    __tablename__ = "committee_meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),
                      check_in("role", AttendanceRole, name="role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[AttendanceRole] = mapped_column(String(10))
    present: Mapped[bool] = mapped_column(Boolean)

    meeting: Mapped[CommitteeMeeting] = relationship(back_populates="attendance")


@dataclass(frozen=True)
class Member:
    user: User
    role: AttendanceRole

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


def members_of(call: Call) -> list[Member]:
    """Who may sit on the call's committee: its reviewers and its managers (not the platform's administrators),
    by name; a person who is both counts once, as a reviewer."""
    reviewers = committee_of(call)
    seen = {person.id for person in reviewers}
    managers = [person for person in managers_of(call.uuid, call.issuer) if person.id not in seen]
    members = [Member(p, AttendanceRole.REVIEWER) for p in reviewers] + [Member(p, AttendanceRole.MANAGER) for p in managers]
    return sorted(members, key=lambda m: (fold(m.user.name), m.user.id))


@dataclass(frozen=True)
class StoodAside:
    name: str
    number: str
    organisation: str


def stood_aside(call: Call, window: Window, viewer) -> list[StoodAside]:
    """Which member of the committee stands aside for which of the window's applications, by the one rule of
    conflicts (permissions.conflicted: memberships, and the declarations that stand); only the applications the
    viewer may see, by number then name."""
    visible = reviewable(viewer, call).where(Application.window_id == window.id)
    found = []
    for member in members_of(call):
        rows = db.session.execute(select(Application.number, Organisation.legal_name)
                                  .join(Organisation, Organisation.id == Application.organisation_id)
                                  .where(Application.id.in_(visible), Application.id.in_(conflicted(member.user))))
        found += [StoodAside(member.user.name, number, organisation) for number, organisation in rows]
    return sorted(found, key=lambda s: (s.number, fold(s.name)))


def meeting_of(round_: ReviewRound | None) -> CommitteeMeeting | None:
    if round_ is None or round_.id is None:
        return None
    return db.session.scalar(select(CommitteeMeeting).where(CommitteeMeeting.round_id == round_.id))


def record_meeting(window: Window, members: list[Member], presence: dict[int, bool], held_on: dt.date,
                   starts_at: dt.time | None, place: str, chair_name: str, chair_title: str, by,
                   at: dt.datetime) -> CommitteeMeeting:
    """Record (or correct) the meeting of the window's committee; `presence` says for each member's user id
    whether she was there. Flushed and audited; the request commits."""
    round_ = rounds.ensure_round(window, at)
    meeting = meeting_of(round_)
    before = _state(meeting) if meeting else None
    if meeting is None:
        meeting = CommitteeMeeting(round_id=round_.id)
        db.session.add(meeting)
    meeting.held_on, meeting.starts_at, meeting.place = held_on, starts_at, place.strip()
    meeting.chair_name, meeting.chair_title = chair_name.strip(), chair_title.strip()
    meeting.recorded_by_id, meeting.recorded_at = getattr(by, "id", None), at
    meeting.attendance.clear()
    db.session.flush()  # the former list leaves before the new one comes (one row per member and meeting)
    meeting.attendance = [Attendance(user_id=m.user.id, name=m.user.name, role=m.role, present=presence[m.user.id])
                          for m in members]
    db.session.flush()
    audit.record("review.meeting", actor=by, target=f"round:{round_.id}", window=window.key, before=before,
                 **_state(meeting))
    return meeting


def _state(meeting: CommitteeMeeting) -> dict:
    return {"held_on": meeting.held_on.isoformat(),
            "starts_at": meeting.starts_at.strftime("%H:%M") if meeting.starts_at else None,
            "place": meeting.place, "chair": f"{meeting.chair_name}, {meeting.chair_title}",
            "present": meeting.present, "absent": meeting.absent}
