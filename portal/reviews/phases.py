"""The phases a window's applications go through after closing, held as data with what each one allows (as
pretalx's review phases): views and predicates read the flags, never the phase's name."""

from __future__ import annotations

from dataclasses import dataclass

from portal.reviews.states import RoundPhase


@dataclass(frozen=True)
class Phase:
    key: RoundPhase
    screening: bool  # managers record eligibility (recevabilité)
    assigning: bool  # managers name reviewers and assign applications
    scoring: bool  # reviewers write and submit reviews
    committee_sees_all: bool  # every committee member reads every review of the applications she may review
    deciding: bool  # managers record decisions
    read_only: bool  # nothing changes any more
    next: tuple[RoundPhase, ...]  # phases a manager may move to from here

    @property
    def label(self) -> str:
        return self.key.label


PHASES: dict[RoundPhase, Phase] = {p.key: p for p in (
    Phase(RoundPhase.ELIGIBILITY, screening=True, assigning=True, scoring=False, committee_sees_all=False,
          deciding=False, read_only=False, next=(RoundPhase.REVIEW,)),
    Phase(RoundPhase.REVIEW, screening=False, assigning=True, scoring=True, committee_sees_all=False,
          deciding=False, read_only=False, next=(RoundPhase.DELIBERATION,)),
    Phase(RoundPhase.DELIBERATION, screening=False, assigning=False, scoring=False, committee_sees_all=True,
          deciding=True, read_only=False, next=(RoundPhase.REVIEW,)),  # « decided » only by publishing the decisions
    Phase(RoundPhase.DECIDED, screening=False, assigning=False, scoring=False, committee_sees_all=True,
          deciding=False, read_only=True, next=()),
)}
