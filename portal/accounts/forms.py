"""Forms of the accounts domain. Messages are French and tied to their field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from portal.accounts import identifiers
from portal.accounts.models import LEGAL_FORMS, VAULT_KINDS
from portal.accounts.passwords import MIN_LENGTH, password_problem

REQUIRED = "Ce champ est obligatoire."
# Far above any real passphrase; argon2 would hash megabytes just as patiently.
PASSWORD_LENGTH = Length(max=200, message="200 caractères au plus.")
EMAIL = "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."


def _email_field(label: str = "Adresse électronique") -> EmailField:
    return EmailField(label, validators=[DataRequired(REQUIRED), Email(EMAIL, check_deliverability=False),
                                         Length(max=320)], render_kw={"autocomplete": "email"})


class _NewPassword:
    def __call__(self, form, field) -> None:
        email = form.email.data if hasattr(form, "email") else getattr(form, "account_email", "")
        problem = password_problem(field.data or "", email or "")
        if problem:
            raise ValidationError(problem)


def _new_password_fields():
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), PASSWORD_LENGTH, _NewPassword()],
                             description=f"Au moins {MIN_LENGTH} caractères. Une phrase de plusieurs mots est plus "
                                         "facile à retenir et plus sûre.",
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Confirmer le mot de passe",
                            validators=[DataRequired(REQUIRED), PASSWORD_LENGTH,
                                        EqualTo("password", "Les deux mots de passe diffèrent.")],
                            render_kw={"autocomplete": "new-password"})
    return password, confirm


class SignUpForm(FlaskForm):
    name = StringField("Nom et prénom", validators=[DataRequired(REQUIRED), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = _email_field()
    password, confirm = _new_password_fields()


class SignInForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), PASSWORD_LENGTH],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Rester connecté sur cet appareil (30 jours)")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Mot de passe actuel", validators=[DataRequired(REQUIRED), PASSWORD_LENGTH],
                            render_kw={"autocomplete": "current-password"})
    password, confirm = _new_password_fields()


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Votre mot de passe", validators=[DataRequired(REQUIRED), PASSWORD_LENGTH],
                             render_kw={"autocomplete": "current-password"})
    confirm = BooleanField("Je comprends que mon compte sera supprimé définitivement.",
                           validators=[DataRequired("Cochez cette case pour confirmer la suppression.")])


class OrganisationForm(FlaskForm):
    legal_name = StringField("Dénomination (nom officiel)", validators=[DataRequired(REQUIRED), Length(max=250)],
                             render_kw={"autocomplete": "organization"})
    acronym = StringField("Sigle", validators=[Optional(), Length(max=60)])
    legal_form = SelectField("Forme juridique", choices=[("", "Choisir…"), *LEGAL_FORMS.items()],
                             validators=[DataRequired("Choisissez la forme juridique.")])
    rna = StringField("Numéro RNA", validators=[Optional(), Length(max=20)],
                      description="W suivi de 9 chiffres, par exemple W751515517. Les associations d'Alsace-Moselle "
                                  "n'en ont pas : indiquez alors le SIRET.")
    siret = StringField("Numéro SIRET (ou SIREN)", validators=[Optional(), Length(max=20)],
                        description="14 chiffres (ou les 9 chiffres du SIREN), espaces acceptés.")
    address = StringField("Adresse du siège", validators=[DataRequired(REQUIRED), Length(max=300)],
                          render_kw={"autocomplete": "street-address"})
    postcode = StringField("Code postal", validators=[DataRequired(REQUIRED), Length(max=5),
                                                      Regexp(r"^\d{5}$", message="Le code postal compte 5 chiffres.")],
                           render_kw={"autocomplete": "postal-code", "inputmode": "numeric"})
    city = StringField("Commune", validators=[DataRequired(REQUIRED), Length(max=120)])
    representative_name = StringField("Nom du représentant légal", validators=[DataRequired(REQUIRED),
                                                                               Length(max=200)])
    representative_role = StringField("Qualité du représentant légal", validators=[DataRequired(REQUIRED),
                                                                                   Length(max=120)],
                                      description="Par exemple : président, directrice générale.")
    email = EmailField("Adresse électronique de l'organisation",
                       validators=[Optional(), Email(EMAIL, check_deliverability=False), Length(max=320)])
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30)], render_kw={"autocomplete": "tel"})

    def validate_rna(self, field) -> None:
        if field.data and (problem := identifiers.rna_error(field.data)):
            raise ValidationError(problem)

    def validate_siret(self, field) -> None:
        if field.data and (problem := identifiers.siren_or_siret_error(field.data)):
            raise ValidationError(problem)
        # An association has an RNA number or, in Alsace-Moselle, a SIRET; other forms always have a SIREN.
        if self.legal_form.data == "association":
            if not field.data and not self.rna.data:
                raise ValidationError("Indiquez le numéro RNA ou le numéro SIRET de l'association.")
        elif self.legal_form.data and not field.data:
            raise ValidationError("Indiquez le numéro SIRET (ou SIREN) de l'organisation.")

    def identity(self) -> dict:
        data = {name: (getattr(self, name).data or "").strip() or None
                for name in ("legal_name", "acronym", "legal_form", "rna", "siret", "address", "postcode", "city",
                             "representative_name", "representative_role", "email", "phone")}
        data["rna"] = identifiers.clean(data["rna"]) if data["rna"] else None
        data["siret"] = identifiers.clean(data["siret"]) if data["siret"] else None
        return data


class InviteForm(FlaskForm):
    email = _email_field("Adresse électronique de la personne à inviter")


class AgrementForm(FlaskForm):
    kind = StringField("Agrément ou label", validators=[DataRequired(REQUIRED), Length(max=200)],
                       description="Par exemple : agrément au titre de l'article L.365-3 du CCH (ingénierie sociale, "
                                   "financière et technique), label Point Conseil Budget.")
    reference = StringField("Référence (numéro de l'arrêté)", validators=[Optional(), Length(max=120)])
    authority = StringField("Autorité qui l'a délivré", validators=[DataRequired(REQUIRED), Length(max=200)],
                            description="Par exemple : Préfecture du Pas-de-Calais.")
    issued_on = DateField("Date de délivrance", validators=[DataRequired("Saisissez une date valide.")])
    expires_on = DateField("Date d'expiration", validators=[Optional()])

    def validate_expires_on(self, field) -> None:
        if field.data and self.issued_on.data and field.data < self.issued_on.data:
            raise ValidationError("La date d'expiration doit suivre la date de délivrance.")


class VaultDocumentForm(FlaskForm):
    kind = SelectField("Type de document", choices=[("", "Choisir…"), *VAULT_KINDS.items()],
                       validators=[DataRequired("Choisissez le type de document.")])
    label = StringField("Intitulé", validators=[DataRequired(REQUIRED), Length(max=200)],
                        description="Par exemple : Statuts modifiés en assemblée générale du 12 juin 2024.")
    year = IntegerField("Année (exercice ou adoption)", validators=[Optional(), NumberRange(1900, 2100,
                                                                                             "Saisissez une année.")])
    valid_until = DateField("Valable jusqu'au", validators=[Optional()])
    file = FileField("Fichier", validators=[FileRequired("Choisissez un fichier.")])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token: for buttons that POST (remove, withdraw, sign out)."""
