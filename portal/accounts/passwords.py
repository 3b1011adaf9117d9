"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of nothing, verified when the e-mail is unknown so that sign-in takes the same time either way.
DUMMY_HASH = _hasher.hash("compte-inexistant-pour-egaliser-le-temps")


@cache
def _common() -> frozenset[str]:
    with gzip.open(Path(__file__).parent / "data" / "common-passwords.txt.gz", "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines)


def password_problem(password: str, email: str = "") -> str | None:
    """A French message saying what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
    lowered = password.lower()
    # "motdepasse2024!" is as weak as "motdepasse": strip the digits and symbols people add at the end.
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    if lowered in _common() or not stem or stem in _common() or len(set(lowered)) < 4:
        return "Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase de plusieurs mots."
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "Le mot de passe ne doit pas contenir votre adresse électronique."
    return None
