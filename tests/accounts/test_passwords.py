"""Password verification: libsodium checks the hashes it supports, argon2-cffi the others; either way a right
password is accepted and anything else refused, whatever the hash's parameters."""

from __future__ import annotations

import argon2
import pytest
from argon2 import PasswordHasher, Type, profiles

from portal.accounts import passwords
from tests.conftest import CHEAP_HASHING

PASSWORD = "une phrase de passe assez longue"

# The production parameters (argon2-cffi's recommended: t = 3, 64 MiB, 4 lanes), the suite's cheap ones, and two
# that libsodium cannot check (argon2-cffi's cheapest profile has a 4-byte output; argon2i is another variant).
PRODUCTION = PasswordHasher()
SUITE = PasswordHasher.from_parameters(CHEAP_HASHING)
SHORT_OUTPUT = PasswordHasher.from_parameters(profiles.CHEAPEST)
ARGON2I = PasswordHasher(type=Type.I, time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize("hasher", [PRODUCTION, SUITE, SHORT_OUTPUT, ARGON2I],
                         ids=["production", "suite", "short-output", "argon2i"])
def test_the_right_password_is_accepted_and_a_wrong_one_refused(hasher):
    stored = hasher.hash(PASSWORD)
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, PASSWORD + " ")
    assert not passwords.verify(stored, "")


def test_a_password_with_accents_is_checked_as_utf8_as_it_was_hashed():
    stored = PRODUCTION.hash("Équipe mobile ; prévention des expulsions")
    assert passwords.verify(stored, "Équipe mobile ; prévention des expulsions")
    assert not passwords.verify(stored, "Equipe mobile ; prevention des expulsions")


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=65536,t=3,p=4$abc",
                                    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$é"])
def test_a_damaged_hash_refuses_every_password(stored):
    assert not passwords.verify(stored, PASSWORD)


def test_production_hashes_are_verified_by_libsodium_not_by_argon2_cffi(monkeypatch):
    """The speed-up of issue 18: the hashes the portal makes go to libsodium's vectorised argon2id."""
    stored = PRODUCTION.hash(PASSWORD)

    def not_this_one(*args, **kwargs):
        raise AssertionError("argon2-cffi verified a hash libsodium supports")

    monkeypatch.setattr(argon2.PasswordHasher, "verify", not_this_one)
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, "autre chose")


def test_the_portal_still_hashes_with_the_recommended_parameters():
    """Verification changed library; what is stored did not. DUMMY_HASH is made when the module is imported, by the
    hasher production uses (before the suite swaps in its cheap one): argon2id, t = 3, 64 MiB, 4 lanes."""
    parameters = argon2.extract_parameters(passwords.DUMMY_HASH)
    assert (parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (
        Type.ID, 3, 65536, 4)
