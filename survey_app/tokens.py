"""Invitation tokens: random, shown once, stored only as a keyed hash (HMAC-SHA256).

A keyed hash rather than a plain one: with a plain hash, whoever reads the database could test a guessed or
leaked token; without the key (kept outside the database) the stored hashes are useless.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app

#: 128 random bits, URL-safe base64 without padding (22 characters).
TOKEN_BYTES = 16
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str, key: str | None = None) -> str:
    secret = key if key is not None else current_app.config["TOKEN_HASH_KEY"]
    return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


def looks_like_token(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None
