"""Calls written in the browser: the Markdown file kept as written (CallSource), every saved version, the check
`portal calls check` makes, the preview, and publication through the path the file sync uses (services.publish).
Services flush and audit; the request or the job commits."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select

from portal.catalog import loader, services, usage
from portal.catalog.authoring_models import CallSource, CallSourceRevision, IssuerSetting
from portal.catalog.models import Call, Management
from portal.core import audit
from portal.core.errors import Refusal
from portal.extensions import db

TEMPLATE = Path(__file__).parent / "data" / "modele-appel.md"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_UPLOAD = 200 * 1024  # the longest shipped call is under 40 Ko
ID_LINE = re.compile(r"^id:.*$", re.M)


# ---- reading ---------------------------------------------------------------------------------------------------

def check(slug: str, text: str) -> loader.CallFile:
    """What `portal calls check` says of this text as the file <slug>.md; writes nothing. Its `framework` is looked
    for among the published calls."""
    result = loader.load_text(f"{slug}.md", normalise(text))
    framework = result.spec.framework if result.spec is not None else None
    if framework is not None:
        found = published_call(framework)
        result.errors.extend(loader.framework_errors(result, {found.slug: found.kind} if found else {}))
    return result


def normalise(text: str) -> str:
    """A textarea sends CRLF; the file keeps LF and ends with one newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def source(slug: str) -> CallSource | None:
    return db.session.scalar(select(CallSource).where(CallSource.slug == slug))


def published_call(slug: str) -> Call | None:
    return db.session.scalar(select(Call).where(Call.slug == slug))


def source_of(call: Call) -> CallSource | None:
    return db.session.scalar(select(CallSource).where(CallSource.call_id == call.id))


def all_sources() -> list[CallSource]:
    return list(db.session.scalars(select(CallSource).order_by(CallSource.updated_at.desc())))


def known_issuers(extra: str | None = None) -> list[str]:
    """The issuers the portal knows (its calls', its drafts', its own): those a new call may be written for."""
    names = set(db.session.scalars(select(Call.issuer).distinct())) | set(
        db.session.scalars(select(CallSource.issuer).distinct()))
    if extra:
        names.add(extra)
    return sorted(names)


def approval_required(issuer: str) -> bool:
    setting = db.session.get(IssuerSetting, issuer)
    return bool(setting and setting.approval_required)


def file_text(call: Call) -> str:
    """The Markdown file of a published call: its source as written for a portal call, else rebuilt from what
    the sync stored (the file's values; its comments and layout are not kept)."""
    kept = source_of(call)
    if kept is not None:
        return kept.text
    front = yaml.safe_dump(call.spec_json, allow_unicode=True, sort_keys=False, width=120)
    return f"---\n{front}---\n\n{call.body_md}\n"


def blank_text(issuer: str) -> str:
    """The commented template, with a new identifier and the issuer filled in."""
    return TEMPLATE.read_text(encoding="utf-8").replace("__ID__", str(uuid.uuid4())).replace(
        "__ISSUER__", issuer.replace('"', "'"))


def duplicate_text(call: Call) -> str:
    """Next year's edition: the call's file with a new identifier (the rest to be changed by its author)."""
    return ID_LINE.sub(f"id: {uuid.uuid4()}", file_text(call), count=1)


def uploaded_text(storage) -> str:
    """The text of an uploaded .md file, refused in French when it is not one."""
    name = (getattr(storage, "filename", "") or "").strip()
    if not name:
        raise Refusal("Choisissez un fichier .md à déposer.", field="fichier")
    if not name.lower().endswith(".md"):
        raise Refusal("Le fichier doit être un fichier texte Markdown, terminé par .md.", field="fichier")
    raw = storage.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise Refusal(f"Le fichier dépasse {MAX_UPLOAD // 1024} Ko : un appel tient en quelques dizaines de Ko.",
                      field="fichier")
    if not raw.strip():
        raise Refusal("Le fichier est vide.", field="fichier")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal("Le fichier n'est pas un texte encodé en UTF-8 : enregistrez-le en UTF-8 depuis votre "
                      "éditeur, puis déposez-le encore.", field="fichier") from None
    if "\x00" in text:
        raise Refusal("Le fichier n'est pas un fichier texte.", field="fichier")
    return text


def slug_from_name(name: str) -> str:
    return Path(name or "").stem.lower()


# ---- writing ---------------------------------------------------------------------------------------------------

