"""Configuration: defaults, then the environment, then the mapping given to ``create_app`` (tests).

Environment variables:

==========================  ============================================================================
``DATABASE_URL``            SQLAlchemy URL; default SQLite ``instance/survey.db``. PostgreSQL:
                            ``postgresql+psycopg://user:password@host/db``.
``SECRET_KEY``              signs the session cookie; generated into ``instance/secret_key`` (0600)
                            when unset, so a development checkout never needs a secret in the repository.
``TOKEN_HASH_KEY``          key of the HMAC-SHA256 under which invitation tokens are stored; generated
                            into ``instance/token_hash_key`` when unset. Changing it invalidates every
                            issued invitation.
``RATELIMIT_STORAGE_URI``   Flask-Limiter storage; ``memory://`` (default, per process) or
                            ``redis://host:6379`` to share limits between app servers.
``OPEN_ACCESS_RATE_LIMIT``  limit on open-access submissions per client address; default ``10/minute``.
``INVITATION_RATE_LIMIT``   limit on invitation-page requests per client address; default ``300/minute``
                            (generous: an office behind one address shares it).
``RESUME_RATE_LIMIT``       limit on resume codes posted per client address; default ``10/minute``.
``PREFERRED_URL_SCHEME``    ``https`` in production: marks cookies ``Secure``.
``SURVEY_TIMEZONE``         time zone of submission dates and campaign open/close dates;
                            default ``Asia/Jakarta``.
``TRUSTED_PROXY_COUNT``     number of reverse proxies in front of the app whose ``X-Forwarded-*``
                            headers are trusted (``ProxyFix``); default 0.
``PUBLIC_BASE_URL``         where respondents reach the app (``https://survei.example.go.id``), used in
                            invitation links and posters; default: the host the admin is using.
``LOGIN_RATE_LIMIT``        limit on console login attempts per client address; default ``10/minute``.
``LOGIN_MAX_FAILURES``      wrong passwords in a row before a console account locks; default 5.
``LOGIN_LOCK_MINUTES``      how long it stays locked; default 15.
``ADMIN_SESSION_LIFETIME``  seconds a console login lasts; default 28800 (8 h).
``API_RATE_LIMIT``          limit on JSON API requests per client address; default ``120/minute``.
==========================  ============================================================================
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_KEYS = (
    "SECRET_KEY",
    "TOKEN_HASH_KEY",
    "RATELIMIT_STORAGE_URI",
    "OPEN_ACCESS_RATE_LIMIT",
    "INVITATION_RATE_LIMIT",
    "RESUME_RATE_LIMIT",
    "PREFERRED_URL_SCHEME",
    "SURVEY_TIMEZONE",
    "TRUSTED_PROXY_COUNT",
    "PUBLIC_BASE_URL",
    "LOGIN_RATE_LIMIT",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "ADMIN_SESSION_LIFETIME",
    "API_RATE_LIMIT",
)
#: Environment values that are whole numbers.
INTEGER_KEYS = ("TRUSTED_PROXY_COUNT", "LOGIN_MAX_FAILURES", "LOGIN_LOCK_MINUTES", "ADMIN_SESSION_LIFETIME")


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'survey.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "OPEN_ACCESS_RATE_LIMIT": "10/minute",
        "INVITATION_RATE_LIMIT": "300/minute",
        "RESUME_RATE_LIMIT": "10/minute",
        "PREFERRED_URL_SCHEME": "http",
        "SURVEY_TIMEZONE": "Asia/Jakarta",
        "TRUSTED_PROXY_COUNT": 0,
        "BABEL_DEFAULT_LOCALE": "id",
        "LANGUAGES": ("id", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Only the open-access guard makes the session permanent; a year outlasts any campaign.
        "PERMANENT_SESSION_LIFETIME": 366 * 24 * 3600,
        # CSRF tokens must outlive a long questionnaire page left open; the session still binds them.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SQLITE_BUSY_TIMEOUT_MS": 30_000,
    }


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    for key in ENV_KEYS:
        if environ.get(key):
            config[key] = environ[key]
    for key in INTEGER_KEYS:
        if key in config:
            try:
                config[key] = int(config[key])
            except ValueError:
                message = f"environment variable {key}={config[key]!r} is not a whole number"
                raise ValueError(message) from None
    return config


def instance_secret(instance_path: Path, name: str) -> str:
    """The secret stored in ``instance/<name>``, created (mode 0600) on first use."""
    path = instance_path / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def finish(config: dict[str, Any], instance_path: Path) -> None:
    """Fill in what depends on the rest: generated secrets, secure cookies behind HTTPS."""
    for key, filename in (("SECRET_KEY", "secret_key"), ("TOKEN_HASH_KEY", "token_hash_key")):
        if not config.get(key):
            instance_path.mkdir(parents=True, exist_ok=True)
            config[key] = instance_secret(instance_path, filename)
    if config.get("PREFERRED_URL_SCHEME") == "https":
        config.setdefault("SESSION_COOKIE_SECURE", True)
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy 2 only knows the postgresql name, and we use psycopg 3.
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
