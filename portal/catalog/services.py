"""Publishing call files into the database: idempotent, revisioned, and never replacing a valid call by a broken one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from blinker import Namespace
from sqlalchemy import select

from portal.catalog import changes as applicant_changes
from portal.catalog import loader, search, usage
from portal.catalog.models import Call, CallRevision, CallTag, Window
from portal.catalog.schema import FIELD_LABELS, CallSpec
from portal.core import markdown
from portal.core.text import fold
from portal.core.time import end_of_day_paris, start_of_day_paris
from portal.extensions import db

# Sent with the Call after an existing call's content changed (before the command commits), so that domains downstream
# (the reviews' stored totals, the applications' mail to those applying: call.latest_revision.details) follow without
# the catalogue knowing of them.
call_updated = Namespace().signal("call-updated")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[loader.CallError] = field(default_factory=list)


def sync_calls(paths: list[Path], at: dt.datetime) -> SyncReport:
    """Load the files and publish every valid one; invalid files are reported and their published version kept."""
    report = SyncReport()
    for result in loader.load_all(paths):
        if not result.valid:
            report.errors.extend(result.errors)
            continue
        clash = db.session.scalar(select(Call).where(Call.slug == result.slug, Call.uuid != result.spec.id))
        if clash is not None:
            report.errors.append(loader.CallError(result.path.name, "id", f"l'adresse /appels/{result.slug}/ est "
                                                  "déjà celle d'un autre appel (identifiant différent)"))
            continue
        try:
            outcome = publish(result.slug, result.spec, result.body, result.content_hash, at)
        except usage.KeysInUse as refused:  # like an invalid file: reported, the published version kept whole
            report.errors.extend(loader.CallError(result.path.name, field, message)
                                 for field, message in refused.messages())
            continue
        getattr(report, outcome).append(result.slug)
    db.session.flush()
    return report


def publish(slug: str, spec: CallSpec, body: str, content_hash: str, at: dt.datetime) -> str:
    """Create or update one call; returns "created", "updated" or "unchanged". Raises usage.KeysInUse, before
    changing anything, when the new version drops a window, criterion or document that is still in use."""
    call = db.session.scalar(select(Call).where(Call.uuid == spec.id))
    spec_json = spec.model_dump(mode="json", exclude_defaults=True)
    if call is not None and call.content_hash == content_hash and call.slug == slug:
        return "unchanged"
    if call is None:
        call = Call(uuid=spec.id, published_at=_published_at(spec, at))
        db.session.add(call)
        changes, details, outcome = ["Publication"], None, "created"
    else:
        usage.refuse_dropping_used_keys(call, spec)
        changes, outcome = _changed_parts(call, spec_json, body), "updated"
        details = applicant_changes.applicant_changes(call.spec, spec) or None
        if not changes:  # only formatting changed in the file: record the new hash, no revision
            call.content_hash, call.slug = content_hash, slug
            return "unchanged"
    fill_call(call, slug, spec, body, content_hash, at)
    number = len(call.revisions) + 1
    call.revisions.append(CallRevision(number=number, created_at=at, content_hash=content_hash, changes=changes,
                                       details=details, spec_json=spec_json, body_md=body))
    db.session.flush()  # the call's id, for its row in the search index
    search.index(db.session, call.id, call.title, call.summary, call.search_text)
    if outcome == "updated":
        call_updated.send(call)
    return outcome


def fill_call(call: Call, slug: str, spec: CallSpec, body: str, content_hash: str, at: dt.datetime) -> None:
    """Give a Call the fields its file says: publication and the editor's preview (an unsaved Call) share it, so
    the preview is the page publication would make."""
    call.slug, call.kind, call.title, call.summary = slug, spec.kind.value, spec.title, spec.summary
    call.issuer = spec.issuer.body
    call.spec_json = spec.model_dump(mode="json", exclude_defaults=True)
    call.body_md, call.body_html = body, markdown.render(body)
    call.search_text = _search_text(spec, body)
    call.content_hash, call.updated_at = content_hash, at
    call.__dict__.pop("spec", None)  # drop the cached parsed spec
    _sync_windows(call, spec)
    _sync_tags(call, spec)
    call.ends_at = ends_at(spec)


def ends_at(spec: CallSpec) -> dt.datetime | None:
    """When the call is closed for good (status.call_status's rule): its last window's closing; without windows,
    the end of its period's last day; never, without either."""
    if spec.windows:
        return max(end_of_day_paris(window.closes_on) for window in spec.windows)
    return end_of_day_paris(spec.period.end) if spec.period is not None else None


def unsaved_call(slug: str, spec: CallSpec, body: str, at: dt.datetime) -> Call:
    """The Call that publishing this file now would create, never added to the session (the editor's preview)."""
    call = Call(uuid=spec.id, published_at=_published_at(spec, at), windows=[], tags=[], revisions=[])
    fill_call(call, slug, spec, body, "", at)
    return call


def _published_at(spec: CallSpec, at: dt.datetime) -> dt.datetime:
    return start_of_day_paris(spec.published_on) if spec.published_on else at


def _changed_parts(call: Call, spec_json: dict, body: str) -> list[str]:
    old = call.spec_json
    keys = sorted(set(old) | set(spec_json), key=lambda k: list(FIELD_LABELS).index(k) if k in FIELD_LABELS else 99)
    labels = [FIELD_LABELS.get(k, k) for k in keys if old.get(k) != spec_json.get(k)]
    if call.body_md != body:
        labels.append(FIELD_LABELS["body"])
    return list(dict.fromkeys(labels))


def _sync_windows(call: Call, spec: CallSpec) -> None:
    # Windows are matched by key and updated in place: later data (applications) refers to them by id.
    existing = {w.key: w for w in call.windows}
    keep = []
    for item in spec.windows:
        window = existing.get(item.key) or Window(key=item.key)
        window.label = item.label
        window.opens_at = start_of_day_paris(item.opens_on) if item.opens_on else None
        window.closes_at = end_of_day_paris(item.closes_on)
        keep.append(window)
    call.windows[:] = keep


def _sync_tags(call: Call, spec: CallSpec) -> None:
    wanted = {("carrier", c.value) for c in spec.carrier_types}
    wanted |= {("territory", t.name) for t in spec.all_territories}
    wanted |= {("theme", theme) for theme in spec.themes}
    current = {(t.kind, t.value): t for t in call.tags}
    call.tags[:] = [current.get(pair) or CallTag(kind=pair[0], value=pair[1]) for pair in sorted(wanted)]


def _search_text(spec: CallSpec, body: str) -> str:
    parts = [spec.title, spec.summary, spec.reference or "", spec.issuer.body, spec.issuer.direction or "",
             spec.issuer.service or "", spec.axis or "", " ".join(spec.themes),
             " ".join(t.name for t in spec.all_territories),
             (spec.carriers.description or "") if spec.carriers else "", body]
    return fold(" ".join(parts))
