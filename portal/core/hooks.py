"""Slots: an upstream page shows what a downstream domain adds to it, without naming that domain.

Dependencies run reviews → applications → catalog, accounts → core, in templates as in Python: the call page
(catalog) may not include the applications domain's « Candidater » form, nor an application's page (applications)
link to the reviews domain's pages. The upstream template names a slot instead — `contributions('call.apply',
call=call, status=status)` — and each downstream domain, as it registers itself in create_app, contributes to that
slot a function of the page's context returning an HTML fragment (or a menu entry), or None to add nothing. A few
slots carry facts rather than HTML (`scdl.grant_facts`): an upstream export asks a downstream domain what it holds.
tests/test_architecture.py fails when a template crosses a boundary the wrong way (see docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, render_template
from markupsafe import Markup

# Each slot, where it shows, the context its page passes and what a contribution returns.
SLOTS = {
    "navigation": "base.html, the header's menu of a signed-in person (user) → NavEntry",
    "home": "accounts' sign-in, where a person lands with no `next` (user) → (priority, url): the lowest wins",
    "account.sections": "accounts/home.html, after the roles (user) → HTML",
    "account.role_home": "accounts/home.html, « Mes rôles », each role (user, grant) → NavEntry: that role's home",
    "call.apply": "catalog/detail.html, the « Candidater » box (call, status) → HTML",
    "call.preview_form": "catalog/authoring/preview.html, under the page (call) → HTML: its application form, read-only",
    "call.staff_links": "applications/_apply.html, the buttons a call's manager sees on the call page (call) → HTML",
    "workspace.call_links": "reviews/workspace.html, each call's list of links (call) → HTML: one <li> with a link",
    "staff_list.links": "applications/staff_list.html, beside the call's title (call) → HTML",
    "staff_application.links": "applications/staff_show.html, under the title (application) → HTML",
    "applicant_application.sections": "applications/show.html, after « Le dossier » (application, is_lead) → HTML",
    "applicant_list.status": ("applications/mine.html, under each application (application, listed: the page's "
                              "applications, read in one statement for all) → HTML of its published outcome, or None; "
                              "one given an outcome is listed with the decided ones"),
    "scdl.grant_facts": ("reviews/scdl.py, the SCDL « subventions » export (application_ids: its grants) → "
                         "{application id: GrantFacts} for the grants it follows, read in one statement for all"),
}


@dataclass(frozen=True)
class GrantFacts:
    """What the follow-up knows of an awarded grant, for the SCDL export: the convention's date (the issuer's
    signature, None until then), the dates of the payments made, and how many payments the schedule holds."""

    convention_date: dt.date | None = None
    payment_dates: tuple[dt.date, ...] = ()
    payments_planned: int = 0


@dataclass(frozen=True)
class NavEntry:
    """A link of the header's menu: `endpoint` takes no argument; `marks_current` adds aria-current on its page."""

    label: str
    endpoint: str
    marks_current: bool = True


Contribution = Callable[..., "Markup | NavEntry | None"]


def register(app: Flask) -> None:
    app.extensions["portal.slots"] = {slot: [] for slot in SLOTS}
    app.add_template_global(contributions)


def contribute(app: Flask, slot: str, function: Contribution, *, order: int = 0) -> None:
    """Add `function` to `slot` on this application; `order` sorts the contributions (then registration order)."""
    if slot not in SLOTS:
        raise KeyError(f"Unknown slot {slot!r}: declare it in portal/core/hooks.py SLOTS")
    app.extensions["portal.slots"][slot].append((order, function))
    app.extensions["portal.slots"][slot].sort(key=lambda pair: pair[0])


def fragment(template: str) -> Contribution:
    """A contribution that renders `template` with the page's context."""
    return lambda **context: Markup(render_template(template, **context))


def contributions(slot: str, **context) -> list:
    """What the registered domains give `slot` for this context (a Jinja global), in order, None left out."""
    given = (function(**context) for _, function in current_app.extensions["portal.slots"][slot])
    return [value for value in given if value is not None]
