"""Signed grade attestations for banks (Ed25519, ``cryptography``).

An attestation is a small JSON document (subject, grade, rating id, bank, issue time) signed
with the platform's lending key. A bank verifies it offline with the public key from
``GET /api/v1/lending/attestations/public-key``. The key pair is derived from ``SECRET_KEY``
with HKDF (info ``creditvillage-lending-attestation``): rotating the secret rotates the key, and
``key_id`` (the first 16 hex digits of the public key's SHA-256) names it. See ADR 0031.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"creditvillage-lending-attestation"


@lru_cache(maxsize=4)
def _private_key(secret: str) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret.encode())
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.SECRET_KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_info() -> dict[str, str]:
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"alg": "Ed25519", "key_id": hashlib.sha256(raw).hexdigest()[:16], "public_key": _b64(raw)}


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any]) -> dict[str, Any]:
    info = public_key_info()
    body = {**payload, "key_id": info["key_id"]}
    return {"payload": body, "signature": _b64(private_key().sign(canonical(body))), "alg": "Ed25519"}


def verify(document: dict[str, Any], public_key: str) -> bool:
    """Whether ``document`` (``{"payload", "signature"}``) was signed by the key ``public_key`` (base64url)."""
    try:
        key = Ed25519PublicKey.from_public_bytes(_unb64(public_key))
        key.verify(_unb64(str(document["signature"])), canonical(dict(document["payload"])))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True
