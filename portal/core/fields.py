"""Form fields the domains share: what a French user types, read as she typed it, refused in French."""

from __future__ import annotations

import datetime as dt

from wtforms import DateField


class FrenchDateField(DateField):
    """A date picker's « 2025-05-30 », or « 30/05/2025 » as typed where there is none; a French message otherwise.
    Left empty, the data is None (a DataRequired validator then says what is expected)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        for format_ in self.format:
            try:
                self.data = dt.datetime.strptime(text, format_).date()
                return
            except ValueError:
                continue
        raise ValueError("Indiquez une date valide, par exemple 30/05/2025.")
