"""What a person reads for a window: nothing on a one-window call (its key, often « unique », names it for the call
files only), its label otherwise, or its closing date when the call file gives it no label — never its key."""

from __future__ import annotations

import html
import re


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def read_in_calendar(client, call) -> str:
    """The events' titles and descriptions, as an agenda shows them (not their UIDs, which no one reads)."""
    calendar = client.get(f"/appels/{call.slug}/calendrier.ics").get_data(as_text=True).replace("\r\n ", "")
    return "\n".join(line for line in calendar.splitlines() if line.startswith(("SUMMARY", "DESCRIPTION")))


def test_a_one_window_call_shows_no_window_label_not_even_its_key(client, publish_call, clock):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09",
                                  "agreement_period": {"start": "2025-07-01", "end": "2026-06-30"}}])
    assert call.windows[0].display_label is None
    page = text(client.get(f"/appels/{call.slug}/"))
    assert "Fenêtre de candidature" in page and "du 1er juillet 2025 au 30 juin 2026" in page
    assert "unique" not in page.lower()
    assert "unique" not in read_in_calendar(client, call).lower()


def test_two_windows_show_their_labels_or_their_closing_date_never_their_keys(client, publish_call, clock):
    clock("2025-04-15 10:00:00")
    call = publish_call(windows=[{"key": "ami-1", "label": "Territoires AMI 1 (Lens-Hénin, Artois)",
                                  "opens_on": "2025-04-01", "closes_on": "2025-05-09"},
                                 {"key": "session-automne", "opens_on": "2025-09-01", "closes_on": "2025-10-03"}])
    assert [w.display_label for w in call.windows] == ["Territoires AMI 1 (Lens-Hénin, Artois)",
                                                       "Fenêtre clôturant le 3 octobre 2025"]
    page = text(client.get(f"/appels/{call.slug}/"))
    assert "Territoires AMI 1 (Lens-Hénin, Artois) : du 1er avril 2025" in page
    assert "Fenêtre clôturant le 3 octobre 2025 : du 1er septembre 2025" in page
    assert "session-automne" not in page and "ami-1" not in page
    assert "Clôture : Équipes mobiles de prévention des expulsions (Fenêtre clôturant le 3 octobre 2025)" in (
        read_in_calendar(client, call))
