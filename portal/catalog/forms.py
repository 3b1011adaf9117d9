"""Forms of the catalogue: the e-mail alert subscription."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField
from wtforms.validators import DataRequired, Email, Length

from portal.catalog.alerts import FREQUENCIES
from portal.catalog.schema import CARRIER_LABELS


class AlertForm(FlaskForm):
    email = EmailField("Adresse électronique", validators=[
        DataRequired("Ce champ est obligatoire."),
        Email("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.", check_deliverability=False),
        Length(max=320)], render_kw={"autocomplete": "email"})
    territory = SelectField("Territoire", choices=[], validate_choice=True)
    carrier = SelectField("Type de porteur", choices=[], validate_choice=True)
    theme = SelectField("Thème", choices=[], validate_choice=True)
    frequency = RadioField("Fréquence", choices=list(FREQUENCIES.items()), default="weekly",
                           validators=[DataRequired("Choisissez une fréquence.")])

    def with_choices(self, facets: dict[str, list[str]]) -> AlertForm:
        self.territory.choices = [("", "Tous les territoires"), *((v, v) for v in facets["territory"])]
        self.carrier.choices = [("", "Tous les porteurs"),
                                *((v, CARRIER_LABELS.get(v, v)) for v in facets["carrier"])]
        self.theme.choices = [("", "Tous les thèmes"), *((v, v) for v in facets["theme"])]
        return self
