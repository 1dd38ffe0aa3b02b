"""The surname check (DESIGN §5): compare after removing case, spaces and hyphens, folding ё to е.

"Мамин-Сибиряк" == "маминсибиряк" == "МАМИН СИБИРЯК"; "Ёлкин" == "елкин". Events carry only
`surname_digest`, never the surname."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

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
