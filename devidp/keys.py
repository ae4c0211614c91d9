"""The realm signing key: one RSA 2048 key shared by every realm of the embedded IdP.

Generated at first start and kept as a PKCS#8 PEM file (mode 0600) under ``data_dir/idp``;
later starts load it, so tokens stay valid across restarts. The ``kid`` is the RFC 7638
JWK thumbprint of the public key. The key file is local state: never commit it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lokos import secretfiles

KEY_FILE_NAME = "signing-key.pem"
ALGORITHM = "RS256"


def _b64url_uint(value: int) -> str:
    length = max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode("ascii")


def public_jwk_members(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The required members of an RSA public JWK (``e``, ``kty``, ``n``)."""
    numbers = public_key.public_numbers()
    return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}


def jwk_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url without padding."""
    canonical = json.dumps(public_jwk_members(public_key), separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """The private key and its identifier."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    kid: str
    path: Path | None = None

    @classmethod
    def generate(cls, path: Path | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(private_key=key, kid=jwk_thumbprint(key.public_key()), path=path)

    @classmethod
    def from_pem(cls, pem: bytes, path: Path | None = None) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the IdP signing key must be an RSA private key")
        if key.key_size < 2048:
            raise ValueError("the IdP signing key must have at least 2048 bits")
        return cls(private_key=key, kid=jwk_thumbprint(key.public_key()), path=path)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )

    def public_jwk(self) -> dict[str, Any]:
        """The public key as published in the JWKS (as Keycloak does: kid, kty, alg, use, n, e)."""
        members = public_jwk_members(self.public_key)
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": ALGORITHM,
            "use": "sig",
            "n": members["n"],
            "e": members["e"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}


def load_or_create_signing_key(directory: Path) -> SigningKey:
    """Load ``directory/signing-key.pem``, or generate and store it (mode 0600) if missing.

    Two processes starting together end up with the same key (see :mod:`lokos.secretfiles`).
    """
    path = directory / KEY_FILE_NAME
    pem = secretfiles.read_or_create(path, lambda: SigningKey.generate(path).private_pem())
    return SigningKey.from_pem(pem, path)
