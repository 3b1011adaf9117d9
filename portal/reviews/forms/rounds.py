"""Forms of the manager's selection hub: the call's review settings and the eligibility verdict. Numbers are typed
the French way (« 3,5 ») and every message is French and tied to its field."""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.core.fields import FrenchDateField
from portal.reviews.eligibility import VERDICTS
from portal.reviews.states import Verdict


class _Number(StringField, ABC):
    """A text box holding a number; a value that is not one gets a French message instead of WTForms' English.
    Each kind of number says how it reads the text (`parse`) and may say how it writes it back (`show`)."""

    not_a_number = "Saisissez un nombre."

    @abstractmethod
    def parse(self, text: str):
        """The number typed, or ValueError / InvalidOperation when the text is not one."""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if not text:
            self.data = None
            return
        try:
            self.data = self.parse(text)
        except (ValueError, InvalidOperation):
            self.data = None
            raise ValueError(self.not_a_number) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.show(self.data)

    def show(self, value) -> str:
        return str(value)


class WholeNumberField(_Number):
    not_a_number = "Saisissez un nombre entier, par exemple 2."

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(*args, **kwargs)

    def parse(self, text: str) -> int:
        return int(text)


class FrenchDecimalField(_Number):
    not_a_number = "Saisissez un nombre, par exemple 3,5."

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, **kwargs)

    def parse(self, text: str) -> Decimal:
        value = Decimal(text.replace(",", "."))
        if not value.is_finite():
            raise ValueError
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def show(self, value) -> str:
        return f"{value:.2f}".replace(".", ",")


class Between:
    """A range check that stays silent when the value could not be read (the field already says so)."""

    def __init__(self, low=None, high=None, message: str = "") -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form, field: Field) -> None:
        if field.data is None:
            return
        if (self.low is not None and field.data < self.low) or (self.high is not None and field.data > self.high):
            raise ValidationError(self.message)


class SettingsForm(FlaskForm):
    blind = BooleanField("Mode anonyme : les évaluateurs ne voient pas les noms des autres évaluateurs")
    others_after_own = BooleanField("Pendant l'évaluation, un évaluateur lit les autres évaluations une fois la "
                                    "sienne soumise")
    reviews_per_application = WholeNumberField(
        "Évaluateurs par candidature", description="Nombre d'évaluations demandées pour chaque candidature (au moins 1).",
        validators=[InputRequired("Indiquez le nombre d'évaluateurs par candidature."),
                    Between(1, None, "Il faut au moins 1 évaluateur par candidature.")])
    max_per_reviewer = WholeNumberField(
        "Candidatures au plus par évaluateur", description="Laissez vide pour ne pas fixer de limite.",
        validators=[Optional(), Between(1, None, "La limite est d'au moins 1 candidature par évaluateur.")])
    min_reviews_for_normalisation = WholeNumberField(
        "Évaluations nécessaires pour normaliser les notes d'un évaluateur",
        description="Le classement normalisé ne tient compte d'un évaluateur qu'à partir de ce nombre d'évaluations "
                    "soumises (au moins 2).",
        validators=[InputRequired("Indiquez le nombre d'évaluations nécessaires."),
                    Between(2, None, "Il faut au moins 2 évaluations pour normaliser les notes.")])
    disagreement_threshold = FrenchDecimalField(
        "Seuil de désaccord (écart type des notes sur 20)",
        description="Au-delà de cet écart type, la candidature est signalée comme notée de façon très différente. "
                    "Entre 0 et 20, par exemple 3,5.",
        validators=[InputRequired("Indiquez le seuil de désaccord."),
                    Between(Decimal(0), Decimal(20), "Le seuil de désaccord est compris entre 0 et 20.")])


class EligibilityForm(FlaskForm):
    """The verdict and its reason; the checklist's boxes are read from the request by item key."""

    verdict = RadioField("Décision de recevabilité", choices=list(VERDICTS.items()),
                         validate_choice=False,
                         validators=[InputRequired("Choisissez « recevable » ou « irrecevable ».")])
    reason = TextAreaField("Motif", description="Obligatoire si la candidature est irrecevable : il sera communiqué "
                                                "à l'organisation avec les décisions.",
                           validators=[Length(max=3000, message="3 000 caractères au plus.")])

    def validate_verdict(self, field) -> None:
        if field.data not in VERDICTS:
            raise ValidationError("Choisissez « recevable » ou « irrecevable ».")

    def validate_reason(self, field) -> None:
        if self.verdict.data == Verdict.INELIGIBLE and not (field.data or "").strip():
            raise ValidationError("Indiquez le motif d'irrecevabilité : il sera communiqué à l'organisation.")


class DueDateForm(FlaskForm):
    """The day the reviews are due for one window's round; left empty, none is set."""

    reviews_due_on = FrenchDateField(
        "Date limite des évaluations",
        description="Les évaluateurs la voient sur leur page et reçoivent un rappel deux jours avant. "
                    "Laissez vide pour ne pas fixer de date.",
        validators=[Optional()])
