"""The schema of a call file's front-matter: the one definition of what a call may contain.

Every field is documented for authors in docs/calls.md. Unknown fields are refused, so a typo never
silently drops information. Where a real call says nothing, the field is left out (None or empty).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from portal.core.formatting import date_fr, money_fr, number_fr
from portal.core.vocabulary import LABELS, LegalForm

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Text = Annotated[str, Field(min_length=1)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Email = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
# COG codes as in the national open-data schemas. An arrondissement's code is its département's followed by one
# digit (ARR-621 Arras, ARR-2A1 Ajaccio, ARR-9741 Saint-Denis de La Réunion).
_TERRITORY_CODE = re.compile(r"^(?:(?:PAYS|REG|DEP|EPCI|COM)-(?:\d+|2[AB]\d*)|ARR-(?:\d{3}|2[AB]\d|97\d{2}))$")

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
# As a sentence names them: « obligatoire pour les associations ».
CARRIER_PLURALS = {
    LegalForm.ASSOCIATION: "les associations", LegalForm.FONDATION: "les fondations",
    LegalForm.BAILLEUR_SOCIAL: "les bailleurs sociaux", LegalForm.ORGANISME_AGREE: "les organismes agréés",
    LegalForm.ETABLISSEMENT_PUBLIC: "les établissements publics", LegalForm.COLLECTIVITE: "les collectivités",
    LegalForm.SERVICE_ETAT: "les services de l'État", LegalForm.AUTRE: "les autres porteurs",
}


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
    unit: Text | None = Field(None, description="Bureau ou pôle sous le service : « Bureau Prévention des Expulsions »")
    address: Text | None = Field(None, description="Adresse postale de l'organisme, une ligne par ligne d'enveloppe")
    siren: Annotated[str, Field(pattern=r"^\d{9}$")] | None = None
    appeals_court: Text | None = None  # named in the letters' « voies et délais de recours »
    signatory: Signatory | None = None  # a call may name its own (CallSpec.signatory)

    @field_validator("appeals_court")
    @classmethod
    def _named_court(cls, value: str | None) -> str | None:
        return _court(value)


class Territory(Strict):
    name: Text
    code: str | None = Field(None, description="Code officiel géographique : DEP-62, ARR-621, COM-62498, EPCI-…")

    @field_validator("code")
    @classmethod
    def _cog(cls, value: str | None) -> str | None:
        if value is not None and not _TERRITORY_CODE.match(value):
            raise ValueError(f"format invalide « {value} » : écrivez PAYS-…, REG-…, DEP-…, ARR-…, EPCI-… ou COM-… "
                             "suivi du code officiel géographique (DEP-62, ARR-621, COM-62041)")
        return value


class Priority(Strict):
    """A territory the call favours, with the share of the work it should receive (« 80 % des interventions »)."""

    territory: Territory
    share_percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2,
                                            description="Part en pour cent, de 0 à 100")] | None = None
    note: Text | None = Field(None, description="Les mots de l'appel : « des interventions »")


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


class PaymentTrigger(StrEnum):
    """What makes a payment due (issue 17): the convention's signature, a date, or the acceptance of a report."""

    SIGNATURE = "signature"
    DATE = "date"
    REPORT = "report"


class Payment(Strict):
    """One payment of the schedule: a share (`percent`) or an `amount`; neither on the last one makes it the balance
    (« solde »), the rest of the convention's amount. `when` keeps the call's words."""

    label: Text  # « Avance », « Solde »
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    amount: Amount | None = None
    trigger: PaymentTrigger | None = None
    on: dt.date | None = None  # for a date trigger
    report: Literal["interim", "annual", "final"] | None = None  # for a report trigger
    when: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _on_is_a_key(cls, data):
        # YAML 1.1 reads a bare `on:` key as the boolean true.
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if key is True else key): value for key, value in data.items()}
        return data

    @model_validator(mode="after")
    def _trigger_fits(self) -> Payment:
        if self.percent is not None and self.amount is not None:
            raise ValueError(f"versement « {self.label} » : indiquer « percent » ou « amount », pas les deux")
        if self.trigger == PaymentTrigger.DATE and self.on is None:
            raise ValueError(f"versement « {self.label} » : un versement à date (trigger: date) demande sa date « on »")
        if self.on is not None and self.trigger != PaymentTrigger.DATE:
            raise ValueError(f"versement « {self.label} » : la date « on » ne vaut que pour « trigger: date »")
        if self.trigger == PaymentTrigger.REPORT and self.report is None:
            raise ValueError(f"versement « {self.label} » : un versement au bilan (trigger: report) demande le bilan "
                             "« report » : interim, annual ou final")
        if self.report is not None and self.trigger != PaymentTrigger.REPORT:
            raise ValueError(f"versement « {self.label} » : « report » ne vaut que pour « trigger: report »")
        return self


