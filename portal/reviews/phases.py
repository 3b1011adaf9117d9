"""The phases a window's applications go through after closing, held as data with what each one allows (as
pretalx's review phases): views and predicates read the flags, never the phase's name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    key: str
    label: str
    screening: bool  # managers record eligibility (recevabilité)
    assigning: bool  # managers name reviewers and assign applications
    scoring: bool  # reviewers write and submit reviews
    committee_sees_all: bool  # every committee member reads every review of the applications she may review
    deciding: bool  # managers record decisions
    read_only: bool  # nothing changes any more
    next: tuple[str, ...]  # phases a manager may move to from here


PHASES: dict[str, Phase] = {p.key: p for p in (
    Phase("eligibility", "Recevabilité", screening=True, assigning=True, scoring=False, committee_sees_all=False,
          deciding=False, read_only=False, next=("review",)),
    Phase("review", "Évaluation", screening=False, assigning=True, scoring=True, committee_sees_all=False,
          deciding=False, read_only=False, next=("deliberation",)),
    Phase("deliberation", "Délibération", screening=False, assigning=False, scoring=False, committee_sees_all=True,
          deciding=True, read_only=False, next=("review",)),  # « decided » only by publishing the decisions
    Phase("decided", "Décisions publiées", screening=False, assigning=False, scoring=False, committee_sees_all=True,
          deciding=False, read_only=True, next=()),
)}
