"""Every text a WTForms form accepts has a largest length, checked on the server (Length adds the browser's
maxlength too, so the limit is announced): nothing typed or posted can store megabytes. The answers built from a
call file have their own limits (tests/applications/test_answer_limits.py)."""

import importlib
import pkgutil

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SearchField, StringField, TextAreaField
from wtforms.validators import Length

import portal

TEXT_FIELDS = (StringField, TextAreaField, EmailField, PasswordField, SearchField)


def every_form() -> list[type]:
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    found, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        # Forms built at request time from a call file (the review grid) are covered by their own tests.
        if form.__module__.startswith("portal.") and "<locals>" not in form.__qualname__:
            found.append(form)
    return found


def test_every_text_field_of_every_form_has_a_largest_length():
    missing = []
    for form in every_form():
        for name in dir(form):
            unbound = getattr(form, name, None)
            field_class = getattr(unbound, "field_class", None)
            if field_class not in TEXT_FIELDS:  # number and date fields parse what they get: no text is kept
                continue
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
            if not any(isinstance(v, Length) and v.max and v.max > 0 for v in validators):
                missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert len(every_form()) > 10
    assert missing == [], "text fields without Length(max=…): " + ", ".join(sorted(missing))
