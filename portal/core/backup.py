"""A consistent copy of the database and of the upload store while the portal runs, and bringing it back.

Files in the store are never modified once written: a file is complete on disk (temporary file, fsync, rename)
before the row naming it commits. So a database snapshot taken first, then the files it names copied afterwards,
gives a backup where every referenced file is present. One thing breaks that order: a file is deleted after the
commit that stops naming it (a vault document removed, `portal storage gc`). Hence the store is copied once
before the snapshot too (then only files newer than that copy can vanish), and should one of those vanish before
its copy, the snapshot is taken again, keeping every file already copied. Files the final snapshot does not name
(orphans, deleted documents) are left out.

Every column named `storage_key` names a file of the store (the store's own convention), next to its `sha256`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.core.storage import storage
from portal.core.storage_gc import referenced_files
from portal.extensions import db

MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
FILES = "uploads"
ATTEMPTS = 5
DONE = "backup.done"  # the audit entry of a verified backup: core.health reads the last one
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in French for the person running it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Report:
    kind: str
    revision: str | None
    files: int = 0
    bytes: int = 0
    attempts: int = 1
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Snapshot:
    revision: str | None
    referenced: dict[str, str | None]  # storage key -> the SHA-256 its row recorded


# ---- backup ---------------------------------------------------------------------------------------------------

def backup(dest: Path) -> Report:
    """Copy the database, then every file it names, into the new folder `dest`, with a manifest; then verify it."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"Le dossier {dest} n'est pas vide : indiquez un nouveau dossier pour chaque sauvegarde.")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)  # personal data: readable by the portal's account only
    kind = database_kind()
    copied: dict[str, tuple[int, str]] = {}

    def copy_referenced(keys: Iterable[str]) -> list[str]:
        return [key for key in sorted(keys) if not _copy_in(key, dest, copied)]

    attempt = 0
    while True:
        attempt += 1
        _copy_store(dest, copied)
        snapshot, vanished = _dump(kind, dest / DATABASE_FILES[kind], copy_referenced)
        if not vanished:
            break
        if attempt == ATTEMPTS:
            raise BackupError(f"Des fichiers ont disparu du stockage pendant chacune des {ATTEMPTS} tentatives "
                              f"({', '.join(vanished[:5])}…) : la sauvegarde n'est pas cohérente, relancez-la.")
    for stale in set(copied) - set(snapshot.referenced):  # unnamed (orphans), or deleted before the snapshot
        _backup_path(dest, stale).unlink()
        del copied[stale]
    report = Report(kind=kind, revision=snapshot.revision, files=len(copied),
                    bytes=sum(size for size, _ in copied.values()), attempts=attempt)
    report.problems += [f"fichier {key} : son contenu ne correspond plus à l'empreinte enregistrée en base "
                        f"({recorded}), le fichier du stockage est altéré"
                        for key, recorded in sorted(snapshot.referenced.items())
                        if recorded and copied[key][1] != recorded]
    _write_manifest(dest, kind, snapshot.revision, copied)
    report.problems += verify(dest)
    return report


