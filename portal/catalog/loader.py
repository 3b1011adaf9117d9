"""Reading call files: front-matter split, YAML without implicit dates, validation with French messages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from portal.catalog.schema import CallSpec

SLUG_FILE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\.md$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n?(.*)\Z", re.S)


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps and floats: dates and amounts reach the schema as text,

    so an impossible date gets a precise message instead of a YAML crash, and 25493.66 stays exact."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class CallError:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass
class CallFile:
    path: Path
    slug: str
    spec: CallSpec | None = None
    body: str = ""
    content_hash: str = ""
    errors: list[CallError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.spec is not None and not self.errors


def load(path: Path) -> CallFile:
    """Parse and validate one call file; every problem becomes a CallError rather than an exception."""
    name = path.name
    result = CallFile(path=path, slug=path.stem)
    if not SLUG_FILE.match(name):
        result.errors.append(CallError(name, "(nom du fichier)", "le nom doit être en minuscules, chiffres et "
                                       "tirets, terminé par .md (par exemple aap-2025-equipes-mobiles.md)"))
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        result.errors.append(CallError(name, "(fichier)", f"illisible : {error}"))
        return result
    result.content_hash = hashlib.sha256(raw).hexdigest()
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        result.errors.append(CallError(name, "(en-tête)", "le fichier doit commencer par un en-tête YAML "
                                       "entre deux lignes « --- »"))
        return result
    front, body = match.groups()
    try:
        data = yaml.load(front, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"ligne {mark.line + 2}" if mark else "(en-tête)"
        result.errors.append(CallError(name, where, f"YAML invalide : {getattr(error, 'problem', error)}"))
        return result
    if not isinstance(data, dict):
        result.errors.append(CallError(name, "(en-tête)", "l'en-tête doit être une liste de champs « nom: valeur »"))
        return result
    result.body = body.strip()
    result.errors.extend(_body_errors(name, result.body))
    try:
        result.spec = CallSpec.model_validate(data)
    except ValidationError as error:
        result.errors.extend(CallError(name, _path(e["loc"]), _message(e)) for e in error.errors())
    return result


def load_all(paths: list[Path]) -> list[CallFile]:
    """Load every call file under the given files or folders, and check identifiers are unique across them."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.md")) if path.is_dir() else [path])
    results = [load(p) for p in files]
    seen: dict[str, str] = {}
    for result in results:
        if result.spec is None:
            continue
        other = seen.setdefault(str(result.spec.id), result.path.name)
        if other != result.path.name:
            result.errors.append(CallError(result.path.name, "id", f"identifiant déjà utilisé par {other}"))
    return results


def _body_errors(name: str, body: str) -> list[CallError]:
    errors = []
    if len(body) < 20:
        errors.append(CallError(name, "(texte)", "le texte de l'appel, après l'en-tête, est vide ou trop court"))
    for number, line in enumerate(body.splitlines(), start=1):
        if re.match(r"^# ", line):
            errors.append(CallError(name, f"(texte, ligne {number})", "titre de niveau 1 interdit : le titre de "
                                    "l'appel est déjà celui de la page ; utilisez « ## » pour les sections"))
    return errors


def _path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item + 1}]"] if parts else [f"[{item + 1}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(en-tête)"


_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu (les champs admis sont décrits dans docs/calls.md)",
    "date_from_datetime_parsing": "date invalide « {input} » : attendu AAAA-MM-JJ, par exemple 2025-05-09",
    "date_parsing": "date invalide « {input} » : attendu AAAA-MM-JJ, par exemple 2025-05-09",
    "date_type": "date invalide « {input} » : attendu AAAA-MM-JJ, par exemple 2025-05-09",
    "uuid_parsing": "identifiant invalide « {input} » : attendu un UUID (par exemple produit par « uuidgen »)",
    "uuid_type": "identifiant invalide : attendu un UUID",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "string_too_short": "texte vide ou trop court ({min_length} caractères au moins)",
    "too_short": "liste vide : au moins {min_length} élément(s) attendu(s)",
    "string_pattern_mismatch": "format invalide « {input} »",
    "string_type": "texte attendu",
    "decimal_parsing": "montant invalide « {input} » : attendu un nombre, avec un point décimal (25493.66)",
    "decimal_max_places": "{decimal_places} décimales au plus",
    "decimal_max_digits": "nombre trop grand",
    "int_parsing": "nombre entier attendu, reçu « {input} »",
    "int_from_float": "nombre entier attendu, reçu « {input} »",
    "bool_parsing": "oui/non attendu : true ou false",
    "bool_type": "oui/non attendu : true ou false",
    "list_type": "liste attendue (lignes commençant par « - »)",
    "model_type": "bloc de champs attendu",
    "model_attributes_type": "bloc de champs attendu",
    "dict_type": "bloc de champs attendu",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
}


def _message(error: dict) -> str:
    kind = error["type"]
    context = {**error.get("ctx", {}), "input": error.get("input")}
    if kind in ("enum", "literal_error"):
        expected = str(error["ctx"]["expected"]).replace(" or ", " ou ")
        return f"valeur « {error.get('input')} » non admise : choisir parmi {expected}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    template = _MESSAGES.get(kind)
    if template is None:  # keep pydantic's text rather than lose the information
        return error["msg"]
    return template.format(**context)
