"""Uploads written once, straight into the store, from a body asked of the server 1 MiB at a time, not 64 KiB.

Behind gunicorn, every read of `wsgi.input` copies what gunicorn holds beyond the bytes asked for into a new buffer
(gunicorn/http/unreader.py): it receives up to 1 MiB at once, so reading that back 64 KiB at a time copied each
received MiB about sixteen times over. For a 3 MB upload that was a few milliseconds of CPU, five times per deposit
(issue 18). The body is asked of the server 1 MiB at a time (_LargeReads) and given to werkzeug's parser in steps
below half of MAX_FORM_MEMORY_SIZE (500 000 bytes by default), which werkzeug holds each step to; memory stays
bounded (a few MiB per upload in flight) whatever the file's size. Each file part is written by the parser to the
store itself (PortalRequest._get_file_stream), not to a spooled temporary file."""

from __future__ import annotations

from flask import Flask, Request
from werkzeug.formparser import FormDataParser, MultiPartParser

from portal.core.storage import storage

STEP = 256 * 1024
READ = 1024 * 1024  # what is asked of the server at once (gunicorn receives up to as much in one go)


class _LargeStepFormDataParser(FormDataParser):
    def _parse_multipart(self, stream, mimetype, content_length, options):
        # werkzeug's own _parse_multipart (3.1), with the step given to the parser.
        limit = self.max_form_memory_size
        step = STEP if limit is None else max(64 * 1024, min(STEP, limit // 2))
        parser = MultiPartParser(stream_factory=self.stream_factory, max_form_memory_size=limit,
                                 max_form_parts=self.max_form_parts, cls=self.cls, buffer_size=step)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(_LargeReads(stream), boundary, content_length)
        return stream, form, files


class _LargeReads:
    """The body asked of the server 1 MiB at a time, handed to the parser in its smaller steps from memory: one
    large read leaves gunicorn nothing to copy over again, where each smaller one copied what it held beyond."""

    def __init__(self, stream) -> None:
        self.stream, self.held, self.position = stream, memoryview(b""), 0

    def read(self, size: int = -1) -> bytes | memoryview:
        if size is None or size < 0:
            rest, self.held, self.position = bytes(self.held[self.position:]), memoryview(b""), 0
            return rest + self.stream.read()
        if self.position >= len(self.held):
            self.held, self.position = memoryview(self.stream.read(max(size, READ))), 0
        # A view, not a copy: the parser appends it to its own buffer at once.
        piece = self.held[self.position:self.position + size]
        self.position += len(piece)
        return piece


class PortalRequest(Request):
    form_data_parser_class = _LargeStepFormDataParser

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        """A file part goes straight into the store (core/storage.Receiving), hashed on the way: written once, not
        spooled to a temporary folder, read back, hashed and written again."""
        receive = getattr(storage(), "receive", None)
        if receive is None:  # a store that cannot receive in place: werkzeug's spooled file, copied by save()
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        return receive()


def register(app: Flask) -> None:
    app.request_class = PortalRequest
