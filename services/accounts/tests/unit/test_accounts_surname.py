"""Surname check: case, spaces and hyphens do not matter, ё = е (DESIGN §5, seed 000)."""

from __future__ import annotations

import hashlib
import hmac
import sys
import unicodedata

import pytest
from accounts.domain import normalize_surname, surname_digest, surname_matches
from accounts.domain.surname import DASHES, SurnameKeyring
from accounts.settings import SurnameKeyMissing, SurnameKeySettings, surname_keyring
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "typed",
    [
        "Мамин-Сибиряк",
        "маминсибиряк",
        "МАМИН СИБИРЯК",
        "мамин – сибиряк",  # en dash
        "Мамин—Сибиряк",  # em dash
        "Мамин\u2011Сибиряк",  # non-breaking hyphen
        "Мамин\u2212Сибиряк",  # minus sign
        "  Мамин\u00a0Сибиряк\t",
    ],
)
def test_compound_surname_variants_are_equal(typed: str) -> None:
    assert normalize_surname(typed) == "маминсибиряк"
    assert surname_digest(typed) == surname_digest("Мамин-Сибиряк")


def test_yo_folds_to_ye_in_any_form() -> None:
    assert normalize_surname("Ёлкин") == normalize_surname("елкин") == "елкин"
    assert normalize_surname("Е\u0308лкин") == "елкин"  # decomposed Ё


def test_different_surnames_differ() -> None:
    assert surname_digest("Иванов") != surname_digest("Иванова")


def test_digest_is_sha256_hex_of_the_normalised_surname() -> None:
    assert surname_digest("Мамин-Сибиряк") == hashlib.sha256("маминсибиряк".encode()).hexdigest()


def test_keyed_digest_differs_and_still_matches_with_the_key() -> None:
    digest = surname_digest("Ёлкин", key=b"secret")
    assert digest != surname_digest("Ёлкин")
    assert surname_matches("елкин", digest, key=b"secret")
    assert not surname_matches("елкин", digest)


surname_text = st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяABCxyz", min_size=1, max_size=20)


@given(surname_text, st.lists(st.sampled_from([" ", "-", "–", "\u00a0"]), max_size=3), st.booleans())
def test_inserting_separators_or_changing_case_never_changes_the_digest(
    surname: str, separators: list[str], upper: bool
) -> None:
    noisy = "".join(separators) + (surname.upper() if upper else surname) + "".join(separators)
    assert surname_digest(noisy) == surname_digest(surname)


@given(st.text(max_size=30))
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_surname(text)
    assert normalize_surname(once) == once


def test_dash_list_covers_every_unicode_dash() -> None:
    pd = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"}
    assert pd <= set(DASHES)


KEY = b"k1-secret-0123456789-0123456789-01"
KEYRING = SurnameKeyring("k1", KEY)


def test_the_stored_digest_is_a_keyed_mac_that_names_its_key() -> None:
    # a reader of the events who guesses "маминсибиряк" cannot confirm it without the key
    digest = KEYRING.digest("Мамин-Сибиряк")
    assert digest.startswith("hmac-sha256:k1:")
    assert hashlib.sha256("маминсибиряк".encode()).hexdigest() not in digest
    assert digest == "hmac-sha256:k1:" + hmac.new(KEY, "маминсибиряк".encode(), "sha256").hexdigest()
    assert KEYRING.matches("мамин сибиряк", digest)
    assert not KEYRING.matches("Иванов", digest)
    assert not SurnameKeyring("k1", b"another-key-another-key-another-key").matches("маминсибиряк", digest)


def test_rotation_matches_digests_of_previous_keys_and_only_known_ones() -> None:
    old = KEYRING.digest("Ёлкина")
    rotated = SurnameKeyring("k2", b"k2-secret-0123456789-0123456789-01", previous={"k1": KEY})
    assert rotated.matches("елкина", old)
    assert rotated.digest("елкина") != old  # a re-import writes the new key's digest
    assert not SurnameKeyring("k2", b"k2-secret-0123456789-0123456789-01").matches("елкина", old)


def test_unkeyed_digests_from_before_match_until_switched_off() -> None:
    legacy = surname_digest("Иванов")
    assert KEYRING.matches("иванов", legacy)
    assert not SurnameKeyring("k1", KEY, accept_unkeyed=False).matches("иванов", legacy)


def test_the_keyring_never_prints_its_keys() -> None:
    assert "secret" not in repr(SurnameKeyring("k2", b"k2-secret-x" * 4, previous={"k1": KEY}))


def test_settings_refuse_without_a_key_and_take_the_secret_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METERBOT_SURNAME_KEY", raising=False)
    with pytest.raises(SurnameKeyMissing, match="METERBOT_SURNAME_KEY is not set: accounts refuses to start"):
        SurnameKeySettings().keyring()
    monkeypatch.setenv("METERBOT_SURNAME_KEY", "s" * 40)
    monkeypatch.setenv("METERBOT_SURNAME_KEY_ID", "2026a")
    monkeypatch.setenv("METERBOT_SURNAME_PREVIOUS_KEYS", "2025b:" + "p" * 40)
    ring = SurnameKeySettings().keyring()
    assert ring.digest("x").startswith("hmac-sha256:2026a:")
    assert ring.matches("x", SurnameKeyring("2025b", b"p" * 40).digest("x"))


def test_a_short_key_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERBOT_SURNAME_KEY", "tooshort-SECRETPART")
    with pytest.raises(SurnameKeyMissing) as refused:
        surname_keyring()
    assert "METERBOT_SURNAME_KEY" in str(refused.value) and "at least 32" in str(refused.value)
    assert "SECRETPART" not in str(refused.value)
