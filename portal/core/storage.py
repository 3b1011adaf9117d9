"""Where uploaded files live. Views and services see only this interface, so an object store can replace the
local filesystem later. Files are written in chunks (memory does not grow with size), hashed on the way,
under a generated name, and appear only once complete: temporary file, fsync, rename."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

from portal.core.files import sniff

CHUNK = 64 * 1024


class TooLarge(Exception):
    """The stream went past the allowed size; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int
    mime: str


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int) -> StoredFile: ...
    def put(self, key: str, stream: BinaryIO) -> StoredFile: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        return self._write(uuid.uuid4().hex, stream, max_bytes)

    def put(self, key: str, stream: BinaryIO) -> StoredFile:
        """Write a file under a key it already had elsewhere (restoring a backup), as completely as save()."""
        return self._write(key, stream, max_bytes=2**63)

    def _write(self, key: str, stream: BinaryIO, max_bytes: int) -> StoredFile:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{key}.part")
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


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def storage() -> Storage:
    return LocalStorage(Path(current_app.config["UPLOAD_DIR"]))
