"""The applicant's answers, built from the call file: read from the submitted form as typed, and checked.

The draft keeps raw strings exactly as typed, even invalid ones, so that nothing an applicant wrote is lost by a
save; the checks below turn them into the list of what must be fixed before the application can be deposited.
WTForms is not used for these fields because it would refuse to keep an invalid value in a draft."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.applications import cerfa
from portal.catalog.schema import CallSpec, Question, QuestionType
from portal.core.formatting import money_fr, too_long

TABLE_ROWS = 8  # rows offered without JavaScript when a table question states no maximum
YES_NO = {"oui": "Oui", "non": "Non"}
# Limits of a typed value when the call sets none, announced in the form like the call's own: the draft is kept
# in one row, and a form must not be a way to store megabytes of text.
TEXT_LIMITS = {QuestionType.SHORT_TEXT: 500, QuestionType.LONG_TEXT: 20_000}
VALUE_LIMIT = 200  # a number, an amount, a date, a table cell, a budget line


@dataclass(frozen=True)
class Problem:
    anchor: str  # the id of the field in the form, for the completeness panel's links
    label: str
    message: str
    page: str = "form"  # form | documents: the page of the application where the field is


def field_id(question: Question) -> str:
    return f"q-{question.key}"


def length_limit(question: Question) -> int:
    """The most characters an answer to this question may hold, as the form announces it."""
    return question.max_length or TEXT_LIMITS.get(question.type, VALUE_LIMIT)


def over_limit(spec: CallSpec, typed: dict) -> list[tuple[str, Problem]]:
    """The typed values past their announced length, as (where in the answers, problem): the save keeps their
    previous value instead, and the form shows the text typed with the problem beside it."""
    found = []
    given = typed.get("questions", {})
    for question in spec.questions:
        value, limit = given.get(question.key), length_limit(question)
        if isinstance(value, str) and len(value) > limit:
            found.append((f"questions.{question.key}", Problem(field_id(question), question.label,
                                                                too_long(len(value), limit))))
        elif question.type == QuestionType.TABLE and any(len(cell) > VALUE_LIMIT for row in value or []
                                                          for cell in row.values()):
            found.append((f"questions.{question.key}", Problem(field_id(question), question.label,
                                                                f"une case dépasse {VALUE_LIMIT} caractères.")))
    figures = typed.get("cerfa", {})
    if len(figures.get("amount_requested", "")) > VALUE_LIMIT:
        found.append(("cerfa.amount_requested", Problem("cerfa-amount_requested", "Montant de la subvention demandée",
                                                        f"{VALUE_LIMIT} caractères au plus.")))
    for code, value in figures.get("budget", {}).items():
        if len(value) > VALUE_LIMIT:
            found.append((f"cerfa.budget.{code}", Problem(f"budget-{code}", "Budget du projet",
                                                          f"{VALUE_LIMIT} caractères au plus.")))
    return found


def keep_previous(typed: dict, previous: dict, paths: list[str]) -> dict:
    """The typed answers, but for the values at `paths` (« questions.objectifs », « cerfa.budget.64 »), which keep
    what was saved before."""
    kept = {"questions": dict(typed.get("questions", {})), "declarations": typed.get("declarations", {}),
            "cerfa": {**typed.get("cerfa", {}), "budget": dict(typed.get("cerfa", {}).get("budget", {}))}}
    for path in paths:
        *parents, leaf = path.split(".")
        target, source = kept, previous
        for part in parents:
            target, source = target[part], (source or {}).get(part, {})
        if leaf in (source or {}):
            target[leaf] = source[leaf]
        else:
            target.pop(leaf, None)
    return kept


def row_count(question: Question, value) -> int:
    filled = len(value) if isinstance(value, list) else 0
    return question.max_rows or max(TABLE_ROWS, filled + 2)


def read(spec: CallSpec, form, previous: dict, declared_by: dict, at: dt.datetime) -> dict:
    """The answers in a submitted form (a werkzeug MultiDict). Declarations keep who ticked them and when."""
    questions = {}
    for question in spec.questions:
        name = f"q.{question.key}"
        if question.type == QuestionType.MULTIPLE_CHOICE:
            questions[question.key] = [c for c in form.getlist(name) if c in question.choices]
        elif question.type == QuestionType.TABLE:
            rows = []
            for index in range(row_count(question, previous.get("questions", {}).get(question.key))):
                row = {c.key: form.get(f"{name}.{index}.{c.key}", "").strip() for c in question.columns}
                if any(row.values()):
                    rows.append(row)
            questions[question.key] = rows
        else:
            questions[question.key] = form.get(name, "").replace("\r\n", "\n").strip()
    budget = {line.code: form.get(f"budget.{line.code}", "").strip() for line in cerfa.ALL_LINES}
    ticked = {}
    for declaration in spec.declarations:
        if form.get(f"decl.{declaration.key}"):
            ticked[declaration.key] = previous.get("declarations", {}).get(declaration.key) or {
                **declared_by, "at": at.isoformat()}
    return {"questions": questions,
            "cerfa": {"amount_requested": form.get("cerfa.amount_requested", "").strip(), "budget": budget},
            "declarations": ticked}


def problems(spec: CallSpec, answers: dict) -> list[Problem]:
    """Everything in the answers that stops a deposit, each tied to its field."""
    found = []
    given = answers.get("questions", {})
    for question in spec.questions:
        found.extend(_question_problems(question, given.get(question.key)))
    found.extend(_cerfa_problems(answers.get("cerfa", {})))
    declared = answers.get("declarations", {})
    for declaration in spec.declarations:
        if declaration.key not in declared:
            found.append(Problem(f"decl-{declaration.key}", "Déclaration sur l'honneur",
                                 "cette déclaration doit être cochée pour déposer la candidature."))
    return found


def _question_problems(question: Question, value) -> list[Problem]:
    anchor, label = field_id(question), question.label
    if value in (None, "", []):
        return [Problem(anchor, label, "réponse obligatoire.")] if question.required else []
    if question.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
        if len(value) > length_limit(question):
            return [Problem(anchor, label, too_long(len(value), length_limit(question)))]
    elif question.type == QuestionType.NUMBER:
        if not re.fullmatch(r"-?\d+([.,]\d+)?", value.replace(" ", "")):
            return [Problem(anchor, label, f"« {value} » n'est pas un nombre (exemple : 12 ou 2,5).")]
    elif question.type == QuestionType.AMOUNT:
        return _amount_problem(anchor, label, value)
    elif question.type == QuestionType.DATE:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return [Problem(anchor, label, f"« {value} » n'est pas une date (format JJ/MM/AAAA).")]
    elif question.type == QuestionType.SINGLE_CHOICE and value not in question.choices:
        return [Problem(anchor, label, "choisissez une des réponses proposées.")]
    elif question.type == QuestionType.YES_NO and value not in YES_NO:
        return [Problem(anchor, label, "répondez par oui ou par non.")]
    elif question.type == QuestionType.TABLE:
        return _table_problems(question, value)
    return []


def _amount_problem(anchor: str, label: str, value: str) -> list[Problem]:
    try:
        amount = cerfa.parse_amount(value)
    except ValueError:
        return [Problem(anchor, label, f"« {value} » n'est pas un montant en euros (exemple : 12 500,50).")]
    if amount is not None and amount < 0:
        return [Problem(anchor, label, "le montant ne peut pas être négatif.")]
    return []


def _table_problems(question: Question, rows: list[dict]) -> list[Problem]:
    found = []
    if question.max_rows and len(rows) > question.max_rows:
        found.append(Problem(field_id(question), question.label, f"{question.max_rows} lignes au plus."))
    for index, row in enumerate(rows, start=1):
        for column in question.columns:
            cell = row.get(column.key, "")
            where = f"{question.label}, ligne {index}, « {column.label} »"
            anchor = f"{field_id(question)}-{index - 1}-{column.key}"
            if column.type == "amount" and cell:
                found.extend(_amount_problem(anchor, where, cell))
            elif column.type == "number" and cell and not re.fullmatch(r"-?\d+([.,]\d+)?", cell.replace(" ", "")):
                found.append(Problem(anchor, where, f"« {cell} » n'est pas un nombre."))
            elif column.type == "date" and cell:
                try:
                    dt.date.fromisoformat(cell)
                except ValueError:
                    found.append(Problem(anchor, where, f"« {cell} » n'est pas une date."))
    return found


def _cerfa_problems(given: dict) -> list[Problem]:
    found = []
    requested = given.get("amount_requested", "")
    label = "Montant de la subvention demandée"
    if not requested:
        found.append(Problem("cerfa-amount_requested", label, "montant obligatoire."))
    else:
        found.extend(_amount_problem("cerfa-amount_requested", label, requested))
    budget = given.get("budget", {})
    for line in cerfa.ALL_LINES:
        if budget.get(line.code):
            found.extend(_amount_problem(f"budget-{line.code}", f"Budget du projet, {line.label}",
                                         budget[line.code]))
    totals = cerfa.totals(budget)
    if totals.charges == 0:
        found.append(Problem("budget-60", "Budget du projet", "renseignez au moins une ligne de charges."))
    elif not totals.balanced:
        if totals.charges != totals.produits:
            gap = totals.charges - totals.produits
            found.append(Problem("budget-total", "Budget du projet",
                                 f"le budget n'est pas équilibré : total des charges {money_fr(totals.charges)}, "
                                 f"total des produits {money_fr(totals.produits)} (écart de {money_fr(abs(gap))}). "
                                 "Les charges doivent être égales aux produits."))
        if totals.emplois_nature != totals.contributions_nature:
            found.append(Problem("budget-86", "Budget du projet",
                                 "les emplois (86) et les contributions volontaires en nature (87) doivent être égaux."))
    try:
        amount = cerfa.parse_amount(requested)
    except ValueError:
        amount = None
    if amount is not None and totals.charges and amount > totals.charges:
        found.append(Problem("cerfa-amount_requested", label,
                             "le montant demandé dépasse le coût total du projet (total des charges)."))
    return found