def database_kind(url: str | None = None) -> str:
    backend = sa.engine.make_url(url or current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if backend not in DATABASE_FILES:
        raise BackupError(f"Base de données « {backend} » non prise en charge : SQLite ou PostgreSQL seulement.")
    return backend


def _copy_store(dest: Path, copied: dict[str, tuple[int, str]]) -> None:
    """Copy the whole store ahead of the snapshot (`keys()` lists finished files only, never `.part` ones): a file
    copied before the snapshot can no longer be lost to a deletion after it, so only the few files written
    between this listing and the snapshot remain to copy afterwards."""
    finished = storage().keys()
    for key in finished:
        _copy_in(key, dest, copied)


def _dump(kind: str, target: Path, copy_referenced: Callable[[Iterable[str]], list[str]]
          ) -> tuple[Snapshot, list[str]]:
    """Copy the database as of one instant into `target`, and the files that instant names; return what it names
    and the files that had vanished before they could be copied."""
    target.unlink(missing_ok=True)
    if kind == "sqlite":
        # SQLite's online backup API copies a consistent state of the database while others read and write it.
        with _sqlite(_sqlite_path(), read_only=True) as source, _sqlite(target) as copy:
            source.backup(copy)
        engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                snapshot = _snapshot_of(connection)
        finally:
            engine.dispose()
        return snapshot, copy_referenced(snapshot.referenced)
    # PostgreSQL: this transaction's snapshot is exported, the files it names are copied at once, then pg_dump
    # reads that very snapshot however long it takes.
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
            connection.begin():
        exported = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        snapshot = _snapshot_of(connection)
        vanished = copy_referenced(snapshot.referenced)
        if not vanished:
            _run("pg_dump", "--format=custom", "--no-owner", f"--snapshot={exported}", f"--file={target}")
        return snapshot, vanished


def _snapshot_of(connection: sa.Connection) -> Snapshot:
    revision = None
    if sa.inspect(connection).has_table("alembic_version"):
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return Snapshot(revision=revision, referenced=referenced_files(connection))


def _copy_in(key: str, dest: Path, copied: dict[str, tuple[int, str]]) -> bool:
    """Copy one file of the store into the backup, hashing it on the way; False if it no longer exists."""
    if key in copied:
        return True
    target = _backup_path(dest, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with storage().open(key) as source, open(target, "wb") as out:
            digest, size = hashlib.sha256(), 0
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        return False
    copied[key] = (size, digest.hexdigest())
    return True


def _write_manifest(dest: Path, kind: str, revision: str | None, copied: dict[str, tuple[int, str]]) -> None:
    database = dest / DATABASE_FILES[kind]
    manifest = {
        "format": 1,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),  # the machine's clock: a file date
        "portal_version": metadata.version("portal"),
        "alembic_revision": revision,
        "database": {"kind": kind, "file": database.name, "size": database.stat().st_size,
                     "sha256": _sha256(database)},
        "files": {key: {"size": size, "sha256": sha} for key, (size, sha) in sorted(copied.items())},
    }
    # Written last, through a rename: a folder with a manifest is a complete backup.
    temporary = dest / f".{MANIFEST}.part"
    temporary.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    os.replace(temporary, dest / MANIFEST)


# ---- verify ---------------------------------------------------------------------------------------------------

def read_manifest(src: Path) -> dict:
    try:
        return json.loads((Path(src) / MANIFEST).read_text())
    except FileNotFoundError as missing:
        raise BackupError(f"{src} n'est pas une sauvegarde complète : le fichier {MANIFEST} manque "
                          "(sauvegarde interrompue, ou mauvais dossier).") from missing


def verify(src: Path) -> list[str]:
    """Every problem found by comparing the backup with its manifest (sizes and SHA-256); empty when intact."""
    src = Path(src)
    manifest = read_manifest(src)
    problems = []
    database = manifest["database"]
    if _sha256_or_none(src / database["file"]) != database["sha256"]:
        problems.append(f"base de données {database['file']} : absente ou altérée")
    for key, expected in manifest["files"].items():
        path = _backup_path(src, key)
        if _sha256_or_none(path) != expected["sha256"] or path.stat().st_size != expected["size"]:
            problems.append(f"fichier {key} : absent ou altéré")
    return problems


# ---- restore --------------------------------------------------------------------------------------------------

def restore(src: Path, force: bool = False) -> dict:
    """Bring a verified backup into this instance's database and upload store; refuse to overwrite data unless
    `force`. Returns the manifest."""
    src = Path(src)
    manifest = read_manifest(src)
    kind, target = manifest["database"]["kind"], database_kind()
    if kind != target:
        raise BackupError(f"Cette sauvegarde vient d'une base {KIND_NAMES[kind]} : elle ne se restaure que dans une "
                          f"base {KIND_NAMES[kind]}, or PORTAL_DATABASE_URL désigne une base {KIND_NAMES[target]}.")
    problems = verify(src)
    if problems:
        raise BackupError("La sauvegarde est altérée, rien n'a été restauré : " + " ; ".join(problems[:10]))
    store = storage()
    if not force:
        if _has_rows():
            raise BackupError("La base de données cible contient déjà des données : rien n'a été restauré. "
                              "Ajoutez --force pour les remplacer par la sauvegarde.")
        if next(iter(store.keys()), None) is not None:
            raise BackupError(f"Le dossier des fichiers déposés ({current_app.config['UPLOAD_DIR']}) n'est pas vide : "
                              "rien n'a été restauré. Ajoutez --force pour restaurer quand même.")
    # Files first: should the restore stop halfway, no restored row names a missing file.
    for key, expected in manifest["files"].items():
        with open(_backup_path(src, key), "rb") as source:
            written = store.put(key, source)
        if written.sha256 != expected["sha256"]:
            raise BackupError(f"fichier {key} : la copie restaurée ne correspond pas à la sauvegarde.")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold a lock on what is about to be replaced
    backup_file = src / manifest["database"]["file"]
    if kind == "sqlite":
        target_path = Path(_sqlite_path())
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with _sqlite(backup_file, read_only=True) as source, _sqlite(target_path) as copy:
            source.backup(copy)
    else:
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", str(backup_file))
    return manifest


def _has_rows() -> bool:
    with db.engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            if table != "alembic_version" and connection.execute(
                    sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)).first():
                return True
    return False


# ---- helpers --------------------------------------------------------------------------------------------------

def _backup_path(root: Path, key: str) -> Path:
    if not key.isalnum():
        raise BackupError(f"Nom de fichier invalide dans la sauvegarde : {key!r}")
    return root / FILES / key[:2] / key


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return _sha256(path)
    except FileNotFoundError:
        return None


def _sqlite_path() -> str:
    return sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database


class _sqlite:
    """A plain sqlite3 connection that is closed on exit (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.connection = (sqlite3.connect(f"file:{path}?mode=ro", uri=True) if read_only
                           else sqlite3.connect(path))

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _run(program: str, *arguments: str) -> None:
    """pg_dump or pg_restore on this instance's database; the password goes through the environment, not `ps`."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} est introuvable : installez le paquet postgresql-client, de la même version "
                          "majeure que le serveur PostgreSQL ou plus récente.")
    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([executable, *arguments, f"--dbname={libpq}"], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{program} a échoué (code {result.returncode}) : {result.stderr.strip()}")
