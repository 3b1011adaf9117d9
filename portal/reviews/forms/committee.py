"""Forms of the committee, assignment and conflicts pages. Choices that depend on the call (its reviewers, its
applications) are set by the view before validation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, IntegerField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.reviews.assignment import MAX_CSV_BYTES
from portal.reviews.conflicts import DECLARABLE_KINDS

KIND_CHOICES = [("", "Choisissez…"), *DECLARABLE_KINDS.items()]
EMAIL_MESSAGE = "Adresse électronique invalide (exemple : nom@exemple.fr)."


class Checkboxes(SelectMultipleField):
    """Ticked ids; the view keeps only those the person may act on, so an unknown one is ignored, not an error."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class AddReviewerForm(FlaskForm):
    email = EmailField("Adresse électronique de la personne", filters=[lambda v: (v or "").strip()], validators=[
        DataRequired("Indiquez l'adresse électronique de la personne."),
        Email(EMAIL_MESSAGE, check_deliverability=False), Length(max=320)],
        description="La personne doit déjà avoir un compte sur le portail.")


class ReviewerApplicationsForm(FlaskForm):
    applications = Checkboxes("Candidatures confiées à cette personne", choices=[])


class BulkAssignForm(FlaskForm):
    applications = Checkboxes("Candidatures", choices=[],
                              validators=[DataRequired("Choisissez au moins une candidature.")])
    reviewers = Checkboxes("Évaluateurs", coerce=int, choices=[],
                           validators=[DataRequired("Choisissez au moins un évaluateur.")])


class ImportForm(FlaskForm):
    file = FileField("Fichier CSV", validators=[FileRequired("Choisissez un fichier CSV.")],
                     description=f"Formats acceptés : CSV (UTF-8). Taille maximale : {MAX_CSV_BYTES // 2**20} Mo. Deux colonnes "
                                 "« numero;email » (point-virgule ou virgule), une ligne d'en-tête puis une ligne "
                                 "par affectation.")


class AutoAssignForm(FlaskForm):
    k = IntegerField("Évaluateurs par candidature", validators=[
        DataRequired("Indiquez un nombre entier d'au moins 1."), NumberRange(min=1, max=50, message="Entre 1 et 50.")])
    limit = IntegerField("Candidatures au plus par évaluateur", validators=[
        Optional(), NumberRange(min=1, max=10000, message="Au moins 1.")],
        description="Laissez vide pour ne pas fixer de plafond.")


class AddAssignmentForm(FlaskForm):
    reviewer = SelectField("Évaluateur à affecter", coerce=int, choices=[],
                           validators=[DataRequired("Choisissez un évaluateur.")])


class ConflictForm(FlaskForm):
    """A manager records a conflict for a person known by e-mail."""

    email = EmailField("Adresse électronique de la personne en conflit", filters=[lambda v: (v or "").strip()],
                       validators=[
        DataRequired("Indiquez une adresse électronique."), Email(EMAIL_MESSAGE, check_deliverability=False),
        Length(max=320)])
    kind = SelectField("Nature du conflit", choices=KIND_CHOICES,
                       validators=[DataRequired("Choisissez la nature du conflit.")])
    reason = TextAreaField("Explication", validators=[
        DataRequired("Expliquez en quelques mots la nature du conflit."), Length(max=2000)])



class LiftForm(FlaskForm):
    reason = TextAreaField("Motif de la levée", validators=[
        DataRequired("Indiquez pourquoi ce conflit est levé."), Length(max=2000)])


class DeclarationForm(FlaskForm):
    """The assigned reviewer, before the file opens: no conflict, or a conflict with its nature and reason."""

    choice = RadioField("Votre déclaration", choices=[
        ("none", "Je déclare n'avoir aucun conflit d'intérêts avec ce dossier"),
        ("conflict", "Je déclare un conflit d'intérêts avec ce dossier")],
        validators=[DataRequired("Choisissez l'une des deux déclarations.")])
    kind = SelectField("Nature du conflit (si vous en déclarez un)", choices=KIND_CHOICES, validators=[Optional()])
    reason = TextAreaField("Explication (si vous déclarez un conflit)", validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.choice.data == "conflict":
            if not self.kind.data:
                self.kind.errors = [*self.kind.errors, "Choisissez la nature du conflit."]
                valid = False
            if not (self.reason.data or "").strip():
                self.reason.errors = [*self.reason.errors, "Expliquez en quelques mots la nature du conflit."]
                valid = False
        return valid


class MyConflictForm(FlaskForm):
    """A reviewer declares a conflict on one of her assigned applications, at any time."""

    application = SelectField("Candidature", choices=[], validators=[DataRequired("Choisissez la candidature.")])
    kind = SelectField("Nature du conflit", choices=KIND_CHOICES,
                       validators=[DataRequired("Choisissez la nature du conflit.")])
    reason = TextAreaField("Explication", validators=[
        DataRequired("Expliquez en quelques mots la nature du conflit."), Length(max=2000)])
