"""The portal as the fault tests serve it (`gunicorn tests.faults.server:app`): the real application, plus pauses a
test arms at run time so that its SIGKILL lands at a known instant. Test code only: production serves the portal
without any of this.

A test arms a pause by writing its name into `$PORTAL_FAULTS_DIR/armed`. The first request reaching that point
claims it (so a respawned worker does not pause again), writes its process id into `$PORTAL_FAULTS_DIR/paused` and
waits to be killed. The pauses:

- `store-write`: the upload store has created the temporary `.part` file and written the first chunk into it;
- `before-commit:<Model>`: everything of a transaction inserting a <Model> row is sent to the database (flushed),
  the commit is not: `before-commit:Version` is inside a deposit, `before-commit:ApplicationFile` after a file is
  complete in the store and before its row exists;
- `after-commit:<Model>`: that transaction is committed, the response is not sent yet."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import create_app
from portal.core.storage import LocalStorage, Receiving

FAULTS = Path(os.environ["PORTAL_FAULTS_DIR"])
ARMED, PAUSED = FAULTS / "armed", FAULTS / "paused"

app = create_app()


def pause_here(name: str) -> None:
    """If this pause is armed, claim it, tell the test which process stands here and wait to be killed."""
    try:
        if ARMED.read_text().strip() != name:
            return
        ARMED.rename(FAULTS / f"claimed-{os.getpid()}-{threading.get_ident()}")  # only one request claims it
    except FileNotFoundError:
        return
    written = FAULTS / f"paused-{os.getpid()}"
    written.write_text(f"{os.getpid()} {name}")
    written.rename(PAUSED)  # appears whole
    threading.Event().wait()


class _PausingStream:
    def __init__(self, stream) -> None:
        self.stream, self.reads = stream, 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads == 2:  # the first chunk is in the .part file
            pause_here("store-write")
        return self.stream.read(size)


_save = LocalStorage.save
# A file of a request body is written into the store as it arrives (core.storage.Receiving): it pauses at its
# second write; a copy into the store (a vault document) pauses at its second read.
LocalStorage.save = lambda self, stream, max_bytes: _save(
    self, stream if isinstance(stream, Receiving) else _PausingStream(stream), max_bytes)
_receive = Receiving.write


def _pausing_write(self, data) -> int:
    self.__dict__["writes"] = self.__dict__.get("writes", 0) + 1
    if self.__dict__["writes"] == 2:  # the first chunk is in the .part file
        pause_here("store-write")
    return _receive(self, data)


Receiving.write = _pausing_write


@event.listens_for(Session, "after_flush")
def _note_inserts(session, context) -> None:
    session.info.setdefault("inserted", set()).update(type(row).__name__ for row in session.new)


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    session.flush()  # every statement of the transaction has reached the database
    for name in session.info.get("inserted", ()):
        pause_here(f"before-commit:{name}")


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    for name in session.info.pop("inserted", ()):
        pause_here(f"after-commit:{name}")


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop("inserted", None)
