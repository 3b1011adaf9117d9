"""French formatting of dates, times and money (Babel), used by templates, feeds and mails alike."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from portal.core.text import addressed_to
from portal.core.time import PARIS

# Parsed once: given as "fr_FR", Babel parses the name again at every amount and date (a third of their cost).
LOCALE = Locale.parse("fr_FR")


def date_fr(value: dt.date | dt.datetime | str | None) -> str:
    """« 9 mai 2025 »; the first of the month is written « 1er » as in French usage. An instant written in ISO 8601
    (as the versions' snapshots keep them) is read first, and its day is the day in Paris."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(PARIS).date()
    text = format_date(value, "d MMMM y", locale=LOCALE)
    return "1er" + text[1:] if value.day == 1 else text


def time_fr(value: dt.datetime | dt.time, seconds: bool = False) -> str:
    """« 23 h 59 », Paris time (a time of day alone is taken as already in Paris time); « 23 h 59 min 59 s » with
    the seconds (a receipt's instant of deposit), never their fraction."""
    local = value.astimezone(PARIS) if isinstance(value, dt.datetime) else value
    return f"{local.hour} h {local.minute:02d}" + (f" min {local.second:02d} s" if seconds else "")


def datetime_fr(value: dt.datetime | str | None, seconds: bool = False) -> str:
    """« 9 mai 2025 à 23 h 59 (heure de Paris) », or « … à 23 h 59 min 59 s (heure de Paris) » with the seconds. An
    instant written in ISO 8601 (a declaration's, in the answers) is read first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return f"{date_fr(value)} à {time_fr(value, seconds)} (heure de Paris)"


def money_fr(amount: Decimal | int | None) -> str:
    """« 25 493,66 € », « 150 € » for whole euros (as the calls write them)."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    pattern = "#,##0 ¤" if amount == amount.to_integral_value() else "#,##0.00 ¤"
    return format_currency(amount, "EUR", format=pattern, locale=LOCALE, currency_digits=False)


def number_fr(value: Decimal | int | float) -> str:
    return format_decimal(value, locale=LOCALE)


def figure_fr(value: Decimal | int | float | None) -> str:
    """A score or a statistic, always with two decimals and a true minus sign: « 14,00 », « −1,25 », « — » for none.
    The ranking page and the procès-verbal write their figures with this one, so they never differ."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) + 0  # never « −0,00 »
    return format_decimal(rounded, format="#,##0.00", locale=LOCALE).replace("-", "\u2212")


def size_fr(size: int) -> str:
    """A file's size as the upload hints write their limits: « 512 octets », « 35,4 Ko », « 1,2 Mo » (1 Mo = 1 024 Ko)."""
    if size < 1024:
        return f"{size} octet{'s' if size > 1 else ''}"
    value, unit = (size / 1024, "Ko") if size < 1024 * 1024 else (size / (1024 * 1024), "Mo")
    return f"{format_decimal(round(value, 1), format='#,##0.#', locale=LOCALE)} {unit}"


def too_long(length: int, limit: int) -> str:
    """The French message for a text past its limit, said the same way by every form that announces one."""
    return f"{number_fr(length)} caractères pour {number_fr(limit)} au plus : raccourcissez de {number_fr(length - limit)}."


def register(app) -> None:
    app.add_template_filter(date_fr)
    app.add_template_filter(time_fr)
    app.add_template_filter(datetime_fr)
    app.add_template_filter(money_fr)
    app.add_template_filter(number_fr)
    app.add_template_filter(size_fr)
    app.add_template_filter(addressed_to)
    app.add_template_filter(figure_fr)
