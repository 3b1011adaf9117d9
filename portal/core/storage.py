"""Where uploaded files live. Views and services see only this interface, so an object store can replace the
local filesystem later. Files are written in chunks (memory does not grow with size), hashed on the way,
under a generated name, and appear only once complete: temporary file, fsync, rename.

A row keeps a file alive by naming its key in a column called `storage_key`: `portal storage gc` (storage_gc.py)
removes every file no such column names."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Response, current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.files import sniff

CHUNK = 64 * 1024
_KEY = re.compile(r"[0-9a-f]{32}")


class TooLarge(Exception):
    """The stream went past the allowed size; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int
    mime: str


@dataclass(frozen=True)
class StoredEntry:
    """A file as it lies in the store: complete under its key, or the temporary file of a save in progress (or of
    one a crash interrupted). `modified_at` comes from the store's clock, not the portal's."""

    key: str
    size: int
    modified_at: dt.datetime
    temporary: bool


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int) -> StoredFile: ...
    def put(self, key: str, stream: BinaryIO) -> StoredFile: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def entries(self) -> Iterator[StoredEntry]: ...
    def discard(self, entry: StoredEntry) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.root / key[:2] / key

    def _temporary_path(self, key: str) -> Path:
        return self._path(key).with_name(f".{key}.part")

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        if isinstance(stream, Receiving) and stream.can_be_kept_by(self):
            return stream.keep(self._path(stream.key), max_bytes)
        return self._write(uuid.uuid4().hex, stream, max_bytes)

    def receive(self) -> Receiving:
        """A file of a request body, written by the form parser straight into this store (core/request_body.py)."""
        key = uuid.uuid4().hex
        return Receiving(self.root, key, self._temporary_path(key))

    def put(self, key: str, stream: BinaryIO) -> StoredFile:
        """Write a file under a key it already had elsewhere (restoring a backup), as completely as save()."""
        return self._write(key, stream, max_bytes=2**63)

    def _write(self, key: str, stream: BinaryIO, max_bytes: int) -> StoredFile:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._temporary_path(key)
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(temporary, "xb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
            _fsync_dir(final.parent)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, sha256=digest.hexdigest(), size=size, mime=sniff(head) if head else "")

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        for path in self.root.glob("*/*"):
            if not path.name.startswith("."):
                yield path.name

    def entries(self) -> Iterator[StoredEntry]:
        """Every file this store wrote, finished or not; anything else found under the root is not ours and is
        never listed (so never removed)."""
        for path in self.root.glob("*/*"):
            temporary = path.name.startswith(".") and path.name.endswith(".part")
            key = path.name[1:-len(".part")] if temporary else path.name
            if not _KEY.fullmatch(key) or path.parent.name != key[:2]:
                continue
            try:
                info = path.stat()
            except FileNotFoundError:  # renamed or removed since listed: a save finished, or another gc
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            yield StoredEntry(key=key, size=info.st_size, temporary=temporary,
                              modified_at=dt.datetime.fromtimestamp(info.st_mtime, dt.UTC))

    def discard(self, entry: StoredEntry) -> None:
        (self._temporary_path(entry.key) if entry.temporary else self._path(entry.key)).unlink(missing_ok=True)


class Receiving:
    """An uploaded file arriving: the form parser writes it to the store's temporary file for a new key, hashed on
    the way, instead of to a temporary folder from which save() read it back to write it again (issue 18). save()
    then keeps it as a complete file (fsync, rename, fsync of the folder) without copying; a file never kept is
    removed when the request closes its files, or when this object is collected, and a crash leaves a temporary
    file that `portal storage gc` removes after its grace period. Reads, seeks and the rest are the file's own."""

    def __init__(self, root: Path, key: str, temporary: Path) -> None:
        temporary.parent.mkdir(parents=True, exist_ok=True)
        self.root, self.key, self.temporary = root, key, temporary
        self.file = open(temporary, "xb+")  # noqa: SIM115 - closed by close() or the finalizer
        self.digest, self.size, self.head, self.kept = hashlib.sha256(), 0, b"", False
        self.failed: OSError | None = None
        self._discard = weakref.finalize(self, _discard, self.file, temporary)

    def write(self, data: bytes) -> int:
        if self.failed is not None:
            return len(data)
        try:
            written = self.file.write(data)
        except OSError as error:
            # The store's disk is full while the body arrives: the rest of the body is still read (the request
            # must reach its view), and saving the file raises this error there, where the person is told why at
            # the field (core.outages), as when the store filled up during save().
            self.failed = error
            self._discard()
            self.file = _Unreadable(error)
            return len(data)
        if len(self.head) < 8192:
            self.head += bytes(data[: 8192 - len(self.head)])
        self.digest.update(data)
        self.size += len(data)
        return written

    def __getattr__(self, name: str):
        return getattr(self.file, name)

    def __iter__(self):
        return iter(self.file)

    def can_be_kept_by(self, store: LocalStorage) -> bool:
        return not self.kept and store.root == self.root and (self.failed is not None or not self.file.closed)

    def keep(self, final: Path, max_bytes: int) -> StoredFile:
        if self.failed is not None:
            raise self.failed
        if self.size > max_bytes:
            raise TooLarge()
        self.file.flush()
        os.fsync(self.file.fileno())
        os.replace(self.temporary, final)
        self.kept = True
        self._discard.detach()
        _fsync_dir(final.parent)
        self.file.seek(0)
        return StoredFile(key=self.key, sha256=self.digest.hexdigest(), size=self.size,
                          mime=sniff(self.head) if self.head else "")

    def close(self) -> None:
        if self.kept or self.failed is not None:
            self.file.close()
        else:
            self._discard()


class _Unreadable:
    """What a file whose writing failed reads as: the same error at every read (the parser still rewinds it)."""

    closed = True

    def __init__(self, error: OSError) -> None:
        self.error = error

    def __getattr__(self, name: str):
        raise self.error

    def seek(self, *args) -> int:
        return 0

    def close(self) -> None:
        pass


def _discard(file, temporary: Path) -> None:
    file.close()
    temporary.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def storage() -> Storage:
    return LocalStorage(Path(current_app.config["UPLOAD_DIR"]))


def send_stored(key: str, name: str, mime: str) -> Response:
    """A stored file as a download: always an attachment (never shown in the portal's own pages), under its checked
    name and type, never kept by a cache (max_age 0; core.security adds no-store behind sign-in)."""
    return send_file(storage().open(key), as_attachment=True, download_name=name, mimetype=mime, max_age=0)


_DROPPED = "storage_keys_dropped"


def delete_after_commit(key: str) -> None:
    """Delete a stored file once the transaction that removed its row commits, never if it rolls back: deleted
    before, a rolled-back removal would leave a row naming nothing."""
    from portal.extensions import db

    db.session().info.setdefault(_DROPPED, []).append(key)


@event.listens_for(Session, "after_commit")
def _delete_dropped(session: Session) -> None:
    for key in session.info.pop(_DROPPED, []):
        storage().delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _keep_dropped(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the use case's transaction, not a savepoint inside it
        session.info.pop(_DROPPED, None)