class YearEnvelope(Strict):
    """The envelope of one year of a selection over several years."""

    year: int = Field(description="Année budgétaire : 2021")
    amount: Amount = Field(description="Montant de l'année, en euros")
    note: Text | None = Field(None, description="Précision : « sous réserve du vote du budget »")

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
            raise ValueError(f"année de 2000 à 2100 attendue, reçu « {value} »")
        return value


class Funding(Strict):
    envelope: Amount | None = None
    envelope_note: Text | None = None
    envelopes: list[YearEnvelope] = Field([], description="Enveloppe de chaque année d'une sélection pluriannuelle")
    unit_costs: list[UnitCost] = []
    payment_schedule: list[Payment] = []
    conditions: list[Text] = []
    note: Text | None = None

    @model_validator(mode="after")
    def _payments_add_up(self) -> Funding:
        total = sum((p.percent for p in self.payment_schedule if p.percent is not None), Decimal(0))
        if total > 100:
            raise ValueError(f"les versements dépassent 100 % ({total} %)")
        years = [e.year for e in self.envelopes]
        twice = sorted({str(y) for y in years if years.count(y) > 1})
        if twice:
            raise ValueError(f"année en double dans « envelopes » : {', '.join(twice)}")
        yearly = sum((e.amount for e in self.envelopes), Decimal(0))
        if self.envelope is not None and self.envelopes and yearly > self.envelope:
            raise ValueError(f"la somme des enveloppes annuelles ({money_fr(yearly)}) dépasse l'enveloppe totale "
                             f"({money_fr(self.envelope)})")
        return self


class Per(StrEnum):
    """The period a quantity is counted over (« 25 situations nouvelles par mois »)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def label(self) -> str:
        return {"day": "par jour", "week": "par semaine", "month": "par mois", "quarter": "par trimestre",
                "year": "par an"}[self.value]


Quantity = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class Quantified(Strict):
    """A number the call sets: exact (`value`), a floor (`at_least`: « au moins quatre »), a ceiling (`at_most`:
    « sous 15 jours »), or both (« entre 3 et 5 ETP »); kept as data for the follow-up after award."""

    value: Quantity | None = Field(None, description="Quantité exacte : 25")
    at_least: Quantity | None = Field(None, description="Minimum : « au moins 4 »")
    at_most: Quantity | None = Field(None, description="Maximum : « 3 maximum », « sous 15 jours »")
    unit: Text | None = Field(None, description="Ce qui est compté : « situations nouvelles », « ETP »")
    per: Per | None = Field(None, description="Période : day, week, month, quarter ou year")
    note: Text | None = Field(None, description="Précision dans les mots de l'appel : « par territoire »")

    @model_validator(mode="after")
    def _one_quantity(self):
        bounds = self.at_least is not None or self.at_most is not None
        if self.value is not None and bounds:
            raise ValueError("écrivez soit « value » (une quantité exacte), soit « at_least » et/ou « at_most » "
                             "(un minimum, un maximum), pas les deux")
        if self.value is None and not bounds:
            raise ValueError("donnez la quantité : « value », « at_least » ou « at_most »")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"le minimum ({number_fr(self.at_least)}) dépasse le maximum ({number_fr(self.at_most)})")
        return self

    @property
    def text(self) -> str:
        """« au moins 4 personnes », « entre 3 et 5 ETP », « 25 situations par mois »."""
        if self.value is not None:
            amount = number_fr(self.value)
        elif self.at_least is not None and self.at_most is not None:
            amount = f"entre {number_fr(self.at_least)} et {number_fr(self.at_most)}"
        elif self.at_least is not None:
            amount = f"au moins {number_fr(self.at_least)}"
        else:
            amount = f"au plus {number_fr(self.at_most)}"
        words = [amount, self.unit, self.per.label if self.per else None]
        text = " ".join(w for w in words if w)
        return f"{text} ({self.note})" if self.note else text


class Target(Quantified):
    """The target an indicator should reach (« un objectif minimal de 30 jeunes […] pour l'année 2023 »)."""


class Commitment(Quantified):
    """A quantified commitment asked of the carrier (« une équipe d'au moins quatre personnes »)."""

    label: Text = Field(description="L'engagement, dans les mots de l'appel")


class Indicator(Strict):
    label: Text
    group: Text | None = None  # « Pour les équipes mobiles »
    target: Target | None = Field(None, description="Objectif chiffré de l'indicateur")


class Evaluation(Strict):
    interim_report: Text | None = None
    # The call's words when it asks a report every year (« l'opérateur dressera un bilan annuel d'activité »): the
    # follow-up then expects one « Bilan annuel » per calendar year of the convention.
    annual_report: Text | None = None
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
    required_for: list[CarrierType] = Field(
        [], description="Formes juridiques pour lesquelles la pièce est obligatoire (« s'il s'agit d'une "
                        "association ») ; vide : pour tous les porteurs")

    @model_validator(mode="after")
    def _required_for_a_required_document(self) -> Document:
        if self.required_for and not self.required:
            raise ValueError("« required_for » dit pour qui la pièce est obligatoire : il ne vaut pas pour une "
                             "pièce facultative (required: false)")
        return self

    def is_required_for(self, legal_form: str | None) -> bool:
        """Whether an organisation of this legal form must provide this document: the one rule, used by the page,
        the completeness of an application and its deposit. An unknown form (None) is asked every document."""
        if not self.required:
            return False
        return not self.required_for or legal_form is None or legal_form in self.required_for

    def for_carrier(self, legal_form: str | None) -> Document:
        """This document as asked of an organisation of this legal form: optional for the forms it is not
        required of (it may still be given), itself otherwise."""
        if self.is_required_for(legal_form) or not self.required:
            return self
        return self.model_copy(update={"required": False, "required_for": []})

    @property
    def required_for_label(self) -> str | None:
        """« obligatoire pour les associations et les fondations », None when required of every carrier."""
        if not self.required_for:
            return None
        names = [CARRIER_PLURALS[CarrierType(form)] for form in self.required_for]
        joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} et {names[-1]}"
        return f"obligatoire pour {joined}"

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


