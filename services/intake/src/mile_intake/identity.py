"""Recognising a person registered twice without storing who they are.

The name and birth date are normalised (Unicode compatibility form, accents and case
folded, spaces collapsed) and hashed with HMAC-SHA256 under a key derived from the
master key: equal people give equal hashes, and the hash reveals nothing without the key.
"""

import hashlib
import hmac
import unicodedata
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"mile-intake identity hash v1"


def derive_identity_key(master_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master_key)


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.casefold().replace("-", " ").split())


def identity_hash(key: bytes, *, given_name: str, family_name: str, birth_date: date) -> bytes:
    text = "\x1f".join([normalise_name(given_name), normalise_name(family_name), birth_date.isoformat()])
    return hmac.new(key, text.encode(), hashlib.sha256).digest()
