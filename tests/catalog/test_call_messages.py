"""The call file's checking: every problem in French, at its line (whole file, « --- » is line 1) and field."""

import re

import pytest
import yaml
from pydantic import ValidationError

from portal.catalog import loader
from portal.catalog.schema import CallSpec
from portal.config import ROOT
from tests.conftest import call_data

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
    # The advice is her own line, quoted.
    assert "guillemets" in error.message and 'body: "Département : Pas-de-Calais"' in error.message


def test_tabs_and_bad_indentation_say_what_to_do():
    text = GOOD.replace("  body: Département du Pas-de-Calais", "\tbody: Département du Pas-de-Calais")
    [error] = loader.load_text("appel.md", text).errors
    assert "tabulation" in error.message and error.line == line_of(text, "\tbody")
    text = GOOD.replace("    closes_on: 2025-05-09", "   closes_on: 2025-05-09")
    [error] = loader.load_text("appel.md", text).errors
    assert "indentation" in error.message.lower() or "alignement" in error.message.lower()
    assert error.line in (line_of(text, "closes_on") - 1, line_of(text, "closes_on"))


def test_a_key_format_error_names_the_allowed_characters(write_call):
    data = call_data(required_documents=[{"key": "Budget prévisionnel", "label": "Budget"}])
    [error] = loader.load(write_call("appel.md", data)).errors
    assert error.field == "required_documents[1].key"
    assert error.message == ("format invalide « Budget prévisionnel » : une clé s'écrit en minuscules non accentuées, "
                             "chiffres et tirets (sans espace ni tiret au début ou à la fin), par exemple "
                             "budget-previsionnel")


ENGLISH = re.compile(r"\b(should|input|field|valid|required|expected|string|integer|instance|unable|allowed|"
                     r"error|must|not|got|greater|less|characters?|items?)\b", re.I)

# One bad file per pydantic check the schema uses; each override is applied to a valid call.
BAD = [
    ("missing", {"title": None}),
    ("extra_forbidden", {"couleur": "rouge"}),
    ("date_from_datetime_inexact", {"published_on": "2025-04-01 10:00"}),
    ("date_from_datetime_parsing", {"published_on": "2025-02-30"}),
    ("date_type", {"published_on": True}),
    ("uuid_parsing", {"id": "abc"}),
    ("uuid_type", {"id": 5}),
    ("string_type", {"title": 2025}),
    ("string_too_short", {"title": "abc"}),
    ("string_too_long", {"title": "x" * 300}),
    ("string_pattern_mismatch", {"issuer": {"body": "Département du Pas-de-Calais", "siren": "2262 00014"}}),
    ("too_short", {"territories": []}),
    ("list_type", {"themes": "logement"}),
    ("model_type", {"issuer": "Département"}),
    ("dict_type", {"selection_criteria": [{"key": "a", "label": "A", "scale": {"labels": "bas"}}]}),
    ("enum", {"kind": "AAX"}),
    ("literal_error", {"required_documents": [{"key": "a", "label": "A", "formats": ["doc"]}]}),
    ("decimal_parsing", {"funding": {"envelope": "25 000 €"}}),
    ("decimal_type", {"funding": {"envelope": True}}),
    ("decimal_max_places", {"funding": {"envelope": "1.234"}}),
    ("decimal_max_digits", {"funding": {"envelope": "1234567890123456"}}),
    ("finite_number", {"funding": {"envelope": "NaN"}}),
    ("greater_than_equal", {"funding": {"envelope": "-1"}}),
    ("greater_than", {"selection_criteria": [{"key": "a", "label": "A", "weight": 0}]}),
    ("less_than_equal", {"selection_years": 11}),
    ("int_parsing", {"selection_years": "deux"}),
    ("int_from_float", {"selection_years": 2.5}),
    ("int_type", {"selection_years": [2]}),
    ("bool_parsing", {"grouped_applications": "peut-être"}),
    ("bool_type", {"grouped_applications": [1]}),
    ("value_error", {"windows": [{"key": "a", "opens_on": "2025-05-10", "closes_on": "2025-05-01"}]}),
]


