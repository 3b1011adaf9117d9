"""The follow-up's settings: every FOLLOWUP_* value the code reads has its default in portal/config.py, read from a
PORTAL_FOLLOWUP_* environment variable, and a line in docs/deploy.md; the daily jobs are in the deployment guide."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from portal.config import Config

ROOT = Path(__file__).resolve().parents[2]


def _read_by_the_code() -> set[str]:
    names = set()
    for path in (ROOT / "portal").rglob("*.py"):
        if path.name == "config.py":
            continue
        names |= set(re.findall(r"""config(?:\.get\(|\[)\s*["'](FOLLOWUP_[A-Z_]+)["']""", path.read_text("utf-8")))
    return names


def test_every_followup_setting_has_a_default_and_a_line_in_the_deployment_guide():
    read = _read_by_the_code()
    assert {"FOLLOWUP_GAP_THRESHOLD_PERCENT", "FOLLOWUP_SIGNATURE_REMINDER_DAYS"} <= read
    defaults = Config({})
    guide = (ROOT / "docs" / "deploy.md").read_text("utf-8")
    for name in sorted(read):
        assert hasattr(defaults, name), f"{name}: no default in portal/config.py"
        assert f"| `PORTAL_{name}` |" in guide, f"PORTAL_{name}: no line in docs/deploy.md"


def test_the_defaults_and_the_environment():
    defaults = Config({})
    assert Decimal(15) == defaults.FOLLOWUP_GAP_THRESHOLD_PERCENT
    assert defaults.FOLLOWUP_SIGNATURE_REMINDER_DAYS == 15
    chosen = Config({"PORTAL_FOLLOWUP_GAP_THRESHOLD_PERCENT": "12,5", "PORTAL_FOLLOWUP_SIGNATURE_REMINDER_DAYS": "10"})
    assert Decimal("12.5") == chosen.FOLLOWUP_GAP_THRESHOLD_PERCENT
    assert chosen.FOLLOWUP_SIGNATURE_REMINDER_DAYS == 10


def test_the_followup_daily_jobs_are_in_the_deployment_guide():
    guide = (ROOT / "docs" / "deploy.md").read_text("utf-8")
    for job in ("followup remind-conventions", "followup remind-reports", "followup payments-due"):
        assert f"{job}|" in guide and f"portalctl {job}" in guide and f"| `portal {job}` |" in guide, job
