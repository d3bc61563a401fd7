"""Bearer secrets and how they are kept: a token is shown once; only its SHA-256 is stored.

The one home of token hashing, for API tokens (store/api_tokens.py) and one-time invitation
tokens (directory/credentials.py) alike. A token carries 256 random bits, so a fast hash is
enough, and it allows an indexed lookup.
"""
from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