def _check_slug(slug: str) -> None:
    if not SLUG.match(slug or "") or len(slug) > 120:
        raise Refusal("L'adresse s'écrit en minuscules, chiffres et tirets, sans accent ni espace "
                      "(par exemple aap-2026-equipes-mobiles).", field="slug")
    if source(slug) is not None or published_call(slug) is not None:
        raise Refusal(f"L'adresse /appels/{slug}/ est déjà prise : choisissez-en une autre.", field="slug")


def create(slug: str, issuer: str, text: str, by, at: dt.datetime, origin: str) -> CallSource:
    """A new draft, private to the issuer's managers, with its first revision."""
    _check_slug(slug)
    draft = CallSource(slug=slug, issuer=issuer, text=normalise(text), created_at=at, created_by_id=by.id,
                       updated_at=at, updated_by_id=by.id)
    db.session.add(draft)
    _revision(draft, by, at)
    db.session.flush()
    audit.record("call_source.create", actor=by, target=f"call_source:{draft.id}", slug=slug, origin=origin)
    return draft


def save(draft: CallSource, text: str, by, at: dt.datetime) -> CallSourceRevision | None:
    """Keep the text as a new revision (even invalid: a draft may be unfinished); None when nothing changed.
    A change withdraws an approval given to the previous text."""
    text = normalise(text)
    if text == draft.text:
        return None
    draft.text, draft.updated_at, draft.updated_by_id = text, at, by.id
    draft.approval_requested_at = draft.approval_requested_by_id = None
    draft.approved_at = draft.approved_by_id = None
    revision = _revision(draft, by, at)
    db.session.flush()
    audit.record("call_source.save", actor=by, target=f"call_source:{draft.id}", number=revision.number)
    return revision


def _revision(draft: CallSource, by, at: dt.datetime) -> CallSourceRevision:
    revision = CallSourceRevision(number=len(draft.revisions) + 1, text=draft.text, author_id=by.id,
                                  author_name=by.name, created_at=at)
    draft.revisions.append(revision)
    return revision


def publication_refusal(draft: CallSource) -> Refusal | None:
    """Why this text may not be published now, or None: it must be valid, keep its issuer and address, and be
    approved by a second manager when the issuer asks for it."""
    result = check(draft.slug, draft.text)
    if not result.valid:
        count = len(result.errors)
        return Refusal(f"Le texte contient {count} erreur{'s' if count > 1 else ''} : corrigez-{'les' if count > 1 else 'la'}"
                       " avant de publier (un brouillon invalide peut être enregistré, pas publié).")
    if result.spec.issuer.body != draft.issuer:
        return Refusal(f"L'organisme émetteur (issuer.body) de ce brouillon est « {draft.issuer} » : il ne peut pas "
                       "être changé ici.")
    other = db.session.scalar(select(Call).where(Call.uuid == result.spec.id))
    if other is not None and other.id != draft.call_id:
        return Refusal(f"L'identifiant (id) est celui d'un autre appel publié (/appels/{other.slug}/) : "
                       "un nouvel appel prend un nouvel identifiant.")
    clash = published_call(draft.slug)
    if clash is not None and clash.id != draft.call_id:
        return Refusal(f"L'adresse /appels/{draft.slug}/ est déjà celle d'un autre appel.")
    if approval_required(draft.issuer) and draft.approved_at is None:
        return Refusal("L'organisme demande qu'un second gestionnaire approuve l'appel avant sa publication : "
                       "demandez son approbation.")
    return None


def publish(draft: CallSource, by, at: dt.datetime) -> Call:
    """Publish the text now, as `portal calls sync` would publish the same file."""
    refusal = publication_refusal(draft)
    if refusal is not None:
        raise refusal
    result = check(draft.slug, draft.text)
    try:
        outcome = services.publish(draft.slug, result.spec, result.body, result.content_hash, at)
    except usage.KeysInUse as refused:
        raise Refusal(" ".join(message for _field, message in refused.messages())) from None
    call = db.session.scalar(select(Call).where(Call.uuid == result.spec.id))
    call.managed_by = Management.PORTAL
    draft.call_id, draft.publish_at = call.id, None
    draft.approval_requested_at = draft.approval_requested_by_id = None
    draft.approved_at = draft.approved_by_id = None
    db.session.flush()
    audit.record("call_source.publish", actor=by, target=f"call_source:{draft.id}", slug=draft.slug,
                 outcome=outcome, revision=len(draft.revisions))
    return call


def schedule(draft: CallSource, when: dt.datetime, by, at: dt.datetime) -> None:
    """Publish at `when` (UTC), by `portal calls publish-due`; checked now, and again then."""
    if when <= at:
        raise Refusal("La date et l'heure de publication doivent être à venir.", field="date")
    refusal = publication_refusal(draft)
    if refusal is not None:
        raise refusal
    draft.publish_at = when
    db.session.flush()
    audit.record("call_source.schedule", actor=by, target=f"call_source:{draft.id}", at=when.isoformat())