class Recurrence(StrEnum):
    YEARLY = "yearly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return {"yearly": "chaque année", "monthly": "chaque mois"}[self.value]


class Milestone(Strict):
    """A date of the call: one day, a period (`date` to `ends_on`), or one that recurs (« chaque année, au plus
    tard la première semaine de juillet »); `when` keeps the call's own words when it gives no exact date."""

    date: dt.date | None = Field(None, description="Le jour, ou le premier jour de la période ou de la première "
                                                   "occurrence")
    ends_on: dt.date | None = Field(None, description="Dernier jour d'une période (inclus)")
    label: Text
    recurrence: Recurrence | None = Field(None, description="yearly (chaque année) ou monthly (chaque mois)")
    until: dt.date | None = Field(None, description="Dernière occurrence d'une date qui se répète")
    when: Text | None = Field(None, description="Les mots de l'appel : « au plus tard la première semaine de "
                                                "juillet »")

    @model_validator(mode="after")
    def _coherent(self) -> Milestone:
        if self.date is None and self.when is None:
            raise ValueError("dites quand : une date (« date ») ou les mots de l'appel (« when »)")
        if self.ends_on is not None and self.date is None:
            raise ValueError("« ends_on » (fin de la période) demande une date de début (« date »)")
        if self.ends_on is not None and self.ends_on < self.date:
            raise ValueError(f"la fin ({self.ends_on.isoformat()}) précède le début ({self.date.isoformat()})")
        if self.until is not None and self.recurrence is None:
            raise ValueError("« until » (dernière occurrence) ne vaut que pour une date qui se répète (« recurrence »)")
        if self.until is not None and self.date is not None and self.until < self.date:
            raise ValueError(f"la dernière occurrence ({self.until.isoformat()}) précède la première "
                             f"({self.date.isoformat()})")
        if self.ends_on is not None and self.recurrence is not None:
            step = {Recurrence.YEARLY: 366, Recurrence.MONTHLY: 31}[self.recurrence]
            if (self.ends_on - self.date).days >= step:
                raise ValueError("une période qui revient " + self.recurrence.label + " ne peut durer plus "
                                 + ("d'un an" if self.recurrence is Recurrence.YEARLY else "d'un mois"))
        return self

    @property
    def when_fr(self) -> str:
        """« Chaque année, du 1er juillet 2021 au 7 juillet 2021, jusqu'en 2022 (au plus tard la première semaine
        de juillet) », « 15 juin 2025 »."""
        parts = [self.recurrence.label] if self.recurrence else []
        if self.date is not None:
            if self.ends_on is not None:
                parts.append(f"du {date_fr(self.date)} au {date_fr(self.ends_on)}")
            elif self.recurrence is not None:
                parts.append(f"à partir du {date_fr(self.date)}")
            else:
                parts.append(date_fr(self.date))
        if self.until is not None:
            parts.append(f"jusqu'en {self.until.year}" if self.recurrence is Recurrence.YEARLY
                         else f"jusqu'au {date_fr(self.until)}")
        text = ", ".join(parts)
        if self.when:
            text = f"{text} ({self.when})" if text else self.when
        return text[:1].upper() + text[1:]


