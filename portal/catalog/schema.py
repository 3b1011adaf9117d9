"""The schema of a call file's front-matter: the one definition of what a call may contain.

Every field is documented for authors in docs/calls.md. Unknown fields are refused, so a typo never
silently drops information. Where a real call says nothing, the field is left out (None or empty).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from portal.core.vocabulary import LABELS, LegalForm

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Text = Annotated[str, Field(min_length=1)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
TerritoryCode = Annotated[str, Field(pattern=r"^(PAYS|REG|DEP|EPCI|COM)-(\d+|2[AB]\d*)$")]

# Formats and size applied to a document slot whose call says nothing about them.
DEFAULT_FORMATS = ("pdf", "odt", "docx", "xlsx", "ods", "png", "jpg")
DEFAULT_MAX_SIZE_MB = 20


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Kind(StrEnum):
    AAP = "AAP"  # appel à projets
    AMI = "AMI"  # appel à manifestation d'intérêt
    CADRE = "cadre"  # national framework: published for information, no application through the portal

    @property
    def label(self) -> str:
        return {"AAP": "Appel à projets", "AMI": "Appel à manifestation d'intérêt",
                "cadre": "Document de cadrage"}[self.value]


# The legal forms a call accepts as carriers are the organisations' own (core.vocabulary holds the one list).
CarrierType = LegalForm
CARRIER_LABELS = LABELS


class Signatory(Strict):
    """Who signs the decision letters (CRPA L212-1: name, first name and title of the author of a decision)."""

    name: Text  # « Marie Dupont »
    title: Text  # « Directrice des Politiques d'Inclusion Durable »
    by_delegation: bool = False  # signs « Par délégation » of the head of the issuer


def _court(value: str | None) -> str | None:
    # Code de justice administrative L211-1: the tribunaux administratifs judge these disputes in first instance.
    if value is not None and not value.lower().startswith("tribunal administratif"):
        raise ValueError(f"« {value} » : écrivez le nom du tribunal, par exemple « Tribunal administratif de Lille »")
    return value


class Issuer(Strict):
    body: Text  # « Département du Pas-de-Calais »
    direction: Text | None = None
    service: Text | None = None
    siren: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    appeals_court: Text | None = None  # named in the letters' « voies et délais de recours »
    signatory: Signatory | None = None  # a call may name its own (CallSpec.signatory)

    @field_validator("appeals_court")
    @classmethod
    def _named_court(cls, value: str | None) -> str | None:
        return _court(value)


class Territory(Strict):
    name: Text
    code: TerritoryCode | None = None  # COG code as in the national open-data schemas: DEP-62, COM-62498, EPCI-…


class Period(Strict):
    start: dt.date
    end: dt.date
    note: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"la fin ({self.end.isoformat()}) précède le début ({self.start.isoformat()})")
        return self


class Window(Strict):
    """One application window: its own dates (inclusive, Europe/Paris), territories, budget and agreement period."""

    key: Key
    label: Text | None = None
    opens_on: dt.date | None = None  # left out when the call states only a closing date
    closes_on: dt.date
    territories: list[Territory] = []
    budget: Amount | None = None
    agreement_period: Period | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.opens_on and self.closes_on < self.opens_on:
            raise ValueError(f"la clôture ({self.closes_on.isoformat()}) précède l'ouverture "
                             f"({self.opens_on.isoformat()})")
        return self


class Carriers(Strict):
    types: list[CarrierType] = Field(min_length=1)
    description: Text | None = None  # the call's own words on who may apply
    agreements: list[Text] = []  # agréments or labels the carrier must hold


class Scale(Strict):
    min: int = 0
    max: int = 5
    labels: dict[int, Text] = {}

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError("le maximum de l'échelle doit dépasser son minimum")
        outside = [level for level in self.labels if not self.min <= level <= self.max]
        if outside:
            raise ValueError(f"niveaux hors de l'échelle : {', '.join(map(str, outside))}")
        return self


class Criterion(Strict):
    key: Key
    label: Text
    description: Text | None = None
    weight: Annotated[Decimal, Field(gt=0, max_digits=6, decimal_places=2)] | None = None
    scale: Scale | None = None
    required: bool = True
    counted: bool = True  # counted in the total, or only commented


class UnitCost(Strict):
    label: Text  # « diagnostic flash »
    amount: Amount
    unit: Text | None = None  # « par semaine »
    max_units: Annotated[int, Field(gt=0)] | None = None
    max_amount: Amount | None = None


class Payment(Strict):
    label: Text  # « Avance », « Solde »
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    when: Text | None = None


class Funding(Strict):
    envelope: Amount | None = None
    envelope_note: Text | None = None
    unit_costs: list[UnitCost] = []
    payment_schedule: list[Payment] = []
    conditions: list[Text] = []
    note: Text | None = None

    @model_validator(mode="after")
    def _payments_add_up(self) -> Funding:
        total = sum((p.percent for p in self.payment_schedule if p.percent is not None), Decimal(0))
        if total > 100:
            raise ValueError(f"les versements dépassent 100 % ({total} %)")
        return self


class Indicator(Strict):
    label: Text
    group: Text | None = None  # « Pour les équipes mobiles »


class Evaluation(Strict):
    interim_report: Text | None = None
    final_report: Text | None = None
    indicators: list[Indicator] = []

    @field_validator("indicators", mode="before")
    @classmethod
    def _plain_strings(cls, value):
        # Authors may write an indicator as a plain string when it has no group.
        if isinstance(value, list):
            return [{"label": item} if isinstance(item, str) else item for item in value]
        return value

    def indicator_groups(self) -> list[tuple[str | None, list[Indicator]]]:
        """The indicators by group, in the order the file first names each group (None: no group). Jinja's
        groupby would sort them, and cannot sort a group that is None."""
        groups: dict[str | None, list[Indicator]] = {}
        for indicator in self.indicators:
            groups.setdefault(indicator.group, []).append(indicator)
        return list(groups.items())


class Document(Strict):
    key: Key
    label: Text
    description: Text | None = None
    required: bool = True
    formats: list[Literal["pdf", "odt", "ods", "docx", "xlsx", "png", "jpg"]] | None = None
    max_size_mb: Annotated[int, Field(gt=0, le=500)] | None = None
    multiple: bool = False
    template_url: Annotated[str, Field(pattern=r"^https?://")] | None = None

    @property
    def effective_formats(self) -> tuple[str, ...]:
        return tuple(self.formats) if self.formats else DEFAULT_FORMATS

    @property
    def effective_max_size_mb(self) -> int:
        return self.max_size_mb or DEFAULT_MAX_SIZE_MB


class QuestionType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    AMOUNT = "amount"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    DATE = "date"
    YES_NO = "yes_no"
    TABLE = "table"


class Column(Strict):
    key: Key
    label: Text
    type: Literal["short_text", "number", "amount", "date"] = "short_text"


class Question(Strict):
    key: Key
    label: Text
    type: QuestionType
    help: Text | None = None
    required: bool = True
    max_length: Annotated[int, Field(gt=0)] | None = None
    choices: list[Text] = []
    columns: list[Column] = []
    max_rows: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        choice = self.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
        if choice and len(self.choices) < 2:
            raise ValueError("une question à choix demande au moins deux choix (« choices »)")
        if not choice and self.choices:
            raise ValueError("« choices » ne vaut que pour single_choice et multiple_choice")
        if (self.type == QuestionType.TABLE) != bool(self.columns):
            raise ValueError("« columns » est obligatoire pour une question « table », et réservé à elle")
        if self.max_length and self.type not in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            raise ValueError("« max_length » ne vaut que pour short_text et long_text")
        return self


class Declaration(Strict):
    key: Key
    text: Text  # the call's exact wording, ticked by the applicant


class Contact(Strict):
    name: Text
    role: Text | None = None
    organisation: Text | None = None
    scope: Text | None = None  # « AMI 1 » when a contact answers for part of the call only
    phone: Annotated[str, Field(pattern=r"^[0-9 +().]{6,25}$")] | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None = None


class Milestone(Strict):
    date: dt.date
    label: Text


class Allocation(Strict):
    """A line of an allocation table, such as the national framework's annex (department, ETP, budget)."""

    territory: Territory
    region: Text | None = None
    etp: Annotated[Decimal, Field(ge=0, max_digits=6, decimal_places=2)] | None = None
    budget: Amount | None = None


