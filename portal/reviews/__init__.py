"""Selection of applications after a window closes: eligibility, committee, conflicts, scores, ranking, decisions.
Other code reaches it through its services (rounds, eligibility, assignment, conflicts, reviewing, ranking,
decisions) and its predicates in permissions.py."""
