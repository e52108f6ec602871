"""Envelope encryption of personal data: a data key per participant, sealed by a master key.

Erasure deletes the sealed data key (crypto-shredding): the ciphertext left in
backups or replicas can then never be read again. The participant id is bound as
associated data, so a ciphertext cannot be moved onto another person.
"""

import base64
import json
import os
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mile_intake.identity import derive_identity_key

_NONCE = 12


class Keyring:
    def __init__(self, master_key_b64: str) -> None:
        key = base64.urlsafe_b64decode(master_key_b64)
        if len(key) != 32:
            raise ValueError("master key must be 32 bytes (urlsafe base64)")
        self._master = AESGCM(key)
        self.identity_key = derive_identity_key(key)  # for duplicate checks, never for encryption

    def new_data_key(self, participant_id: uuid.UUID) -> tuple[bytes, bytes]:
        """A fresh data key and its sealed form to store."""
        data_key = AESGCM.generate_key(bit_length=256)
        return data_key, _seal(self._master, data_key, participant_id)

    def open_data_key(self, wrapped: bytes, participant_id: uuid.UUID) -> bytes:
        return _open(self._master, wrapped, participant_id)


def encrypt_json(data_key: bytes, value: dict[str, Any], participant_id: uuid.UUID) -> bytes:
    return _seal(AESGCM(data_key), json.dumps(value, default=str).encode(), participant_id)


def decrypt_json(data_key: bytes, sealed: bytes, participant_id: uuid.UUID) -> dict[str, Any]:
    return json.loads(_open(AESGCM(data_key), sealed, participant_id))


def _seal(aead: AESGCM, plaintext: bytes, participant_id: uuid.UUID) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + aead.encrypt(nonce, plaintext, participant_id.bytes)


def _open(aead: AESGCM, sealed: bytes, participant_id: uuid.UUID) -> bytes:
    return aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], participant_id.bytes)
