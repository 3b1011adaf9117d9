"""A form that uploads a file, as every domain's views handle it: the service's refusal is shown beside the field
it names, and a full store beside the file, on the same page shown again (the one rule, not one copy per view)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from portal.core import outages, unit_of_work
from portal.core.errors import Refusal

T = TypeVar("T")


def store_from_form(form, store: Callable[[], T], *, file_field: str, fields: tuple[str, ...]) -> tuple[T | None, int | None]:
    """Run `store()`; return what it returned and None, or None and the status of the form shown again:
    - 422 for a Refusal at one of the form's `fields` (its message set as that field's only error). When the file
      was refused nothing was written but the audit of a virus found, which must stay: the request keeps it.
    - 507 when the store is full (the server's fault, said beside the file; the user's draft is intact).
    A Refusal about anything else (not found, forbidden, too late) is raised again for the view's handler."""
    try:
        return store(), None
    except Refusal as refused:
        if refused.field not in fields:
            raise
        if refused.field == file_field:
            unit_of_work.keep()
        getattr(form, refused.field).errors = [refused.message]
        return None, 422
    except OSError as error:  # disk_full_message raises again any other fault of the machine
        getattr(form, file_field).errors = [outages.disk_full_message(error)]
        return None, 507
