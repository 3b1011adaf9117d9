"""Forms of the decisions: the committee's decision on one application, the publication (with its explicit
confirmation), and the SCDL « subventions » export's facts that the portal does not hold."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts import identifiers
from portal.reviews.scdl import CONDITIONS, DATES_PATTERN, NATURES
from portal.reviews.states import Outcome


class DecisionForm(FlaskForm):
    outcome = RadioField("Décision du comité", choices=[SelectChoice(o, o.label) for o in Outcome.committee()],
                         validators=[InputRequired("Choisissez la décision du comité.")])
    # Each of these two is required for one outcome only: the label says for which (templates: required_when).
    amount = StringField("Montant attribué (en euros)", validators=[Optional(), Length(max=30)],
                         description="Laissé vide pour une candidature non retenue ; facultatif pour la liste "
                                     "complémentaire (montant envisagé). Exemple : 12 000,50")
    duration_years = IntegerField("Durée (en années)", validators=[
        Optional(), NumberRange(1, 10, "La durée est comprise entre 1 et 10 ans.")],
        description="Laissée vide, la durée de sélection de l'appel s'applique si l'appel en indique une.")
    motivation = TextAreaField("Motivation", validators=[Length(max=5000, message="5 000 caractères au plus.")],
                               description="Elle figure dans la lettre envoyée au candidat ; facultative sinon "
                                           "(observations du comité).")
    confirm_above_request = BooleanField("Je confirme un montant supérieur au montant demandé")


class PublishForm(FlaskForm):
    confirm = BooleanField("J'ai relu les lettres et les messages", validators=[
        DataRequired("Cochez la case pour confirmer que vous avez relu les lettres et les messages.")])
    confirm_over_envelope = BooleanField("Je confirme publier des décisions dont le total dépasse l'enveloppe")


class ScdlForm(FlaskForm):
    """What the open-data file needs and the call files do not say (they give the issuer's SIREN, not a SIRET)."""

    id_attribuant = StringField("SIRET de l'attribuant (idAttribuant)", validators=[
        DataRequired("Indiquez le SIRET de la collectivité qui attribue les subventions."), Length(max=20)],
        description="Les 14 chiffres du SIRET de l'établissement qui attribue (SIREN suivi du NIC).")
    date_convention = DateField("Date de la convention (dateConvention)", validators=[
        DataRequired("Indiquez une date valide (JJ/MM/AAAA).")])
    reference_decision = StringField("Référence de la décision (referenceDecision)",
                                     validators=[Optional(), Length(max=200)],
                                     description="Par exemple le numéro de la délibération.")
    nature = SelectField("Nature de l'aide (nature)", choices=[SelectChoice(n, n) for n in NATURES], default=NATURES[0])
    conditions = RadioField("Conditions de versement (conditionsVersement)", choices=[SelectChoice(c, c) for c in CONDITIONS],
                            default="unique")
    conditions_other = StringField("Modalités de versement, si « autre »", validators=[
        Optional(), Length(max=256, message="256 caractères au plus (schéma SCDL).")])
    dates = StringField("Date ou période de versement (datesPeriodeVersement)", validators=[
        DataRequired("Indiquez une date ou une période de versement."), Length(max=21)],
        description="Une date AAAA-MM-JJ, ou une période AAAA-MM-JJ/AAAA-MM-JJ.")
    notification_ue = RadioField("Aide notifiée à la Commission européenne (notificationUE)",
                                 choices=[SelectChoice("non", "non"), SelectChoice("oui", "oui")], default="non")

    def validate_id_attribuant(self, field) -> None:
        field.data = identifiers.clean(field.data or "")
        error = identifiers.siret_error(field.data)
        if error:
            raise ValidationError(error)

    def validate_dates(self, field) -> None:
        field.data = (field.data or "").strip()
        if not re.fullmatch(DATES_PATTERN, field.data):
            raise ValidationError("Écrivez une date AAAA-MM-JJ ou une période AAAA-MM-JJ/AAAA-MM-JJ.")

    def validate_conditions_other(self, field) -> None:
        if self.conditions.data == "autre" and not (field.data or "").strip():
            raise ValidationError("Décrivez les modalités de versement.")

    @property
    def conditions_value(self) -> str:
        if self.conditions.data == "autre":
            return (self.conditions_other.data or "").strip() or "autre"
        return self.conditions.data
