"""A deposited version is a typed record: its files are rows (version_files) filled at the deposit, the same list
as its receipt states; versions deposited before those rows existed get theirs from their snapshot (migration
f2b4d6a8c0e1); and no other domain reads the snapshot itself."""

import pathlib
import re
from decimal import Decimal

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from portal.applications.models import VersionFile
from portal.extensions import db
from tests.applications.conftest import deposit, get_application, ready, start, upload
from tests.fakes.samples import pdf

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_version_lists_its_files_as_rows_with_the_amount_and_totals_typed(client, open_call, applicant, sign_in):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    upload(client, url, "annexes", pdf() + b"% annexe\n", "annexe.pdf")
    deposit(client, url)
    version = get_application(url).latest_version
    assert [(f.slot, f.name, f.size, f.sha256) for f in version.files] == [
        (item["slot"], item["name"], item["size"], item["sha256"]) for item in version.snapshot["files"]]
    assert version.file_ids == {f.id for f in get_application(url).current_files}
    assert version.amount_requested == Decimal("12000.00")
    assert version.budget_totals.charges == Decimal("15000.00") and version.budget_totals.balanced


@pytest.mark.real_commits  # migrations run on their own connection
def test_versions_deposited_before_the_rows_existed_get_them_from_their_snapshot(client, open_call, applicant,
                                                                                  sign_in):
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    expected = [(f.slot, f.name, f.size, f.sha256, f.format, f.application_file_id)
                for f in get_application(url).latest_version.files]
    db.session.remove()
    directory = str(ROOT / "migrations")
    downgrade(directory=directory, revision="e9a3c5b7d1f4")  # the table goes, the snapshots stay
    upgrade(directory=directory)  # the table comes back, copied from the snapshots
    rows = db.session.scalars(select(VersionFile).order_by(VersionFile.position)).all()
    assert [(f.slot, f.name, f.size, f.sha256, f.format, f.application_file_id) for f in rows] == expected


def test_no_domain_but_applications_reads_a_versions_snapshot():
    readers = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if "applications" in path.relative_to(ROOT / "portal").parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"(version|latest_version|found)\.snapshot\b", line):
                readers.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.parent.name == "applications":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bversion\.snapshot\b", line):
                readers.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert readers == []
