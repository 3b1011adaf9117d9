"""`portal calls check` and `portal calls sync`: precise French errors, idempotent publication, revisions."""

from pathlib import Path

import pytest

from portal.catalog.queries import get_call
from portal.catalog.services import sync_calls
from portal.config import ROOT
from portal.core.time import now
from tests.conftest import call_data


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_every_shipped_call_passes_the_check(cli):
    result = cli.invoke(args=["calls", "check", str(ROOT / "calls")])
    assert result.exit_code == 0, result.output
    assert "0 erreur(s)" in result.output
    assert len(list((ROOT / "calls").glob("*.md"))) >= 10


def test_broken_file_gets_one_french_message_per_error_and_fails(cli, write_call):
    data = call_data()
    del data["title"]
    data["windows"] = [{"key": "unique", "opens_on": "2025-05-10", "closes_on": "2025-05-01"},
                       {"key": "second", "opens_on": "2025-02-30", "closes_on": "2025-06-01"}]
    data["couleur"] = "rouge"
    path = write_call("appel-casse.md", data)

    result = cli.invoke(args=["calls", "check", str(path)])

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("appel-casse.md")]
    assert sorted(lines) == sorted([
        "appel-casse.md:2: title: champ obligatoire manquant",  # a missing key: its block's line
        "appel-casse.md:17: windows[1]: la clôture (2025-05-01) précède l'ouverture (2025-05-10)",
        "appel-casse.md:21: windows[2].opens_on: date invalide « 2025-02-30 » : attendu AAAA-MM-JJ, par exemple 2025-05-09",
        "appel-casse.md:23: couleur: champ inconnu (les champs admis sont décrits dans docs/calls.md)",
    ])


def test_unreadable_yaml_and_missing_front_matter_are_reported(cli, write_call):
    write_call("sans-entete.md", raw="Juste du texte, sans en-tête.\n")
    write_call("yaml-casse.md", raw="---\ntitle: [non fermé\n---\n## Texte\n\nAssez de texte ici.\n")
    result = cli.invoke(args=["calls", "check", str(write_call.folder)])
    assert result.exit_code == 1
    assert "sans-entete.md:1: (en-tête): le fichier doit commencer par un en-tête YAML" in result.output
    assert "yaml-casse.md:2: (en-tête): YAML invalide : crochet non fermé" in result.output


def test_same_id_in_two_files_is_refused(cli, write_call):
    data = call_data()
    write_call("premier.md", data)
    write_call("second.md", data)
    result = cli.invoke(args=["calls", "check", str(write_call.folder)])
    assert result.exit_code == 1
    assert "second.md:2: id: identifiant déjà utilisé par premier.md" in result.output


def test_sync_is_idempotent(app, write_call):
    write_call("equipes-mobiles.md", call_data())
    first = sync_calls([write_call.folder], now())
    second = sync_calls([write_call.folder], now())
    assert first.created == ["equipes-mobiles"] and second.unchanged == ["equipes-mobiles"]
    assert len(get_call("equipes-mobiles").revisions) == 1


def test_changed_call_keeps_a_revision_and_says_what_changed(app, client, clock, write_call):
    data = call_data()
    clock("2025-04-01 09:00")
    write_call("equipes-mobiles.md", data)
    sync_calls([write_call.folder], now())

    clock("2025-04-15 10:00")
    data["windows"][0]["closes_on"] = "2025-05-16"
    data["contacts"] = [{"name": "Amélie DELAVAL", "phone": "03 21 21 67 20"}]
    write_call("equipes-mobiles.md", data)
    report = sync_calls([write_call.folder], now())

    assert report.updated == ["equipes-mobiles"]
    call = get_call("equipes-mobiles")
    assert [r.number for r in call.revisions] == [1, 2]
    assert call.revisions[-1].changes == ["Dates et fenêtres de candidature", "Contacts"]
    page = client.get("/appels/equipes-mobiles/").get_data(as_text=True)
    assert "Mis à jour le 15 avril 2025" in page
    assert "Dates et fenêtres de candidature, Contacts" in page
    assert "16 mai 2025 à 23 h 59 (heure de Paris)" in page


def test_invalid_new_version_is_refused_and_previous_stays_published(app, client, write_call):
    data = call_data(title="Titre publié et valide")
    path = write_call("equipes-mobiles.md", data)
    sync_calls([write_call.folder], now())

    path.write_text(path.read_text().replace("closes_on: '2025-05-09'", "closes_on: '2025-13-40'"))
    report = sync_calls([write_call.folder], now())

    assert report.errors and report.errors[0].field == "windows[1].closes_on"
    assert client.get("/appels/equipes-mobiles/").status_code == 200
    call = get_call("equipes-mobiles")
    assert call.title == "Titre publié et valide" and len(call.revisions) == 1


def test_sync_command_exits_non_zero_when_a_file_is_refused(cli, write_call):
    write_call("bon.md", call_data())
    write_call("mauvais.md", call_data(kind="AAX"))
    result = cli.invoke(args=["calls", "sync", str(write_call.folder)])
    assert result.exit_code == 1
    assert "mauvais.md:3: kind: valeur « AAX » non admise" in result.output
    assert get_call("bon") is not None and get_call("mauvais") is None


def test_a_call_can_be_renamed_without_losing_its_history(app, write_call):
    data = call_data()
    write_call("ancien-nom.md", data)
    sync_calls([write_call.folder], now())
    Path(write_call.folder / "ancien-nom.md").rename(write_call.folder / "nouveau-nom.md")
    sync_calls([write_call.folder], now())
    assert get_call("ancien-nom") is None
    assert get_call("nouveau-nom").uuid.hex == data["id"].replace("-", "")
