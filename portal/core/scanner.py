"""Antivirus scanning of uploaded files through clamd, behind an interface that a portal without ClamAV (a laptop,
the tests) fills with a scanner that says so. A scan never raises: the caller decides what "failed" means."""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol
from urllib.parse import urlsplit

from flask import current_app

CHUNK = 64 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanResult:
    status: Literal["clean", "infected", "failed", "not_scanned"]
    signature: str | None = None  # the virus name clamd reported, for "infected" only


class Scanner(Protocol):
    def scan(self, file: BinaryIO) -> ScanResult: ...


class NullScanner:
    """No antivirus configured: every file is recorded as not scanned, never as clean."""

    def scan(self, file: BinaryIO) -> ScanResult:
        return ScanResult("not_scanned")


class ClamdScanner:
    """Streams the file to clamd with INSTREAM (clamd(8)), so clamd needs no access to our upload folder."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        parts = urlsplit(address)
        if not ((parts.scheme == "tcp" and parts.hostname and parts.port) or (parts.scheme == "unix" and parts.path)):
            raise ValueError(f"clamd address must be tcp://host:port or unix:///path, not {address!r}")
        self.address, self.parts, self.timeout = address, parts, timeout

    def scan(self, file: BinaryIO) -> ScanResult:
        """The verdict on the whole file (read from its start, left rewound); "failed" when clamd cannot answer."""
        try:
            file.seek(0)
            with self._connect() as connection:
                connection.sendall(b"zINSTREAM\0")
                while chunk := file.read(CHUNK):
                    connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                connection.sendall(struct.pack(">I", 0))
                reply = _read_reply(connection)
        except OSError as error:  # refused, reset (clamd closes past StreamMaxLength), timed out
            log.warning("clamd at %s unreachable or interrupted: %s", self.address, error)
            return ScanResult("failed")
        finally:
            file.seek(0)
        return _verdict(reply, self.address)

    def ping(self) -> bool:
        """Whether clamd answers PING with PONG within the timeout (clamd(8)): the administrator's health panel."""
        try:
            with self._connect() as connection:
                connection.sendall(b"zPING\0")
                return _read_reply(connection) == "PONG"
        except OSError as error:
            log.warning("clamd at %s does not answer PING: %s", self.address, error)
            return False

    def _connect(self) -> socket.socket:
        if self.parts.scheme == "tcp":
            return socket.create_connection((self.parts.hostname, self.parts.port), timeout=self.timeout)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.settimeout(self.timeout)
            connection.connect(self.parts.path)
        except OSError:
            connection.close()
            raise
        return connection


def scanner() -> Scanner:
    url = current_app.config.get("CLAMD_URL")
    return ClamdScanner(url) if url else NullScanner()


def _read_reply(connection: socket.socket) -> str:
    """clamd answers one line ended by NUL (z-prefixed command), then closes; a silent close gives ""."""
    reply = b""
    while b"\0" not in reply and len(reply) < 4096:
        received = connection.recv(4096)
        if not received:
            break
        reply += received
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _verdict(reply: str, address: str) -> ScanResult:
    # Replies: "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR".
    if reply == "stream: OK":
        return ScanResult("clean")
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return ScanResult("infected", reply.removeprefix("stream: ").removesuffix(" FOUND"))
    log.warning("clamd at %s could not scan: %r", address, reply)
    return ScanResult("failed")