@pytest.mark.parametrize(("kind", "overrides"), BAD, ids=[kind for kind, _ in BAD])
def test_every_schema_check_speaks_french(kind, overrides):
    data = call_data()
    for name, value in overrides.items():
        if value is None:
            del data[name]
        else:
            data[name] = value
    try:
        CallSpec.model_validate(data)
    except ValidationError as raised:
        details = raised.errors()
    else:
        pytest.fail(f"{kind}: the file was accepted")
    assert kind in {d["type"] for d in details}
    for detail in details:
        message = loader._message(detail)
        assert not ENGLISH.search(message), f"{detail['type']}: {message}"
        assert detail["msg"] not in message
    text = "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n## Contexte\n\nUn texte suffisant.\n"
    errors = loader.load_text("appel.md", text).errors
    assert errors and all(e.line is not None and not ENGLISH.search(e.message) for e in errors)


def test_every_type_pydantic_may_raise_for_this_schema_has_a_french_sentence():
    assert {kind for kind, _ in BAD} - {"value_error"} <= set(loader._MESSAGES) | {"enum", "literal_error",
                                                                                  "string_pattern_mismatch"}
    unknown = loader._message({"type": "url_scheme", "loc": ("x",), "msg": "URL scheme should be 'http'",
                               "input": "ftp://a"})
    assert not ENGLISH.search(unknown) and "ftp://a" in unknown


def with_dates(**dates) -> str:
    text = GOOD.replace("---\n## Contexte", "".join(f"{k}: {v}\n" for k, v in dates.items()) + "---\n## Contexte")
    return text


def test_dates_that_contradict_each_other_are_warned_about_at_their_line():
    text = with_dates(published_on="2025-06-01", selection_date="2025-05-01", start_date="2025-04-15")
    text = text.replace("---\n## Contexte", "milestones:\n  - date: 2025-03-01\n    label: Réunion d'information\n"
                                           "---\n## Contexte")
    result = loader.load_text("appel.md", text)
    assert result.valid and result.errors == []  # warnings do not make the file invalid
    found = {(w.field, w.line): w.message for w in result.warnings}
    assert found == {
        ("published_on", line_of(text, "published_on")):
            "la publication (1er juin 2025) est postérieure à la clôture de la fenêtre « unique » (9 mai 2025)",
        ("selection_date", line_of(text, "selection_date")):
            "la sélection (1er mai 2025) précède la clôture de la fenêtre « unique » (9 mai 2025)",
        ("start_date", line_of(text, "start_date")):
            "le démarrage (15 avril 2025) précède la sélection (1er mai 2025)",
        ("milestones[1]", line_of(text, "- date: 2025-03-01")):
            "la date clé « Réunion d'information » (1er mars 2025) précède la publication (1er juin 2025)",
    }
    assert all(isinstance(w, loader.CallError) for w in result.warnings)
    text = with_dates(published_on="2025-04-10")
    [warning] = loader.load_text("appel.md", text).warnings
    assert (warning.field, warning.line) == ("windows[1].opens_on", line_of(text, "opens_on"))
    assert warning.message == ("la fenêtre « unique » ouvre (1er avril 2025) avant la publication de l'appel "
                               "(10 avril 2025)")


def test_dates_in_order_and_the_shipped_calls_raise_no_warning_without_a_reason():
    text = with_dates(published_on="2025-03-20", selection_date="2025-06-15", start_date="2025-09-01")
    assert loader.load_text("appel.md", text).warnings == []
    for path in sorted((ROOT / "calls").glob("*.md")):
        for warning in loader.load(path).warnings:
            assert warning.line and warning.message, path.name


def test_coherence_works_on_a_spec_alone():
    from portal.catalog import coherence

    spec = loader.load_text("appel.md", with_dates(selection_date="2025-05-01")).spec
    [warning] = coherence.warnings(spec)
    assert warning.field == "selection_date" and warning.line is None