class Source(Strict):
    title: Text
    url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    note: Text | None = None


class CallSpec(Strict):
    id: UUID
    kind: Kind
    title: Annotated[str, Field(min_length=5, max_length=200)]
    summary: Annotated[str, Field(min_length=10, max_length=180)]
    reference: Text | None = None
    issuer: Issuer
    appeals_court: Text | None = None  # overrides the issuer's
    signatory: Signatory | None = None  # overrides the issuer's
    axis: Text | None = None
    themes: list[Text] = []
    territories: list[Territory] = Field(min_length=1)
    published_on: dt.date | None = None
    windows: list[Window] = []
    imminent_days: int | None = None  # « Clôture imminente » in a window's last days; portal's default when None
    period: Period | None = None  # for a framework without application windows
    carriers: Carriers | None = None
    selection_criteria: list[Criterion] = []
    funding: Funding | None = None
    evaluation: Evaluation | None = None
    required_documents: list[Document] = []
    questions: list[Question] = []
    declarations: list[Declaration] = []
    contacts: list[Contact] = []
    selection_date: dt.date | None = None
    start_date: dt.date | None = None
    grouped_applications: bool | None = None
    selection_years: Annotated[int, Field(ge=1, le=10)] | None = None
    milestones: list[Milestone] = []
    allocations: list[Allocation] = []
    allocations_note: Text | None = None
    sources: list[Source] = []

    @field_validator("appeals_court")
    @classmethod
    def _named_court(cls, value: str | None) -> str | None:
        return _court(value)

    @field_validator("imminent_days", mode="before")
    @classmethod
    def _imminent_days(cls, value):
        # Checked before parsing, so a text (« deux semaines ») and a number out of range get the same sentence.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60):
            raise ValueError("nombre de jours de « Clôture imminente » : un nombre entier de 1 à 60 est attendu, "
                             f"reçu « {value} »")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> CallSpec:
        if self.kind != Kind.CADRE and not self.windows:
            raise ValueError("un appel à projets ou à manifestation d'intérêt doit avoir au moins une fenêtre "
                             "de candidature (« windows »)")
        if self.kind != Kind.CADRE and self.carriers is None:
            raise ValueError("les porteurs éligibles (« carriers ») sont obligatoires pour un AAP ou un AMI")
        for name, items in (("windows", self.windows), ("selection_criteria", self.selection_criteria),
                            ("required_documents", self.required_documents), ("questions", self.questions),
                            ("declarations", self.declarations)):
            keys = [item.key for item in items]
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise ValueError(f"clé en double dans « {name} » : {', '.join(duplicates)}")
        return self

    # Derived views used by pages, feeds and exports alike.
    @property
    def all_territories(self) -> list[Territory]:
        seen: dict[str, Territory] = {}
        for territory in [*self.territories, *(t for w in self.windows for t in w.territories)]:
            seen.setdefault(territory.name, territory)
        return list(seen.values())

    @property
    def carrier_types(self) -> list[CarrierType]:
        return list(self.carriers.types) if self.carriers else []

    @property
    def letter_signatory(self) -> Signatory | None:
        """Who signs this call's decision letters: the call's own signatory, else the issuer's."""
        return self.signatory or self.issuer.signatory

    @property
    def letter_appeals_court(self) -> str | None:
        return self.appeals_court or self.issuer.appeals_court


# French names of the parts of a call, as shown in « Mis à jour le … : ce qui a changé ».
FIELD_LABELS = {
    "id": "Identifiant", "kind": "Type d'appel", "title": "Titre", "summary": "Résumé",
    "reference": "Référence", "issuer": "Organisme", "appeals_court": "Tribunal des recours",
    "signatory": "Signataire des lettres", "axis": "Axe", "themes": "Thèmes",
    "territories": "Territoires", "published_on": "Date de publication",
    "windows": "Dates et fenêtres de candidature", "imminent_days": "Clôture imminente",
    "period": "Période", "carriers": "Porteurs éligibles",
    "selection_criteria": "Critères de sélection", "funding": "Financement", "evaluation": "Évaluation",
    "required_documents": "Pièces à fournir", "questions": "Questions du dossier",
    "declarations": "Déclarations sur l'honneur", "contacts": "Contacts", "selection_date": "Date de sélection",
    "start_date": "Date de démarrage", "grouped_applications": "Candidatures groupées",
    "selection_years": "Durée de la sélection", "milestones": "Dates clés", "allocations": "Répartition",
    "allocations_note": "Répartition", "sources": "Documents sources", "body": "Texte de l'appel",
}
