"""Dependencies run one way: followup → reviews → applications → catalog, accounts → core (see the architecture
guide)."""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

ALLOWED = {
    "core": {"core"},
    "catalog": {"core", "catalog"},
    "accounts": {"core", "accounts"},
    "applications": {"core", "catalog", "accounts", "applications"},
    "reviews": {"core", "catalog", "accounts", "applications", "reviews"},
    "followup": {"core", "catalog", "accounts", "applications", "reviews", "followup"},
}
SHARED = {"extensions", "config"}  # created once, bound in create_app: any domain may use them
PRIVATE = {"views", "forms", "cli"}  # never reached from another domain


def imports_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return [name for name in found if name.startswith("portal.")]


def violations(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if len(parts) < 2 or parts[0] not in ALLOWED:
            continue  # composition roots (create_app, cli, demo, pages) may import any domain
        domain = parts[0]
        for name in imports_of(path):
            target = name.split(".")
            if target[1] in SHARED:
                continue
            if target[1] not in ALLOWED[domain]:
                problems.append(f"{path.relative_to(root)} imports {name}")
            elif target[1] != domain and len(target) > 2 and target[2] in PRIVATE:
                problems.append(f"{path.relative_to(root)} reaches into {name}")
    return sorted(set(problems))


def test_dependencies_run_one_way():
    assert violations(PORTAL) == []


def test_the_checker_catches_a_wrong_way_import(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text("from portal.catalog.models import Call\n")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "bad.py").write_text("import portal.applications.services\n")
    (tmp_path / "applications").mkdir()
    (tmp_path / "applications" / "bad.py").write_text("from portal.catalog.views import index\n")
    assert violations(tmp_path) == [
        "applications/bad.py reaches into portal.catalog.views",
        "applications/bad.py reaches into portal.catalog.views.index",
        "catalog/bad.py imports portal.applications.services",
        "core/bad.py imports portal.catalog.models",
        "core/bad.py imports portal.catalog.models.Call",
    ]


# Templates obey the same boundaries: a template of a domain links (url_for), includes, extends and imports only
# templates and endpoints of the domains its own may import, and uses only their Jinja globals and filters. A
# downstream domain adds to an upstream page through a slot (portal/core/hooks.py, docs/architecture.md).
TEMPLATES = PORTAL.parent / "templates"
# "frame" is the page every domain extends (base.html, macros/, errors/, pages/): core's, but it shows the
# catalogue's and the accounts' public doors (the calls, the feeds, sign-in, « Mon compte »). "root" is the
# composition roots (portal/__init__.py's siblings admin.py, cli.py, demo.py), which may reach every domain.
TEMPLATE_ALLOWED = {
    "core": {"core"},
    "frame": {"core", "frame", "catalog", "accounts"},
    "catalog": {"core", "frame", "catalog"},
    "accounts": {"core", "frame", "accounts"},
    "applications": {"core", "frame", "catalog", "accounts", "applications"},
    "reviews": {"core", "frame", "catalog", "accounts", "applications", "reviews"},
    "followup": {"core", "frame", "catalog", "accounts", "applications", "reviews", "followup"},
    "root": {"core", "frame", "catalog", "accounts", "applications", "reviews", "followup", "root"},
}
FRAME = {"base.html", "macros", "errors", "pages"}
# The shared folders' files, by the domain that renders them.
MAIL = {"account_exists": "accounts", "confirm_email": "accounts", "invitation": "accounts", "reset_password": "accounts",
        "alert_confirm": "catalog", "alert_digest": "catalog",
        "draft_reminder": "applications", "partner_invitation": "applications", "pieces_request": "applications",
        "receipt": "applications", "message_waiting": "applications", "call_changed": "applications",
        "decision": "reviews", "decision_change": "reviews", "review_reminder": "reviews",
        "convention_sent": "followup", "convention_reminder": "followup", "amendment_sent": "followup",
        "report_reminder_before": "followup", "report_reminder_after": "followup", "report_extension": "followup"}


def template_owner(name: str) -> str | None:
    parts = name.split("/")
    if parts[0] in FRAME:
        return "frame"
    if parts[0] == "pdf":  # pdf/base.html is core/pdf.py's page; the letters and the minutes are the reviews'
        return "core" if parts[1] == "base.html" else "reviews"
    if parts[0] == "mail":
        return MAIL.get(parts[1].split(".")[0])
    if parts[0] == "admin":
        return "root"
    return parts[0] if parts[0] in ALLOWED else None


def module_owner(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    if parts[0] in ALLOWED:
        return parts[0]
    return {"pages.py": "frame", "__init__.py": "core"}.get(parts[0], "root")  # create_app gives site_name only


def _name_given(call: ast.Call, position: int) -> str | None:
    given = call.args[position] if len(call.args) > position else next(
        (k.value for k in call.keywords if k.arg == "name"), None)
    return given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else None


def registry(root: Path) -> dict[str, dict[str, str]]:
    """Which domain declares each blueprint, Jinja global and filter, read from the portal's sources."""
    found: dict[str, dict[str, str]] = {"blueprint": {}, "global": {}, "filter": {}}
    for path in sorted(root.rglob("*.py")):
        owner = module_owner(path, root)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if callee == "Blueprint" and (name := _name_given(node, 0)):
                    found["blueprint"][name] = owner
                for kind in ("global", "filter"):
                    if callee == f"add_template_{kind}" and node.args:
                        first = node.args[0]
                        name = _name_given(node, 1) or getattr(first, "attr", None) or getattr(first, "id", None)
                        found[kind][name] = owner
            if isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    word = getattr(target, "attr", getattr(target, "id", ""))
                    for kind in ("global", "filter"):
                        if word in (f"template_{kind}", f"app_template_{kind}"):
                            named = _name_given(decorator, 0) if isinstance(decorator, ast.Call) else None
                            found[kind][named or node.name] = owner
                    if word in ("context_processor", "app_context_processor"):
                        for returned in ast.walk(node):
                            if isinstance(returned, ast.Return) and isinstance(returned.value, ast.Dict):
                                for key in returned.value.keys:
                                    if isinstance(key, ast.Constant):
                                        found["global"][key.value] = owner
    return found


def template_violations(name: str, source: str, known: dict[str, dict[str, str]]) -> list[str]:
    """Every reference of the template `name` to a domain its own may not reach, as « file:line … »."""
    from jinja2 import Environment, nodes

    owner = template_owner(name)
    if owner is None:
        return [f"templates/{name}: no owner (give its folder or name a domain in tests/test_architecture.py)"]
    allowed = TEMPLATE_ALLOWED[owner]
    tree = Environment().parse(source)
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    problems = []

    def check(node, target_owner, what):
        if target_owner is None:
            problems.append(f"templates/{name}:{node.lineno} ({owner}) {what}, of no known domain")
        elif target_owner not in allowed:
            problems.append(f"templates/{name}:{node.lineno} ({owner}) {what}, of {target_owner}: "
                            f"let {target_owner} contribute through a slot (portal/core/hooks.py)")

    for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
        if isinstance(node.template, nodes.Const):
            verb = {"Include": "includes", "Extends": "extends"}.get(type(node).__name__, "imports")
            check(node, template_owner(node.template.value), f"{verb} {node.template.value}")
    for node in tree.find_all(nodes.Call):
        if isinstance(node.node, nodes.Name) and node.node.name == "url_for" and node.args \
                and isinstance(node.args[0], nodes.Const):
            endpoint = node.args[0].value
            if endpoint != "static" and not endpoint.startswith("."):
                check(node, known["blueprint"].get(endpoint.split(".")[0]), f"links to {endpoint}")
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in known["global"] and node.name not in local:
            check(node, known["global"][node.name], f"uses the global {node.name}")
    for node in tree.find_all(nodes.Filter):
        if node.name in known["filter"]:
            check(node, known["filter"][node.name], f"uses the filter {node.name}")
    return problems


def all_template_violations(templates: Path, root: Path) -> list[str]:
    known = registry(root)
    return sorted(problem for path in sorted(templates.rglob("*.*")) if path.suffix in (".html", ".txt")
                  for problem in template_violations(path.relative_to(templates).as_posix(), path.read_text(), known))


def test_templates_cross_domains_one_way_only():
    assert all_template_violations(TEMPLATES, PORTAL) == []


def test_the_checker_catches_a_template_crossing_upwards():
    known = registry(PORTAL)
    assert known["blueprint"]["selection"] == "reviews" and known["global"]["decisions_published"] == "reviews"
    fake = ("{% extends \"base.html\" %}\n"
            "{% block content %}<a href=\"{{ url_for('selection.ranking', slug=call.slug) }}\">Classement</a>\n"
            "{% include \"applications/_apply.html\" ignore missing %}\n"
            "{% if decisions_published(application) %}{{ call.uuid|uuid }}{% endif %}{% endblock %}\n")
    assert template_violations("catalog/fake.html", fake, known) == [
        "templates/catalog/fake.html:3 (catalog) includes applications/_apply.html, of applications: "
        "let applications contribute through a slot (portal/core/hooks.py)",
        "templates/catalog/fake.html:2 (catalog) links to selection.ranking, of reviews: "
        "let reviews contribute through a slot (portal/core/hooks.py)",
        "templates/catalog/fake.html:4 (catalog) uses the global decisions_published, of reviews: "
        "let reviews contribute through a slot (portal/core/hooks.py)",
        "templates/catalog/fake.html:4 (catalog) uses the filter uuid, of applications: "
        "let applications contribute through a slot (portal/core/hooks.py)",
    ]
    # The same lines are fine in the reviews domain's templates, and a template that no rule owns is reported.
    assert template_violations("reviews/fake.html", fake, known) == []
    assert template_violations("stray.html", "", known) == [
        "templates/stray.html: no owner (give its folder or name a domain in tests/test_architecture.py)"]
