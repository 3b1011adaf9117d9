"""Reading call files: front-matter split, YAML without implicit dates, validation with French messages.

Public API, used by `portal calls check|sync` and by the browser editor alike:

- `load(path) -> CallFile`: read one file and check it (what `load_text` does, on the file's bytes).
- `load_text(name, text) -> CallFile`: check a call written anywhere (an editor's textarea, an upload); `name` is the
  file name it would have (« aap-2025-logement.md »), which gives the slug.
- `CallError(file, field, message, line=None)`: one problem, in French. `line` is 1-based in the whole file (the first
  « --- » is line 1, the front-matter starts at line 2), None when no line applies (a duplicate id across files).
  `str(error)` reads « aap.md:12: windows[1].closes_on: date invalide … » (« aap.md: id: … » without a line).
- `CallFile.errors` make the file invalid; `CallFile.warnings` (portal.catalog.coherence: dates that contradict each
  other) do not: they are shown, and the file may be published.
- `framework_errors(result, kinds)`: a `framework` that names no call of kind cadre among `kinds` (slug → kind), the
  one check that needs the other calls; `load_all` makes it across the files it reads, the editor against the
  published calls.
"""

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
FRONT_MATTER_LINE = 2  # the line of the file where the front-matter's first line is


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
    line: int | None = None  # 1-based, in the whole file

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


@dataclass
class CallFile:
    path: Path
    slug: str
    spec: CallSpec | None = None
    body: str = ""
    content_hash: str = ""
    errors: list[CallError] = field(default_factory=list)
    warnings: list[CallError] = field(default_factory=list)
    root: yaml.Node | None = field(default=None, repr=False, compare=False)  # the front-matter's nodes: the lines

    @property
    def valid(self) -> bool:
        return self.spec is not None and not self.errors


