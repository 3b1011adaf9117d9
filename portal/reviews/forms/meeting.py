"""The form of the committee's meeting: date, time, place, chair, and for each of the call's reviewers and
managers whether she was present or absent (a radio pair each, built from the call's members)."""

from __future__ import annotations

import datetime as dt
import re

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from portal.reviews.meeting import CommitteeMeeting, Member

PRESENCE = [SelectChoice("present", "Présent"), SelectChoice("absent", "Absent")]
CHOICES = [choice.value for choice in PRESENCE]
_TIME = re.compile(r"^(\d{1,2})\s*(?:h|:)\s*(\d{2})?$", re.IGNORECASE)


class FrenchTimeField(StringField):
    """« 14:30 » as a time input sends it, or « 14 h 30 » / « 14h » as a person types it."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"type": "time"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = _TIME.match(text)
        try:
            if match is None:
                raise ValueError
            self.data = dt.time(int(match[1]), int(match[2] or 0))
        except ValueError:
            raise ValueError("Indiquez l'heure sous la forme 14:30.") from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


class _MeetingForm(FlaskForm):
    # A browser without a date picker sends what the person typed: « 20/05/2025 » is read too.
    held_on = DateField("Date de la réunion", format=["%Y-%m-%d", "%d/%m/%Y"],
                        validators=[DataRequired("Indiquez la date de la réunion (par exemple 20/05/2025).")])
    starts_at = FrenchTimeField("Heure de début", validators=[Optional()], description="Par exemple 14:30.")
    place = StringField("Lieu de la réunion", description="Il figure aussi dans la formule « Fait à … » du "
                                                          "procès-verbal. Par exemple : Arras, Hôtel du Département.",
                        validators=[DataRequired("Indiquez le lieu de la réunion."),
                                    Length(max=300, message="300 caractères au plus.")])
    chair_name = StringField("Nom de la personne qui préside le comité",
                             description="Elle signe le procès-verbal.",
                             validators=[DataRequired("Indiquez le nom de la personne qui préside le comité."),
                                         Length(max=200, message="200 caractères au plus.")])
    chair_title = StringField("Sa fonction", description="Par exemple : vice-présidente chargée du logement.",
                              validators=[DataRequired("Indiquez la fonction de la personne qui préside le comité."),
                                          Length(max=200, message="200 caractères au plus.")])

    members: list[tuple[Member, str]] = []

    def member_fields(self) -> list[tuple[Member, RadioField]]:
        return [(member, getattr(self, name)) for member, name in self.members]

    def presence(self) -> dict[int, bool]:
        return {member.user.id: field.data == "present" for member, field in self.member_fields()}


def meeting_form(members: list[Member], meeting: CommitteeMeeting | None = None) -> _MeetingForm:
    """The form for these members, filled with the recorded meeting if there is one."""

    class MeetingForm(_MeetingForm):
        pass

    MeetingForm.members = []
    for member in members:
        name = f"member_{member.user.id}"
        message = f"Choisissez « présent » ou « absent » pour {member.user.name}."
        setattr(MeetingForm, name, RadioField(member.user.name, choices=PRESENCE, validate_choice=False,
                                              validators=[InputRequired(message), AnyOf(CHOICES, message=message)]))
        MeetingForm.members.append((member, name))
    data = {}
    if meeting is not None:
        data = {"held_on": meeting.held_on, "starts_at": meeting.starts_at, "place": meeting.place,
                "chair_name": meeting.chair_name, "chair_title": meeting.chair_title}
        data |= {f"member_{a.user_id}": "present" if a.present else "absent" for a in meeting.attendance}
    return MeetingForm(data=data)
