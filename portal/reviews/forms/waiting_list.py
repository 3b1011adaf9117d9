"""Forms of the liste complémentaire after publication: a laureate's withdrawal, a promotion from the list."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class WithdrawalForm(FlaskForm):
    reason = TextAreaField("Motif du désistement", validators=[Length(max=5000, message="5 000 caractères au plus.")],
                           description="Par exemple : « L'association renonce au projet faute de locaux ». "
                                       "Il figure dans la lettre envoyée au candidat.")
    effective_on = DateField(
        "Date du désistement", validators=[DataRequired("Indiquez la date du désistement (JJ/MM/AAAA).")],
        description="Le jour où l'organisation a fait connaître son désistement ou son refus.")


class PromotionForm(FlaskForm):
    application = RadioField("Candidature à retenir", validate_choice=False,
                             validators=[InputRequired("Choisissez la candidature à retenir.")])
    amount = StringField("Montant attribué (en euros)", validators=[Optional(), Length(max=30)],
                         description="Exemple : 12 000,50")
    confirm_out_of_order = BooleanField("Je confirme retenir une candidature qui n'est pas la première de la liste")
    confirm_above_request = BooleanField("Je confirme un montant supérieur au montant demandé")
    confirm_over_envelope = BooleanField("Je confirme retenir la candidature malgré le dépassement de l'enveloppe")
