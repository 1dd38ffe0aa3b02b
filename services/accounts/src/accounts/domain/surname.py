"""The surname check (DESIGN §5): compare after removing case, spaces and hyphens, folding ё to е.

"Мамин-Сибиряк" == "маминсибиряк" == "МАМИН СИБИРЯК"; "Ёлкин" == "елкин". Events carry only
`surname_digest`, never the surname.

The digest is a keyed MAC (HMAC-SHA-256 under a secret key, METERBOT_SURNAME_KEY): a reader of the
event log cannot test candidate surnames offline without the key. It is written
`hmac-sha256:<key id>:<hex>`, so the key that made it travels with it (rotation, see SurnameKeyring).
A bare 64-hex digest is the old unkeyed SHA-256, still matched until the registry is imported again
(a re-import under the current key yields a new AccountRegistered, which migrates the account)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

# Every dash (Unicode category Pd, as of Unicode 15: hyphen-minus, ‐ ‑ ‒ – — ―, ⸺, ﹘, － ...) plus the
# minus sign, the soft hyphen and zero-width characters people paste from documents. A unit test
# checks the Pd list against unicodedata.
DASHES = (
    "\u002d\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a\u2e3b"
    "\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
)
_INVISIBLE = "\u2212\u00ad\u200b\u200c\u200d\u2060\ufeff"
_DROP = str.maketrans("", "", DASHES + _INVISIBLE)


def normalize_surname(surname: str) -> str:
    """NFKC + casefold, without whitespace and dashes, ё -> е. Composed again after dropping, so that a
    mark left next to a letter by a dropped space ("е ̈") is folded too and the result is stable."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", surname).casefold())
    kept = unicodedata.normalize("NFC", "".join(folded.split()).translate(_DROP))
    return kept.replace("ё", "е")


def surname_digest(surname: str, *, key: bytes | None = None) -> str:
    """Hex SHA-256 of the normalised surname; with `key`, HMAC-SHA-256 (a secret key makes the digest
    useless for guessing surnames from a leaked event log)."""
    data = normalize_surname(surname).encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def surname_matches(surname: str, digest: str, *, key: bytes | None = None) -> bool:
    """Constant-time comparison of a typed surname with a stored digest."""
    return hmac.compare_digest(surname_digest(surname, key=key), digest)


SCHEME = "hmac-sha256"


@dataclass(frozen=True, repr=False)
class SurnameKeyring:
    """The current key (new digests) and previous ones (still matched, during a rotation).

    Rotation: make a new key with a new id the current one and move the old one to `previous`;
    import the registry again (every account gets a digest under the new key, because the digest
    differs); then drop the old key. Digests of an unknown key id never match."""

    key_id: str
    key: bytes
    previous: Mapping[str, bytes] = field(default_factory=dict)
    accept_unkeyed: bool = True  # bare SHA-256 digests from before keyed digests

    def __post_init__(self) -> None:
        if not self.key or ":" in self.key_id or not self.key_id:
            raise ValueError("a surname key needs a non-empty key and a key id without ':'")

    def __repr__(self) -> str:  # never print a key
        return f"SurnameKeyring(key_id={self.key_id!r}, previous={sorted(self.previous)!r})"

    def digest(self, surname: str) -> str:
        return f"{SCHEME}:{self.key_id}:{surname_digest(surname, key=self.key)}"

    def matches(self, surname: str, digest: str) -> bool:
        """Constant-time check of a typed surname against a stored digest of any accepted key."""
        scheme, _, rest = digest.partition(":")
        if scheme != SCHEME:
            return self.accept_unkeyed and surname_matches(surname, digest)
        key_id, _, mac = rest.partition(":")
        key = self.key if key_id == self.key_id else self.previous.get(key_id)
        return key is not None and surname_matches(surname, mac, key=key)
