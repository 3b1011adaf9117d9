"""Dates of a call that contradict each other: warnings, not errors (the file stays valid)."""

from __future__ import annotations

import yaml

from portal.catalog.loader import CallError
from portal.catalog.schema import CallSpec


def warnings(spec: CallSpec, root: yaml.Node | None = None, file: str = "") -> list[CallError]:
    return []