def test_the_check_command_prints_lines_and_warnings(app, write_call):
    (write_call.folder / "appel-date.md").write_text(with_dates(selection_date="2025-05-01"), encoding="utf-8")
    broken = GOOD.replace("closes_on: 2025-05-09", "closes_on: 2025-02-30")
    (write_call.folder / "appel-casse.md").write_text(broken, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calls", "check", str(write_call.folder)])
    assert result.exit_code == 1
    assert (f"appel-casse.md:{line_of(broken, 'closes_on')}: windows[1].closes_on: date invalide « 2025-02-30 »"
            in result.output)
    assert (f"appel-date.md:{line_of(with_dates(selection_date='2025-05-01'), 'selection_date')}: avertissement : "
            "selection_date: la sélection (1er mai 2025) précède la clôture" in result.output)
    assert "2 fichier(s) vérifié(s), 1 invalide(s), 1 erreur(s), 1 avertissement(s)." in result.output


def test_warnings_alone_do_not_fail_the_check(app, write_call):
    (write_call.folder / "appel-date.md").write_text(with_dates(selection_date="2025-05-01"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["calls", "check", str(write_call.folder)])
    assert result.exit_code == 0, result.output
    assert "avertissement" in result.output and "0 erreur(s), 1 avertissement(s)" in result.output


def test_a_key_written_twice_is_an_error_at_its_second_line():
    text = GOOD.replace("kind: AAP\n", "kind: AAP\ntitle: Un premier titre oublié là\n")
    [error] = loader.load_text("appel.md", text).errors
    assert (error.field, error.line) == ("title", line_of(text, "title: Équipes"))
    assert error.message == (f"champ écrit deux fois (déjà ligne {line_of(text, 'title: Un premier')}) : YAML ne "
                             "garderait que le dernier ; supprimez l'un des deux")


GUIDE = (ROOT / "docs" / "calls.md").read_text(encoding="utf-8")


def read_value(value: str):
    return yaml.load(f"a: {value}\n", Loader=loader._Loader)["a"]  # noqa: S506 - the loader's SafeLoader


def test_the_guide_says_when_to_quote_and_it_is_true():
    assert "## Quand mettre des guillemets" in GUIDE
    assert read_value("01000") == 512 and read_value('"01000"') == "01000"
    assert read_value("12:30") == 750 and read_value("yes") is True and read_value("Non") == "Non"
    assert read_value("Appel n° 3 #logement") == "Appel n° 3"  # the end is lost without an error
    assert read_value("2025-05-09") == "2025-05-09" and read_value("25493.66") == "25493.66"
    assert read_value("2.10") == "2.10" and read_value("123456789") == 123456789


def test_the_guide_says_which_markdown_is_kept_and_it_is_true():
    from portal.core.markdown import render

    assert "## Le Markdown autorisé" in GUIDE and "## Déclaration sur l'honneur : pièce à déposer ou case à cocher" in GUIDE
    html = render("1<sup>er</sup> <span style='color:red'>rouge</span> ![plan](https://a.fr/p.png) ~~barré~~ "
                  "[lien](https://a.fr) <script>alert(1)</script>")
    assert "<sup>er</sup>" in html and "rouge" in html and "<span" not in html and "style" not in html
    assert "<img" not in html and "plan" not in html and "~~barré~~" in html and "alert" not in html
    assert '<a href="https://a.fr" rel="noopener noreferrer">lien</a>' in html


def test_a_period_or_a_recurring_milestone_still_running_at_publication_is_no_contradiction():
    milestones = ("milestones:\n"
                  "  - {date: 2025-05-20, ends_on: 2025-06-10, label: Auditions}\n"
                  "  - {date: 2024-07-01, recurrence: yearly, label: Bilan annuel}\n"
                  "  - {date: 2023-07-01, recurrence: yearly, until: 2024-07-01, label: Ancien bilan}\n")
    text = with_dates(published_on="2025-06-01").replace("opens_on: 2025-04-01", "opens_on: 2025-06-01")
    text = text.replace("closes_on: 2025-05-09", "closes_on: 2025-07-09").replace("---\n## Contexte",
                                                                                 milestones + "---\n## Contexte")
    result = loader.load_text("appel.md", text)
    assert result.errors == []
    assert [(w.field, w.message) for w in result.warnings] == [
        ("milestones[3]", "la date clé « Ancien bilan » (1er juillet 2024) précède la publication (1er juin 2025)")]


def test_a_file_saved_with_a_byte_order_mark_or_windows_line_ends_reads_the_same():
    plain = loader.load_text("appel.md", GOOD)
    for text in ("\ufeff" + GOOD, GOOD.replace("\n", "\r\n")):
        result = loader.load_text("appel.md", text)
        assert result.valid and result.spec == plain.spec and result.body == plain.body
    broken = "\ufeff" + GOOD.replace("closes_on: 2025-05-09", "closes_on: 2025-02-30")
    [error] = loader.load_text("appel.md", broken).errors
    assert error.line == line_of(broken, "closes_on")