def cancel_schedule(draft: CallSource, by) -> None:
    draft.publish_at = None
    db.session.flush()
    audit.record("call_source.schedule_cancel", actor=by, target=f"call_source:{draft.id}")


def due(at: dt.datetime) -> list[int]:
    """The sources whose scheduled publication has come."""
    return list(db.session.scalars(select(CallSource.id).where(CallSource.publish_at <= at)
                                   .order_by(CallSource.publish_at)))


def publish_scheduled(source_id: int, at: dt.datetime) -> Call:
    draft = db.session.get(CallSource, source_id)
    return publish(draft, None, at)


def give_up_schedule(source_id: int, reason: str) -> None:
    """A scheduled publication that could not happen is dropped, said in the audit log (the draft is kept)."""
    draft = db.session.get(CallSource, source_id)
    draft.publish_at = None
    db.session.flush()
    audit.record("call_source.schedule_failed", target=f"call_source:{draft.id}", reason=reason)


def request_approval(draft: CallSource, by, at: dt.datetime) -> None:
    draft.approval_requested_at, draft.approval_requested_by_id = at, by.id
    draft.approved_at = draft.approved_by_id = None
    db.session.flush()
    audit.record("call_source.approval_request", actor=by, target=f"call_source:{draft.id}")


def approve(draft: CallSource, by, at: dt.datetime) -> None:
    """A second manager of the issuer approves the text as it stands; the requester may not approve her own."""
    if draft.approval_requested_at is None:
        raise Refusal("Aucune approbation n'a été demandée pour ce texte.")
    if draft.approval_requested_by_id == by.id:
        raise Refusal.forbidden("Vous avez demandé cette approbation : un autre gestionnaire de l'organisme doit "
                                "la donner.")
    draft.approved_at, draft.approved_by_id = at, by.id
    db.session.flush()
    audit.record("call_source.approve", actor=by, target=f"call_source:{draft.id}")


def set_approval_required(issuer: str, required: bool, by, at: dt.datetime) -> None:
    setting = db.session.get(IssuerSetting, issuer) or IssuerSetting(issuer=issuer)
    setting.approval_required, setting.updated_at, setting.updated_by_id = required, at, by.id
    db.session.add(setting)
    db.session.flush()
    audit.record("issuer_setting.update", actor=by, target=f"issuer:{issuer}", approval_required=required)


def unpublish(draft: CallSource, by) -> None:
    """Take the call off the portal, the source kept as a draft; refused once anything downstream uses it (the
    domains that keep applications answer usage.keys_dropped, as for a file dropping its windows)."""
    call = db.session.get(Call, draft.call_id) if draft.call_id else None
    if call is None:
        raise Refusal("Cet appel n'est pas publié.")
    everything = {name: [item.key for item in getattr(call.spec, name)] for name in usage.KEYED_FIELDS}
    uses = [use for _receiver, found in usage.keys_dropped.send(call, dropped=everything) for use in found or ()]
    if uses:
        clauses = "; ".join(dict.fromkeys(use.users for use in uses))
        raise Refusal(f"Cet appel ne peut pas être retiré du portail : {clauses}. Il reste publié.")
    slug = call.slug
    draft.call_id = None
    db.session.delete(call)
    db.session.flush()
    audit.record("call_source.unpublish", actor=by, target=f"call_source:{draft.id}", slug=slug)


# ---- revisions ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    old: int | None
    new: int | None
    text: str

    @property
    def label(self) -> str:
        return {"added": "Ajouté", "removed": "Supprimé", "same": "Inchangé"}[self.kind]


def diff(old: str, new: str, context: int = 3) -> list[list[DiffLine]]:
    """The changed parts between two texts, each with a few lines around it, numbered in both versions."""
    a, b = old.splitlines(), new.splitlines()
    groups = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        lines = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", i + 1, j1 + k + 1, a[i]) for k, i in enumerate(range(i1, i2))]
                continue
            lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
        groups.append(lines)
    return groups


def export(folder: Path) -> list[Path]:
    """Write the portal-managed calls' files to <folder>/<slug>.md, so a Département keeps them in git."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kept in db.session.scalars(select(CallSource).where(CallSource.call_id.is_not(None))
                                   .order_by(CallSource.slug)):
        path = folder / f"{kept.slug}.md"
        path.write_text(kept.text, encoding="utf-8")
        written.append(path)
    return written
