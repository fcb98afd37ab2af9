"""Random bearer tokens: only their SHA-256 is stored, lookups compare in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, token: str) -> bool:
    """Constant-time comparison of a stored hash with a presented token."""
    return hmac.compare_digest(stored, token_hash(token))
