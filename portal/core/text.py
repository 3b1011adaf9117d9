"""Text helpers: accent- and case-insensitive matching keys, safe redirect targets, French articles."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit


def fold(text: str) -> str:
    """Lower-case, without accents and with single spaces: « Équipes » and « equipes » match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    return re.sub(r"\s+", " ", stripped).strip()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def safe_next(target: str | None) -> str | None:
    """A redirect target from a query string or form, kept only if it is a path on this site.

    Judged as a browser will read it (WHATWG URL standard): it trims spaces and control characters at the ends,
    drops tab, line feed and carriage return anywhere, and takes a backslash for a slash, so « /<tab>/evil.example »
    leads to evil.example. Rather than repair such a target, refuse any that holds a control character, a space at
    an end or a backslash: no honest link of ours contains one, and a line break in a Location header is a 500."""
    if not target or target != target.strip() or "\\" in target:
        return None
    if any(unicodedata.category(character) == "Cc" for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# The head nouns of French public bodies that are feminine (« à la Région »); the others are taken as masculine
# (« au Département », « au Conseil départemental »). A name starting with a vowel is elided (« à l'État »).
_FEMININE = {"agence", "association", "banque", "caisse", "chambre", "collectivite", "commune", "communaute",
             "cour", "delegation", "direction", "federation", "fondation", "inspection", "maison", "mairie",
             "metropole", "mission", "mutualite", "prefecture", "region", "sous-prefecture", "ville"}
_SINGULAR_IN_S = {"fonds", "pays", "corps", "concours"}


def addressed_to(name: str) -> str:
    """« à » and the article of a body's name, contracted as French does: « au Département du Pas-de-Calais »,
    « à la Préfecture du Nord », « à l'État », « aux Services de l'État »; a name that carries its own article keeps
    it (« à La Poste », « au Département du Nord » for « Le Département du Nord »)."""
    name = name.strip()
    first, _, rest = name.partition(" ")
    article = fold(first)
    if article == "le" and rest:
        return f"au {rest}"
    if article == "les" and rest:
        return f"aux {rest}"
    if article == "la" or article.startswith("l'"):
        return f"à {name}"
    head = fold(first).rstrip(",")
    if head and head[0] in "aeiouy":
        return f"à l'{name}"
    if head.endswith(("s", "x")) and head not in _SINGULAR_IN_S:
        return f"aux {name}"
    return f"à la {name}" if head in _FEMININE else f"au {name}"
