"""One use case, one transaction. Services change rows, `flush()` and write their audit entry; they never commit.
The edge commits once:

- a request: once the view has answered, a POST (PUT, PATCH, DELETE) whose answer is below 400 commits; any other
  answer — an exception, a refusal (4xx), an error (5xx) — and every GET or HEAD roll back. So a use case refused
  half-way leaves nothing, the mail it queued in the outbox leaves nothing either, and a GET cannot write;
- a view that must keep a write while answering with a refusal (a failed sign-in counted against the rate limit)
  calls `keep()` first; so does the one kind of GET that writes, a link followed from an e-mail (confirming an
  address or an alert: a mail client can only follow a link);
- a CLI command or a job commits itself, once per unit it handles (a command that sends a hundred mails commits
  after each, so that one failure does not resend the others).

Files reach the store before their row is committed (an upload is streamed before the request ends): a rolled-back
request leaves a stored file without a row, which `portal storage gc` deletes after its grace period.

A new use case, then:

    def withdraw(application, reason, by, at):          # service: flush + audit, no commit
        application.status = ApplicationStatus.WITHDRAWN
        db.session.flush()
        audit.record("application.withdraw", by, application, {"reason": reason})

    @bp.post("/<uuid:application_id>/desister")          # view: no commit either; the request commits
    def withdraw_view(application_id):
        submission.withdraw(application, form.reason.data, current_user, time.now())
        return redirect(...)
"""

from __future__ import annotations

from flask import Flask, g, request

from portal.extensions import db

_WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def keep() -> None:
    """Commit this request's writes even though its answer is a refusal (4xx) or it is a GET (a link from a mail)."""
    g.unit_of_work_keep = True


def register(app: Flask) -> None:
    @app.after_request
    def _commit_or_roll_back(response):
        kept = g.pop("unit_of_work_keep", False)
        if response.status_code < 500 and (kept or request.method in _WRITING_METHODS and response.status_code < 400):
            db.session.commit()
        else:
            db.session.rollback()
        return response
