# Sourced by scripts/serve and scripts/test: create .venv and install the project when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  echo "Création de l'environnement Python (.venv)…"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${PORTAL_EXTRAS:-base}"
if [ ! -f "$stamp" ]; then
  echo "Installation des dépendances…"
  target="."
  [ -z "${PORTAL_EXTRAS:-}" ] || target=".[${PORTAL_EXTRAS}]"
  # Some machines list local package mirrors that do not exist; pip warns about each one: keep the rest.
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
  .venv/bin/python -m pip install --quiet -e "$target" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
