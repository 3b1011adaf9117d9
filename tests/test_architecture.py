"""Dependencies run one way: reviews → applications → catalog, accounts → core (see the architecture guide)."""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

ALLOWED = {
    "core": {"core"},
    "catalog": {"core", "catalog"},
    "accounts": {"core", "accounts"},
    "applications": {"core", "catalog", "accounts", "applications"},
    "reviews": {"core", "catalog", "accounts", "applications", "reviews"},
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
