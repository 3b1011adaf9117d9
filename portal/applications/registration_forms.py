"""The form a call manager fills to register a file received by post or e-mail, built from the call: its windows,
its documents (each optional here: a paper file may be incomplete, screening says what is missing)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.accounts import identifiers
from portal.applications.documents import hint
from portal.applications.registration import field_of
from portal.core.fields import FrenchDateField
from portal.core.vocabulary import LegalForm

REQUIRED = "Ce champ est obligatoire pour une organisation qui n'est pas encore connue du portail."
IDENTITY = ("legal_name", "legal_form", "rna", "siret", "address", "postcode", "city", "representative_name",
            "representative_role", "email")


class RegistrationForm(FlaskForm):
    window_id = SelectField("Fenêtre de candidature", choices=[],
                            validators=[DataRequired("Choisissez la fenêtre de candidature du dossier.")])
    organisation_id = RadioField("Organisation déjà connue du portail", choices=[], validate_choice=False)
    legal_name = StringField("Dénomination (nom officiel)", validators=[Optional(), Length(max=250)])
    legal_form = SelectField("Forme juridique", choices=[("", "Choisir…"),
                                                         *((f.value, f.legal_label) for f in LegalForm)])
    rna = StringField("Numéro RNA", validators=[Optional(), Length(max=20)],
                      description="W suivi de 9 chiffres, par exemple W751515517.")
    siret = StringField("Numéro SIRET (ou SIREN)", validators=[Optional(), Length(max=20)],
                        description="14 chiffres (ou les 9 chiffres du SIREN), espaces acceptés.")
    address = StringField("Adresse du siège", validators=[Optional(), Length(max=300)])
    postcode = StringField("Code postal", validators=[Optional(), Length(max=5)], render_kw={"inputmode": "numeric"})
    city = StringField("Commune", validators=[Optional(), Length(max=120)])
    representative_name = StringField("Nom du représentant légal", validators=[Optional(), Length(max=200)])
    representative_role = StringField("Qualité du représentant légal", validators=[Optional(), Length(max=120)],
                                      description="Par exemple : président, directrice générale.")
    email = EmailField("Adresse électronique de contact", validators=[
        Optional(), Email("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
                          check_deliverability=False), Length(max=320)])
    channel = RadioField("Comment le dossier est-il arrivé ?", choices=[("post", "Reçu par courrier"),
                                                                         ("email", "Reçu par courriel")],
                         validators=[DataRequired("Choisissez comment le dossier est arrivé : par courrier ou par "
                                                  "courriel.")])
    received_on = FrenchDateField("Date du cachet de la poste ou de réception", validators=[
        DataRequired("Indiquez la date du cachet de la poste ou de réception du courriel (JJ/MM/AAAA).")],
        description="Le cachet de la poste fait foi ; pour un courriel, la date de sa réception.")
    amount_requested = StringField("Montant de la subvention demandée (en euros)",
                                   validators=[Optional(), Length(max=30)],
                                   description="Tel qu'il figure sur le Cerfa n°12156, par exemple 12 000.")

    document_fields: list = []  # (document, field name) of the call, set by form_for

    @property
    def new_organisation(self) -> bool:
        return not self.organisation_id.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.new_organisation:
            return valid
        for name in ("legal_name", "legal_form", "address", "postcode", "city", "representative_name",
                     "representative_role"):
            field = getattr(self, name)
            if not (field.data or "").strip():
                field.errors = [*field.errors, REQUIRED]
                valid = False
        return self._identifiers_valid() and valid

    def _identifiers_valid(self) -> bool:
        problems = []
        if self.postcode.data and not identifiers.clean(self.postcode.data).isdigit():
            self.postcode.errors = [*self.postcode.errors, "Le code postal compte 5 chiffres."]
            problems.append(1)
        if self.rna.data and (problem := identifiers.rna_error(self.rna.data)):
            self.rna.errors = [*self.rna.errors, problem]
            problems.append(1)
        if self.siret.data and (problem := identifiers.siren_or_siret_error(self.siret.data)):
            self.siret.errors = [*self.siret.errors, problem]
            problems.append(1)
        # As an organisation declares itself: an association has an RNA number or a SIRET, other forms a SIRET.
        if not self.siret.data and (self.legal_form.data != LegalForm.ASSOCIATION or not self.rna.data):
            self.siret.errors = [*self.siret.errors, "Indiquez le numéro RNA ou le numéro SIRET de l'association."
                                 if self.legal_form.data == LegalForm.ASSOCIATION
                                 else "Indiquez le numéro SIRET (ou SIREN) de l'organisation."]
            problems.append(1)
        return not problems

    def identity(self) -> dict:
        data = {name: (getattr(self, name).data or "").strip() or None for name in IDENTITY}
        data["rna"] = identifiers.clean(data["rna"]) if data["rna"] else None
        data["siret"] = identifiers.clean(data["siret"]) if data["siret"] else None
        return data

    def uploads(self) -> dict:
        """The call's documents with the files chosen for each (none is required here)."""
        given = {}
        for document, name in self.document_fields:
            data = getattr(self, name).data
            files = [f for f in (data if isinstance(data, list) else [data]) if f and getattr(f, "filename", "")]
            if files:
                given[document.key] = [(f.stream, f.filename) for f in files]
        return given

    def documents(self):
        return [(document, getattr(self, name)) for document, name in self.document_fields]


def form_for(call, organisations=(), **kwargs) -> RegistrationForm:
    """The form for this call: its windows (the open or closed ones that have opened) and one file field per
    document; `organisations` are the ones a search found, offered as choices beside « a new organisation »."""
    fields = {}
    for document in call.spec.required_documents:
        kind = MultipleFileField if document.multiple else FileField
        fields[field_of(document.key)] = kind(document.label, description=hint(document))
    form_class = type("CallRegistrationForm", (RegistrationForm,), fields)
    form_class.document_fields = [(d, field_of(d.key)) for d in call.spec.required_documents]
    form = form_class(**kwargs)
    form.window_id.choices = [(str(w.id), w.display_label or "Fenêtre unique") for w in call.windows]
    form.organisation_id.choices = [("", "Une autre organisation, saisie ci-dessous"),
                                    *((str(o.id), _described(o)) for o in organisations)]
    return form


def _described(organisation) -> str:
    ids = " — ".join(x for x in (f"RNA {organisation.rna}" if organisation.rna else "",
                                  f"SIRET {organisation.siret}" if organisation.siret else "") if x)
    return f"{organisation.legal_name} ({organisation.city}{' — ' + ids if ids else ''})"
