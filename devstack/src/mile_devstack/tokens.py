"""Development tokens: a signing key kept in the state dir, its JWKS for the services, and tokens.

Services only ever see the public key set (``MILE_AUTH_JWKS_FILE``); the private key stays
in the state dir, readable by its owner only, and signs tokens for `mile-dev token`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_FILE = "dev-signing-key.pem"
JWKS_FILE = "jwks.json"
ISSUER = "mile-devstack"
AUDIENCE = "mile"


class DevIssuer:
    """Signs development tokens with the ES256 key in `state_dir` (created on first use)."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.key_path = state_dir / KEY_FILE
        self.jwks_path = state_dir / JWKS_FILE
        self._key = self._load_or_create()
        public = jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        self.kid = _thumbprint(public)
        self.jwks_path.write_text(json.dumps({"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}))

    def auth_env(self) -> dict[str, str]:
        """What a service needs to trust these tokens."""
        return {"MILE_AUTH_JWKS_FILE": str(self.jwks_path), "MILE_AUTH_ISSUER": ISSUER, "MILE_AUTH_AUDIENCE": AUDIENCE}

    def token(self, *, site: str, roles: Sequence[str], subject: str | None = None, ttl_s: int = 8 * 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"dev-{'-'.join(roles)}@{site}",
            "site": site,
            "roles": list(roles),
            "iat": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def _load_or_create(self) -> ec.EllipticCurvePrivateKey:
        try:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{self.key_path} is not an EC private key") from None
            return key
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        return key


def _thumbprint(public: dict[str, str]) -> str:
    """RFC 7638 thumbprint of the public key, so the key id changes with the key."""
    canonical = json.dumps({k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