class ChannelKind(StrEnum):
    """Values as the applications' registration names the channels (applications.states.Channel)."""

    EMAIL = "email"
    POST = "post"


class OtherChannel(Strict):
    """Another way the call accepts applications beside the portal: an e-mail address with the subject line to
    write, a postal address where « le cachet de la poste fait foi »."""

    kind: ChannelKind = Field(description="email (courriel) ou post (courrier)")
    address: Text | None = Field(None, description="Adresse électronique, ou adresse postale (une ligne par ligne "
                                                   "d'enveloppe)")
    recipient: Text | None = Field(None, description="« À l'attention d'Annick Volpatti »")
    subject: Text | None = Field(None, description="Objet du courriel à écrire (courriel seulement)")
    postmark_counts: bool = Field(False, description="« Le cachet de la poste fait foi » (courrier seulement)")
    note: Text | None = Field(None, description="Les mots de l'appel sur ce moyen d'envoi")

    @field_validator("address")
    @classmethod
    def _email_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("kind") is ChannelKind.EMAIL and not re.match(Email, value):
            raise ValueError(f"adresse électronique invalide « {value} » : écrivez-la comme prenom.nom@exemple.fr")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> OtherChannel:
        if self.kind is ChannelKind.EMAIL:
            if self.address is None and self.note is None:
                raise ValueError("écrivez l'adresse électronique (« address »), ou dites dans « note » à qui écrire")
            if self.postmark_counts:
                raise ValueError("« postmark_counts » (le cachet de la poste fait foi) ne vaut que pour un envoi "
                                 "postal (kind: post)")
        else:
            if self.address is None:
                raise ValueError("l'adresse postale (« address ») est obligatoire pour un envoi postal")
            if self.subject is not None:
                raise ValueError("« subject » (l'objet du courriel) ne vaut que pour un envoi par courriel "
                                 "(kind: email)")
        return self


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
    priorities: list[Priority] = Field([], description="Territoires prioritaires et leur part : « 80 % des "
                                                        "interventions »")
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
    other_channels: list[OtherChannel] = Field([], description="Autres moyens de candidater que le portail : "
                                                              "courriel, courrier")
    commitments: list[Commitment] = Field([], description="Engagements chiffrés demandés au porteur")
    selection_date: dt.date | None = None
    start_date: dt.date | None = None
    grouped_applications: bool | None = None
    selection_years: Annotated[int, Field(ge=1, le=10, description="Durée de la sélection, en années")] | None = None
    milestones: list[Milestone] = []
    allocations: list[Allocation] = []
    allocations_note: Text | None = None
    # The national framework (a call of kind cadre, named by its file's name) this call puts into effect; the
    # loader checks it names one (loader.framework_errors), the follow-up adds up the indicators across its calls.
    framework: Key | None = None
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
        envelopes = len(self.funding.envelopes) if self.funding else 0
        if self.selection_years and envelopes > self.selection_years:
            years = "d'un an" if self.selection_years == 1 else f"de {self.selection_years} ans"
            raise ValueError(f"{envelopes} enveloppes annuelles (« funding.envelopes ») pour une sélection {years} "
                             "(« selection_years ») : corrigez l'une ou l'autre")
        shares = sum((p.share_percent for p in self.priorities if p.share_percent is not None), Decimal(0))
        if shares > 100:
            raise ValueError(f"les parts des priorités territoriales (« priorities ») dépassent 100 % "
                             f"({number_fr(shares)} %)")
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
    "priorities": "Priorités territoriales", "other_channels": "Autres moyens de candidater",
    "commitments": "Engagements demandés",
    "allocations_note": "Répartition", "framework": "Cadre national", "sources": "Documents sources",
    "body": "Texte de l'appel",
}
