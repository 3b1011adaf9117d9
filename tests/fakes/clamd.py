"""A stand-in for clamd that speaks the real INSTREAM protocol on 127.0.0.1, so the scanner is tested over a socket
without ClamAV installed. It finds one "virus": the EICAR test string."""

from __future__ import annotations

import socketserver
import struct
import threading
from pathlib import Path

# Built in two halves so that an antivirus scanning this repository does not quarantine the test suite.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    """`with FakeClamd() as url:` serves tcp://127.0.0.1:PORT (or unix://PATH given `socket_path`); `silent=True`
    reads the stream, then hangs up without a word, as a dying clamd does. `received` counts the streamed bytes."""

    def __init__(self, *, silent: bool = False, socket_path: Path | None = None) -> None:
        self.silent = silent
        self.socket_path = socket_path
        self.received = 0
        self.commands: list[bytes] = []
        self._server: socketserver.BaseServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> str:
        if self.socket_path is None:
            self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
            host, port = self._server.server_address[:2]
            url = f"tcp://{host}:{port}"
        else:
            self._server = socketserver.ThreadingUnixStreamServer(str(self.socket_path), _Handler)
            url = f"unix://{self.socket_path}"
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return url

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        fake: FakeClamd = self.server.fake  # type: ignore[attr-defined]
        command = self._read_command()
        fake.commands.append(command)
        if command in (b"zPING", b"nPING"):
            self._answer(b"PONG")
            return
        if command not in (b"zINSTREAM", b"nINSTREAM"):
            self._answer(b"UNKNOWN COMMAND")
            return
        content = bytearray()
        while True:  # clamd(8): 4-byte big-endian length, then the data; a zero length ends the stream
            header = self.rfile.read(4)
            if len(header) < 4:
                return  # the client gave up mid-stream: clamd closes without answering
            (length,) = struct.unpack(">I", header)
            if length == 0:
                break
            content += self.rfile.read(length)
            fake.received += length
        if fake.silent:
            return
        self._answer(b"stream: Eicar-Test-Signature FOUND" if EICAR in content else b"stream: OK")

    def _read_command(self) -> bytes:
        command = b""
        while (byte := self.rfile.read(1)) not in (b"", b"\0", b"\n") and len(command) < 64:
            command += byte
        return command

    def _answer(self, line: bytes) -> None:
        self.wfile.write(line + b"\0")
        self.wfile.flush()