def load(path: Path) -> CallFile:
    """Parse and validate one call file; every problem becomes a CallError rather than an exception."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        result = CallFile(path=path, slug=path.stem, errors=_name_errors(path.name))
        result.errors.append(CallError(path.name, "(fichier)", f"illisible : {error}"))
        return result
    result = load_text(path.name, text)
    result.path = path
    return result


def load_text(name: str, text: str) -> CallFile:
    """Parse and validate a call's whole text as if it were the file `name`; nothing is raised, nothing is written."""
    result = CallFile(path=Path(name), slug=Path(name).stem, errors=_name_errors(name))
    result.content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")  # as some Windows editors save UTF-8
    match = FRONT_MATTER.match(text)
    if not match:
        result.errors.append(CallError(name, "(en-tête)", "le fichier doit commencer par un en-tête YAML "
                                       "entre deux lignes « --- »", line=1))
        return result
    front, body = match.groups()
    try:
        data = yaml.load(front, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        result.errors.append(_yaml_error(name, front, error))
        return result
    if not isinstance(data, dict):
        result.errors.append(CallError(name, "(en-tête)", "l'en-tête doit être une liste de champs « nom: valeur »",
                                       line=FRONT_MATTER_LINE))
        return result
    root = yaml.compose(front, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass; the nodes give the lines
    result.root = root
    result.errors.extend(_duplicate_keys(name, root))
    body_line = text[:match.start(2)].count("\n") + 1
    stripped = body.strip()
    body_line += body[:len(body) - len(body.lstrip())].count("\n")
    result.body = stripped
    result.errors.extend(_body_errors(name, result.body, body_line))
    try:
        result.spec = CallSpec.model_validate(data)
    except ValidationError as error:
        result.errors.extend(CallError(name, _path(e["loc"]), _message(e), line=line_of(root, e["loc"]))
                             for e in error.errors())
    else:
        from portal.catalog import coherence  # it reads the spec this module builds

        result.warnings = coherence.warnings(result.spec, root, name)
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
            result.errors.append(CallError(result.path.name, "id", f"identifiant déjà utilisé par {other}",
                                           line=line_of(_front_root(result), ("id",))))
    kinds = {result.slug: result.spec.kind for result in results if result.spec is not None}
    for result in results:
        result.errors.extend(framework_errors(result, kinds))
    return results


def framework_errors(result: CallFile, kinds: dict[str, str]) -> list[CallError]:
    """The call's `framework` must name a call of kind cadre among `kinds` (slug → kind); a cadre names none."""
    spec = result.spec
    if spec is None or spec.framework is None:
        return []
    name, line = result.path.name, line_of(result.root, ("framework",))
    if spec.kind == "cadre":
        message = "un document de cadrage ne relève pas d'un autre cadre : retirez « framework »"
    elif spec.framework not in kinds:
        message = (f"cadre national « {spec.framework} » inconnu : aucun appel de ce nom (le nom de son fichier, "
                   "sans .md) parmi les appels vérifiés avec celui-ci")
    elif kinds[spec.framework] != "cadre":
        message = (f"« {spec.framework} » n'est pas un document de cadrage (kind: cadre) : « framework » nomme le "
                   "cadre national que l'appel met en œuvre")
    else:
        return []
    return [CallError(name, "framework", message, line=line)]


def _front_root(result: CallFile) -> yaml.Node | None:
    try:
        match = FRONT_MATTER.match(result.path.read_text(encoding="utf-8").replace("\r\n", "\n"))
        return yaml.compose(match.group(1), Loader=_Loader) if match else None  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _name_errors(name: str) -> list[CallError]:
    if SLUG_FILE.match(name):
        return []
    return [CallError(name, "(nom du fichier)", "le nom doit être en minuscules, chiffres et tirets, terminé par "
                      ".md (par exemple aap-2025-equipes-mobiles.md)")]


def _body_errors(name: str, body: str, first_line: int) -> list[CallError]:
    errors = []
    if len(body) < 20:
        errors.append(CallError(name, "(texte)", "le texte de l'appel, après l'en-tête, est vide ou trop court",
                                line=first_line))
    for number, line in enumerate(body.splitlines(), start=first_line):
        if re.match(r"^# ", line):
            errors.append(CallError(name, "(texte)", "titre de niveau 1 interdit : le titre de l'appel est déjà "
                                    "celui de la page ; utilisez « ## » pour les sections", line=number))
    return errors


# ---- where: from a pydantic error's loc to the YAML node's line ------------------------------------------------

def line_of(root: yaml.Node | None, loc: tuple) -> int | None:
    """The file line of the YAML node at `loc` (('windows', 0, 'closes_on')), or of the deepest node that exists
    on the way (a missing key: its parent block); None without a front-matter."""
    if root is None:
        return None
    node, line = root, root.start_mark.line
    for item in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(key, value) for key, value in node.value
                     if isinstance(key, yaml.ScalarNode) and key.value == str(item)]
            if not found:
                break
            key, node = found[-1]  # YAML keeps the last of two equal keys
            line = key.start_mark.line
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and 0 <= item < len(node.value):
            node = node.value[item]
            line = node.start_mark.line
        else:
            break
    return line + FRONT_MATTER_LINE


def _duplicate_keys(name: str, node: yaml.Node | None, where: tuple = ()) -> list[CallError]:
    """A key written twice in one block: YAML keeps the last silently, so the first one's information is lost."""
    found: list[CallError] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in first:
                    found.append(CallError(name, _path((*where, key.value)),
                                           f"champ écrit deux fois (déjà ligne {first[key.value]}) : YAML ne "
                                           "garderait que le dernier ; supprimez l'un des deux",
                                           line=key.start_mark.line + FRONT_MATTER_LINE))
                first.setdefault(key.value, key.start_mark.line + FRONT_MATTER_LINE)
            found.extend(_duplicate_keys(name, value, (*where, key.value if isinstance(key, yaml.ScalarNode) else "?")))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_duplicate_keys(name, item, (*where, index)))
    return found


