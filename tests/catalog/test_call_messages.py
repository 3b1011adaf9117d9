"""The call file's checking: every problem in French, at its line (whole file, « --- » is line 1) and field."""

from portal.catalog import loader
from portal.config import ROOT

GOOD = """---
id: 3f0c8a52-0b1e-4c59-9a52-6a3f1d2b7c10
kind: AAP
title: Équipes mobiles de prévention des expulsions
summary: Soutenir les équipes mobiles qui vont vers les ménages menacés d'expulsion.
issuer:
  body: Département du Pas-de-Calais
territories:
  - name: Pas-de-Calais
    code: DEP-62
carriers:
  types: [association]
windows:
  - key: unique
    opens_on: 2025-04-01
    closes_on: 2025-05-09
---
## Contexte

Un texte d'appel suffisant.
"""


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_load_text_equals_load_on_every_shipped_call():
    for path in sorted((ROOT / "calls").glob("*.md")):
        from_file = loader.load(path)
        from_text = loader.load_text(path.name, path.read_text(encoding="utf-8"))
        assert from_file.valid and from_text.valid, path.name
        assert from_text.spec == from_file.spec and from_text.body == from_file.body
        assert from_text.content_hash == from_file.content_hash and from_text.slug == from_file.slug


def test_a_valid_text_has_no_error_and_errors_carry_no_line_by_default():
    result = loader.load_text("equipes-mobiles.md", GOOD)
    assert result.valid and result.errors == [] and result.slug == "equipes-mobiles"
    assert str(loader.CallError("a.md", "id", "message")) == "a.md: id: message"
    assert str(loader.CallError("a.md", "id", "message", line=4)) == "a.md:4: id: message"


def test_a_nested_error_is_at_its_line():
    text = GOOD.replace("closes_on: 2025-05-09", "closes_on: 2025-02-30")
    [error] = loader.load_text("appel.md", text).errors
    assert error.field == "windows[1].closes_on" and error.line == line_of(text, "closes_on")
    assert str(error).startswith(f"appel.md:{error.line}: windows[1].closes_on: date invalide")


def test_a_missing_key_points_at_its_parent():
    text = GOOD.replace("    code: DEP-62\n", "").replace("  - name: Pas-de-Calais\n", "  - code: DEP-62\n")
    [error] = loader.load_text("appel.md", text).errors
    assert error.field == "territories[1].name" and error.message == "champ obligatoire manquant"
    assert error.line == line_of(text, "- code: DEP-62")
    text = GOOD.replace("title: Équipes mobiles de prévention des expulsions\n", "")
    [error] = loader.load_text("appel.md", text).errors
    assert error.field == "title" and error.line == 2  # the front-matter itself


def test_a_body_error_is_at_its_line_in_the_whole_file():
    text = GOOD + "\n# Un titre de niveau 1\n"
    [error] = loader.load_text("appel.md", text).errors
    assert error.line == line_of(text, "# Un titre") and error.field == "(texte)"
    assert "titre de niveau 1 interdit" in error.message


def test_a_value_with_a_colon_gets_the_advice_to_quote_it():
    text = GOOD.replace("  body: Département du Pas-de-Calais", "  body: Département : Pas-de-Calais")
    [error] = loader.load_text("appel.md", text).errors
    assert error.line == line_of(text, "body: Département")
    assert "guillemets" in error.message and 'titre: "Appel : logement"' in error.message


def test_tabs_and_bad_indentation_say_what_to_do():
    text = GOOD.replace("  body: Département du Pas-de-Calais", "\tbody: Département du Pas-de-Calais")
    [error] = loader.load_text("appel.md", text).errors
    assert "tabulation" in error.message and error.line == line_of(text, "\tbody")
    text = GOOD.replace("    closes_on: 2025-05-09", "   closes_on: 2025-05-09")
    [error] = loader.load_text("appel.md", text).errors
    assert "indentation" in error.message.lower() or "alignement" in error.message.lower()
    assert error.line in (line_of(text, "closes_on") - 1, line_of(text, "closes_on"))
