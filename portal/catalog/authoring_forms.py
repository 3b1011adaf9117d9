"""The editor's forms: a new call (template, copy of a published one, or uploaded file), the text, the
scheduled publication and the issuer's approval setting."""

from __future__ import annotations

import datetime as dt
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.core.fields import FrenchDateField

SLUG_HINT = ("L'adresse de la page : /appels/<adresse>/. Minuscules, chiffres et tirets, sans accent ni espace, "
             "par exemple aap-2026-equipes-mobiles.")
REQUIRED = "Ce champ est obligatoire."
MAX_TEXT = 200_000


class TimeOfDayField(StringField):
    """« 14:30 » or « 14h30 », read as a time of day; a French message otherwise."""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip().lower().replace("h", ":")
        self.raw = text
        self.data = None
        if not text:
            return
        match = re.fullmatch(r"(\d{1,2}):(\d{2})?", text) or re.fullmatch(r"(\d{1,2}):?(\d{2})", text)
        if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
            raise ValueError("Indiquez une heure valide, par exemple 09:00 ou 14:30.")
        self.data = dt.time(int(match.group(1)), int(match.group(2) or 0))

    def _value(self) -> str:
        return self.data.strftime("%H:%M") if self.data else (getattr(self, "raw", "") or "")


class _OnePageForm(FlaskForm):
    """One of the three forms of « Nouvel appel », told apart by a prefix; CSRFProtect checks every POST's token."""

    class Meta:
        csrf = False


class FromTemplateForm(_OnePageForm):
    slug = StringField("Adresse de l'appel", description=SLUG_HINT,
                       validators=[InputRequired(REQUIRED), Length(max=120)])
    issuer = SelectField("Organisme émetteur", validate_choice=False)


class DuplicateForm(_OnePageForm):
    call = SelectField("Appel à reprendre", description="Son fichier est recopié avec un nouvel identifiant : "
                       "changez ensuite les dates et ce qui diffère de l'édition précédente.",
                       validators=[InputRequired(REQUIRED)], validate_choice=False)
    slug = StringField("Adresse du nouvel appel", description=SLUG_HINT,
                       validators=[InputRequired(REQUIRED), Length(max=120)])


class UploadForm(_OnePageForm):
    fichier = FileField("Fichier de l'appel (.md)",
                        description="Un fichier texte Markdown encodé en UTF-8, taille maximale 200 Ko, formats "
                                    "acceptés : .md. Son nom donne l'adresse de l'appel, sauf si vous en indiquez une.")
    slug = StringField("Adresse de l'appel", description=SLUG_HINT + " Laissez vide pour reprendre le nom du fichier.",
                       validators=[Length(max=120)])


class EditorForm(FlaskForm):
    text = TextAreaField("Texte de l'appel (en-tête YAML et texte en Markdown)",
                         description="Le fichier de l'appel tel que « portal calls check » le lit : un en-tête entre "
                                     "deux lignes « --- », puis le texte. « Vérifier » ne l'enregistre pas ; "
                                     "« Enregistrer » garde une version, même incomplète.",
                         validators=[Length(max=MAX_TEXT, message="Le texte dépasse 200 000 caractères : un appel "
                                                                  "tient en quelques dizaines de milliers.")])


class ScheduleForm(FlaskForm):
    date = FrenchDateField("Date de publication", validators=[InputRequired(REQUIRED)],
                           description="Par exemple 30/05/2026.")
    time = TimeOfDayField("Heure (heure de Paris)", validators=[InputRequired(REQUIRED)],
                          description="Par exemple 09:00.")


class ApprovalSettingForm(FlaskForm):
    issuer = HiddenField()
    approval_required = BooleanField("Un second gestionnaire doit approuver chaque appel avant sa publication")