def _path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item + 1}]"] if parts else [f"[{item + 1}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(en-tête)"


# ---- YAML errors: what to do ------------------------------------------------------------------------------------

QUOTE_EXAMPLE = 'title: "Appel : logement"'


def _yaml_error(name: str, front: str, error: yaml.YAMLError) -> CallError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if "end of stream" in str(getattr(error, "problem", "")) or "<stream end>" in str(getattr(error, "problem", "")):
        mark = getattr(error, "context_mark", None) or mark  # an unclosed quote or bracket: where it opened
    line = mark.line + FRONT_MATTER_LINE if mark else FRONT_MATTER_LINE
    source = front.splitlines()[mark.line] if mark and mark.line < len(front.splitlines()) else ""
    return CallError(name, "(en-tête)", f"YAML invalide : {_yaml_advice(error, source, mark)}", line=line)


def _quoted(source: str) -> str | None:
    """The line as it should read, its value between quotes (« body: "Département : Pas-de-Calais" »)."""
    match = re.match(r"^(\s*(?:-\s+)?[\w-]+:\s+)(.+?)\s*$", source)
    if not match or match[2].startswith(('"', "'")):
        return None
    value = match[2].replace('"', '\\"')
    return f'{match[1].strip()} "{value}"'


def _yaml_advice(error: yaml.YAMLError, source: str, mark) -> str:
    problem = str(getattr(error, "problem", "") or "")
    context = str(getattr(error, "context", "") or "")
    before = source[:mark.column] if mark else source
    if "'\\t'" in problem or "\t" in source[:len(source) - len(source.lstrip())]:
        return ("tabulation dans l'indentation : YAML n'admet que des espaces ; remplacez chaque tabulation par "
                "des espaces (deux par niveau)")
    if "mapping values are not allowed" in problem:
        if re.search(r":(\s|$)", before):
            return ("cette valeur contient « : » (deux-points suivi d'une espace), que YAML lit comme un nouveau "
                    f"champ. Mettez la valeur entre guillemets : {_quoted(source) or QUOTE_EXAMPLE}")
        return ("indentation incohérente : cette ligne est plus décalée que les champs de son bloc ; alignez-la "
                "sur eux (même nombre d'espaces en début de ligne)")
    if "sequence entries are not allowed" in problem:
        return ("une valeur ne peut pas commencer par « - » après « nom: » sur la même ligne : passez à la ligne "
                "pour une liste, ou mettez la valeur entre guillemets (« titre: \"- texte\" »)")
    if "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else ""
        return (f"une valeur ne peut pas commencer par « {char} » : mettez-la entre guillemets, par exemple "
                f"« contact: \"{char}exemple\" »")
    if "undefined alias" in problem or "while scanning an alias" in context or "while scanning an anchor" in context:
        return ("une valeur commençant par « * » ou « & » doit être mise entre guillemets "
                "(« note: \"* sous réserve\" »)")
    if "quoted scalar" in context:
        return ("guillemet non fermé : chaque valeur ouverte par « \" » ou « ' » doit se fermer sur le même "
                "caractère ; pour une apostrophe dans un texte entre apostrophes, doublez-la (« 'l''appel' »)")
    if "flow sequence" in context:
        return "crochet non fermé : une liste écrite « [a, b] » doit se fermer par « ] » sur la même ligne"
    if "flow mapping" in context:
        return "accolade non fermée : un bloc écrit « {a: b} » doit se fermer par « } »"
    if "block end" in problem and "'<scalar>'" in problem:
        return ("texte après des guillemets fermés : mettez toute la valeur entre les guillemets "
                f"({QUOTE_EXAMPLE})")
    if "block end" in problem or "expected key" in problem or "block mapping" in context or "block collection" in context:
        return ("indentation incohérente : les champs d'un même bloc doivent commencer à la même colonne, "
                "et les éléments d'une liste (« - ») être alignés entre eux ; utilisez des espaces")
    return ("en-tête illisible à cet endroit : vérifiez l'indentation (des espaces, alignés), les guillemets "
            f"et les crochets ; une valeur contenant « : » ou « # » se met entre guillemets ({QUOTE_EXAMPLE})")


# ---- what: pydantic's errors, in French -------------------------------------------------------------------------

DATE = "attendu AAAA-MM-JJ, par exemple 2025-05-09"
KEY_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
KEY_FORMAT = ("une clé s'écrit en minuscules non accentuées, chiffres et tirets (sans espace ni tiret au début ou à "
              "la fin), par exemple budget-previsionnel")
_PATTERNS = {  # by the schema's pattern, what the author may write
    KEY_PATTERN: KEY_FORMAT,
    r"^\d{9}$": "un SIREN s'écrit en 9 chiffres, sans espace, par exemple 226200014",
    r"^https?://": "une adresse web commence par https:// (ou http://)",
    r"^[0-9 +().]{6,25}$": "un numéro de téléphone s'écrit en chiffres, espaces, « + », « ( » « ) » et points, "
                           "par exemple 03 21 21 67 20",
    r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$": "une adresse électronique s'écrit nom@domaine.fr, sans espace",
}
_TERRITORY_FORMAT = ("un code de territoire s'écrit en majuscules, le niveau puis un tiret et le code officiel "
                     "(COG), par exemple DEP-62, COM-62498, EPCI-200044618, REG-32 ou PAYS-100")

_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu (les champs admis sont décrits dans docs/calls.md)",
    "date_from_datetime_parsing": f"date invalide « {{input}} » : {DATE}",
    "date_from_datetime_inexact": f"date attendue sans heure, reçu « {{input}} » : {DATE}",
    "date_parsing": f"date invalide « {{input}} » : {DATE}",
    "date_type": f"date invalide « {{input}} » : {DATE}",
    "uuid_parsing": "identifiant invalide « {input} » : attendu un UUID (par exemple produit par « uuidgen »)",
    "uuid_type": "identifiant invalide « {input} » : attendu un UUID (par exemple produit par « uuidgen »)",
    "uuid_version": "identifiant invalide « {input} » : attendu un UUID (par exemple produit par « uuidgen »)",
    "string_too_long": "texte trop long ({max_length} caractères au plus)",
    "string_too_short": "texte vide ou trop court ({min_length} caractères au moins)",
    "too_short": "liste trop courte : au moins {min_length} élément(s) attendu(s)",
    "too_long": "liste trop longue : {max_length} élément(s) au plus",
    "string_pattern_mismatch": "format invalide « {input} »",
    "string_type": "texte attendu, reçu « {input} » (mettez-le entre guillemets s'il ressemble à un nombre ou à "
                   "oui/non)",
    "string_sub_type": "texte attendu",
    "decimal_parsing": "nombre invalide « {input} » : écrivez les chiffres avec un point décimal (25493.66), sans "
                       "espace ni symbole € ou %",
    "decimal_type": "nombre attendu, reçu « {input} » : par exemple 25493.66",
    "finite_number": "nombre attendu, reçu « {input} » : par exemple 25493.66",
    "decimal_max_places": "{decimal_places} décimales au plus, reçu « {input} »",
    "decimal_max_digits": "nombre trop grand : {max_digits} chiffres au plus",
    "decimal_whole_digits": "nombre trop grand : {whole_digits} chiffres au plus avant la virgule",
    "int_parsing": "nombre entier attendu, reçu « {input} »",
    "int_parsing_size": "nombre entier trop grand, reçu « {input} »",
    "int_from_float": "nombre entier attendu, reçu « {input} »",
    "int_type": "nombre entier attendu, reçu « {input} »",
    "bool_parsing": "oui/non attendu : écrivez true (oui) ou false (non), reçu « {input} »",
    "bool_type": "oui/non attendu : écrivez true (oui) ou false (non), reçu « {input} »",
    "list_type": "liste attendue (lignes commençant par « - »)",
    "model_type": "bloc de champs attendu (lignes « nom: valeur » indentées sous ce champ)",
    "model_attributes_type": "bloc de champs attendu (lignes « nom: valeur » indentées sous ce champ)",
    "dict_type": "bloc de champs attendu (lignes « nom: valeur » indentées sous ce champ)",
    "greater_than": "doit être supérieur à {gt}, reçu « {input} »",
    "greater_than_equal": "doit être supérieur ou égal à {ge}, reçu « {input} »",
    "less_than": "doit être inférieur à {lt}, reçu « {input} »",
    "less_than_equal": "doit être inférieur ou égal à {le}, reçu « {input} »",
    "multiple_of": "doit être un multiple de {multiple_of}, reçu « {input} »",
}


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "bloc de champs"
    if isinstance(value, list):
        return "liste"
    return "" if value is None else str(value)


def _message(error: dict) -> str:
    kind = error["type"]
    context = {**error.get("ctx", {}), "input": _shown(error.get("input"))}
    if kind in ("enum", "literal_error"):
        expected = str(error["ctx"]["expected"]).replace(" or ", " ou ")
        return f"valeur « {context['input']} » non admise : choisissez parmi {expected}"
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"]).removeprefix("Assertion failed, ")
    if kind == "string_pattern_mismatch":
        pattern = str(context.get("pattern", ""))
        advice = _PATTERNS.get(pattern) or (_TERRITORY_FORMAT if "DEP" in pattern else None)
        if advice is None and error["loc"] and error["loc"][-1] == "key":
            advice = KEY_FORMAT
        return f"format invalide « {context['input']} » : {advice}" if advice else \
            f"format invalide « {context['input']} »"
    template = _MESSAGES.get(kind)
    if template is None:  # a check the schema did not use when this was written: French, with what was read
        return f"valeur non admise « {context['input']} » (voir docs/calls.md pour ce champ)"
    return template.format(**context)
