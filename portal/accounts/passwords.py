"""Password hashing (argon2id) and the rules a new password must meet.

Hashes are made by argon2-cffi with its recommended parameters (RFC 9106's second choice: t = 3, 64 MiB, 4 lanes)
and verified, when libsodium supports their parameters, by libsodium (PyNaCl): the same argon2id, the same hash
strings, computed with the widest vector instructions the processor has (AVX2, AVX-512), chosen at run time,
where argon2-cffi's wheels carry a build for SSE2 only. A sign-in's verification then costs half the CPU (80 ms
instead of 165 ms on the benchmarks' machine, docs/BENCHMARKS.md, issue 18) for the same work an attacker's
guess costs: the parameters, not the implementation, make a guess expensive."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

import nacl.exceptions
import nacl.pwhash.argon2id as sodium_argon2id
from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    if not password_hash.isascii():  # no argon2 hash is; argon2-cffi would raise UnicodeEncodeError
        return False
    try:
        if _sodium_verifies(password_hash):
            return sodium_argon2id.verify(password_hash.encode("ascii"), password.encode("utf-8"))
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, nacl.exceptions.CryptoError):
        return False


def _sodium_verifies(password_hash: str) -> bool:
    """Whether libsodium can check this hash: argon2id version 1.3 with a salt of 8 bytes or more and an output of
    16 or more (its own minimums; argon2-cffi checks the others, such as the shortest test parameters)."""
    parameters = extract_parameters(password_hash)  # InvalidHashError for a string that is no argon2 hash
    return (parameters.type is Type.ID and parameters.version == 19 and parameters.salt_len >= 8
            and parameters.hash_len >= 16)


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
