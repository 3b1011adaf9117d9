"""The reviews domain's pages. Route modules attach to the blueprints of blueprints.py:
rounds.py and eligibility.py (phases, settings, screening), committee_manage.py and conflicts.py (reviewers,
assignment, conflicts), reviewer.py (a committee member's work), ranking.py, decisions.py, waiting_list.py (after
publication) and exports.py."""

from __future__ import annotations

from flask import Flask, url_for

from portal.accounts.models import Role
from portal.accounts.permissions import is_reviewer
from portal.core import hooks


def register(app: Flask) -> None:
    from portal.applications.permissions import exclude_from_staff, read_deposited_by, read_shared_messages_by
    from portal.catalog.services import call_updated
    from portal.reviews import call_usage, permissions, queries, states, totals
    from portal.reviews.views import (  # noqa: F401 (routes)
        applicant_list,
        committee_manage,
        conflicts,
        decisions,
        eligibility,
        exports,
        meeting,
        ranking,
        reviewer,
        rounds,
        waiting_list,
        workspace,
    )
    from portal.reviews.views.blueprints import applicant, committee, manage

    call_updated.connect(lambda call: totals.follow_call_changes(call), weak=False)
    call_usage.register()  # the catalogue asks before a call file drops a criterion or a window under selection
    # A manager in conflict with an application loses it on the staff side too, not only on the selection side.
    exclude_from_staff(permissions.conflicted)
    # Whom the committee may read, applications' can_download asks without importing the reviews domain.
    read_deposited_by(_reads_as_reviewer)
    # An assigned reviewer, once she stated she has no conflict, reads the messages a manager shared (never the rest).
    read_shared_messages_by(_reads_shared_messages)
    # The applicant's page (applications domain) asks this without importing the reviews domain.
    app.add_template_global(queries.round_published_at, "decisions_published")
    # The selection's pages compare a stored state with its member (row.outcome == Outcome.WAITING_LIST), never
    # with the string it happens to be stored as.
    for state in (states.Outcome, states.Verdict, states.ReviewStatus, states.ChangeKind, states.ConflictKind,
                  states.DeclaredBy, states.RoundPhase):
        app.add_template_global(state, state.__name__)
    # The applications domain's pages, the call page and the header show this domain's links through slots.
    hooks.contribute(app, "navigation", workspace.menu_entry, order=5)
    hooks.contribute(app, "navigation", menu_entry, order=10)
    hooks.contribute(app, "home", workspace.landing)
    hooks.contribute(app, "home", committee_home)
    hooks.contribute(app, "account.role_home", role_home)
    hooks.contribute(app, "call.staff_links", hooks.fragment("reviews/_call_staff_links.html"))
    hooks.contribute(app, "staff_list.links", hooks.fragment("reviews/_staff_list_links.html"))
    hooks.contribute(app, "staff_application.links", hooks.fragment("reviews/_staff_application_links.html"))
    hooks.contribute(app, "applicant_application.sections", hooks.fragment("reviews/_applicant_selection.html"))
    hooks.contribute(app, "applicant_list.status", applicant_list.published_outcome)
    for blueprint in (workspace.bp, manage, committee, applicant):
        app.register_blueprint(blueprint)


def menu_entry(user) -> hooks.NavEntry | None:
    """« Évaluation » in the header, for a member of a committee."""
    return hooks.NavEntry("Évaluation", "committee.home") if is_reviewer(user) else None


def committee_home(user) -> tuple[int, str] | None:
    """A committee member lands on her reviewer home after signing in, unless she also manages calls."""
    return (20, url_for("committee.home")) if is_reviewer(user) else None


def role_home(user, grant) -> hooks.NavEntry | None:
    """« Mes rôles » on « Mon compte »: a manager's role links to her « Espace de gestion », a reviewer's to hers."""
    return {Role.MANAGER: hooks.NavEntry("Espace de gestion", "workspace.home"),
            Role.REVIEWER: hooks.NavEntry("Évaluation", "committee.home")}.get(grant.role)


def _reads_as_reviewer(user, application) -> bool:
    """applications.permissions.read_deposited_by asks yes or no: whether reviews' can_review lets her in. One
    function for the module, so that registering again (a second app) does not add the rule twice."""
    from portal.reviews import permissions

    return permissions.can_review(user, application) is None


def _reads_shared_messages(user, application) -> bool:
    """applications.permissions.read_shared_messages_by asks: assigned to her, not in conflict (can_review), and
    opened — the same gate as the file's own pages (views/reviewer.py)."""
    from portal.reviews import permissions, queries

    if not application.is_deposited or permissions.can_review(user, application) is not None:
        return False
    assignment = queries.assignment_of(user, application)
    return assignment is not None and assignment.no_conflict_declared_at is not None
