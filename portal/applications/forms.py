"""WTForms forms of the applications domain. The answers form itself is built from the call (answers.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Raison du désistement", validators=[
        DataRequired("Indiquez la raison du désistement."), Length(max=2000, message="2 000 caractères au plus.")])


class PartnerForm(FlaskForm):
    name = StringField("Nom de l'organisation partenaire", validators=[
        DataRequired("Indiquez le nom de l'organisation partenaire."), Length(max=250)])
    email = EmailField("Adresse électronique de son contact", validators=[
        DataRequired("Indiquez une adresse électronique."),
        Email("Adresse électronique invalide (exemple : nom@association.fr).", check_deliverability=False),
        Length(max=320)])


class PieceRequestForm(FlaskForm):
    slots = SelectMultipleField("Pièces demandées", widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput(), validators=[DataRequired("Choisissez au moins une pièce.")])
    message = TextAreaField("Ce qui manque ou doit être corrigé", validators=[
        DataRequired("Expliquez ce qui manque ou doit être corrigé."), Length(max=3000)])
    due_on = DateField("À transmettre avant le (inclus)", validators=[
        DataRequired("Indiquez une date valide (JJ/MM/AAAA).")])
