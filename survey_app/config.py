"""Configuration: defaults, then the environment, then the mapping given to ``create_app`` (tests); checked
in one place (:func:`check`) before the app starts.

Environment variables:

==========================  ============================================================================
``SURVEY_ENV``              ``development`` (default for ``flask``/``make run``) or ``production``
                            (default for ``wsgi.py``, i.e. gunicorn). Production refuses to start without
                            ``SECRET_KEY``, ``TOKEN_HASH_KEY`` and ``PUBLIC_BASE_URL``.
``DATABASE_URL``            SQLAlchemy URL; default SQLite ``instance/survey.db``. PostgreSQL:
                            ``postgresql+psycopg://user:password@host/db``.
``SECRET_KEY``              signs the session cookie; in development generated into
                            ``instance/secret_key`` (0600) when unset. Production: 32 characters or more.
``TOKEN_HASH_KEY``          key of the HMAC-SHA256 under which invitation tokens are stored; generated
                            into ``instance/token_hash_key`` in development. Changing it invalidates every
                            issued invitation. Production: 32 characters or more.
``PUBLIC_BASE_URL``         where respondents reach the app (``https://survei.example.go.id``), used in
                            every invitation link, poster and e-mail; required in production (``https``).
``PREFERRED_URL_SCHEME``    ``http`` or ``https`` (any case); ``https`` (the default when
                            ``PUBLIC_BASE_URL`` is ``https``) marks cookies ``Secure``.
``SURVEY_TIMEZONE``         IANA time zone of submission dates, campaign dates and the console's clock;
                            default ``Asia/Jakarta``.
``TRUSTED_PROXY_COUNT``     number of reverse proxies in front of the app whose ``X-Forwarded-*``
                            headers are trusted (``ProxyFix``); default 0, at most 5.
``REDIS_URL``               ``redis://host:6379/0``: the job queue (and, unless
                            ``RATELIMIT_STORAGE_URI`` says otherwise, the rate limits) live there. Needs
                            ``pip install 'integrity-survey[redis]'``.
``JOB_QUEUE``               ``thread`` (jobs run in a thread of the web process; default without Redis)
                            or ``rq`` (jobs go to Redis and run in ``flask worker``; default with
                            ``REDIS_URL``).
``JOB_QUEUE_NAME``          name of the RQ queue; default ``integrity-survey``. Give each installation
                            sharing one Redis its own.
``JOB_HEARTBEAT_SECONDS``   how often a running job reports that it is alive; default 10.
``JOB_HEARTBEAT_TIMEOUT``   seconds without a heartbeat after which a running job counts as dead and is
                            marked failed; default 45 (more than three heartbeats).
``RATELIMIT_STORAGE_URI``   Flask-Limiter storage; ``memory://`` (per process; default without Redis) or
                            ``redis://host:6379/1`` to share limits between app servers.
``OPEN_ACCESS_RATE_LIMIT``  limit on open-access submissions per client address; default ``10/minute``.
``INVITATION_RATE_LIMIT``   limit on invitation-page requests per client address; default ``300/minute``
                            (generous: an office behind one address shares it).
``RESUME_RATE_LIMIT``       limit on resume codes posted per client address; default ``10/minute``.
``LOGIN_RATE_LIMIT``        limit on console login attempts per client address; default ``10/minute``.
``LOGIN_MAX_FAILURES``      wrong passwords for one account from one address before that address is
                            locked out of that account; default 5.
``LOGIN_LOCK_MINUTES``      how long such a lock lasts; default 15.
``ADMIN_SESSION_LIFETIME``  seconds a console login lasts; default 28800 (8 h); 300 to 604800.
``API_RATE_LIMIT``          limit on JSON API requests per client address; default ``120/minute``.
``LOG_FORMAT``              ``text`` (default) or ``json`` (one JSON object per line).
``SMTP_HOST``               the mail server invitations and reminders are sent through; unset: the system
                            sends no e-mail (the console says so).
``SMTP_PORT``               its port; default 587 (1 to 65535).
``SMTP_USER``               login at the mail server (optional).
``SMTP_PASSWORD``           its password (needs ``SMTP_USER``).
``SMTP_STARTTLS``           ``true`` (default) or ``false``: upgrade the connection with STARTTLS before
                            logging in. Production refuses a login without it.
``MAIL_FROM``               the sender address of every message, e.g. ``Survei Integritas
                            <survei@example.go.id>``; required with ``SMTP_HOST``.
``SMS_GATEWAY_URL``         the WhatsApp/SMS gateway (``docs/delivery.md``) that messages go through to
                            contacts with a phone number and no e-mail address; unset: none are sent.
                            ``https`` in production.
``SMS_GATEWAY_TOKEN``       the Bearer token sent to it; required with ``SMS_GATEWAY_URL``.
``SMS_GATEWAY_CHANNEL``     ``whatsapp`` (default) or ``sms``: what the gateway is asked to send.
``SMS_GATEWAY_TIMEOUT``     seconds to wait for the gateway's answer; default 10 (1 to 120).
``SMS_CALLBACK_TOKEN``      the Bearer token the gateway sends with its status reports to
                            ``/api/gateway/status``; unset: reports are refused. 32 characters or more.
``CONTACT_RETENTION_DAYS``  days after a campaign's closing date after which the daily retention task
                            deletes its population lists' contacts (the sizes stay); default 30, 0 to 3650.
``REMINDER_HOUR``           the hour (local time, ``SURVEY_TIMEZONE``) at which ``flask worker`` sends the
                            day's scheduled reminders; default 9, 0 to 23.
==========================  ============================================================================

``flask config check`` prints the effective configuration (secrets only as "set"), or each problem on a
line of its own and exits non-zero.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

ENV_KEYS = (
    "SURVEY_ENV",
    "SECRET_KEY",
    "TOKEN_HASH_KEY",
    "PUBLIC_BASE_URL",
    "PREFERRED_URL_SCHEME",
    "SURVEY_TIMEZONE",
    "TRUSTED_PROXY_COUNT",
    "REDIS_URL",
    "JOB_QUEUE",
    "JOB_QUEUE_NAME",
    "JOB_HEARTBEAT_SECONDS",
    "JOB_HEARTBEAT_TIMEOUT",
    "RATELIMIT_STORAGE_URI",
    "OPEN_ACCESS_RATE_LIMIT",
    "INVITATION_RATE_LIMIT",
    "RESUME_RATE_LIMIT",
    "LOGIN_RATE_LIMIT",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "ADMIN_SESSION_LIFETIME",
    "API_RATE_LIMIT",
    "LOG_FORMAT",
    "CONTACT_RETENTION_DAYS",
    "REMINDER_HOUR",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "MAIL_FROM",
    "SMS_GATEWAY_URL",
    "SMS_GATEWAY_TOKEN",
    "SMS_GATEWAY_CHANNEL",
    "SMS_GATEWAY_TIMEOUT",
    "SMS_CALLBACK_TOKEN",
)
#: Whole numbers and the range each may take.
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "TRUSTED_PROXY_COUNT": (0, 5),
    "LOGIN_MAX_FAILURES": (1, 100),
    "LOGIN_LOCK_MINUTES": (1, 24 * 60),
    "ADMIN_SESSION_LIFETIME": (300, 7 * 24 * 3600),
    "JOB_HEARTBEAT_SECONDS": (1, 60),
    "JOB_HEARTBEAT_TIMEOUT": (2, 600),
    "CONTACT_RETENTION_DAYS": (0, 3650),
    "REMINDER_HOUR": (0, 23),
    "SMTP_PORT": (1, 65535),
    "SMS_GATEWAY_TIMEOUT": (1, 120),
}
RATE_LIMIT_KEYS = (
    "OPEN_ACCESS_RATE_LIMIT",
    "INVITATION_RATE_LIMIT",
    "RESUME_RATE_LIMIT",
    "LOGIN_RATE_LIMIT",
    "API_RATE_LIMIT",
)
#: Never printed by ``flask config check``.
SECRET_KEYS = ("SECRET_KEY", "TOKEN_HASH_KEY")
#: Passwords and tokens of other services: never printed either.
SERVICE_SECRETS = ("SMTP_PASSWORD", "SMS_GATEWAY_TOKEN", "SMS_CALLBACK_TOKEN")
MIN_SECRET_LENGTH = 32
DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


class ConfigError(click.ClickException):
    """The configuration cannot work; one line per problem, each naming its variable.

    A :class:`click.ClickException` so that ``flask …`` prints the lines and exits 1 instead of a
    traceback (Flask's CLI lets exceptions from the app factory through; click formats these).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"configuration: {p}" for p in problems))


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "SURVEY_ENV": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'survey.db'}",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Respondents are never refused because the limiter's store is down (logins are: see
        # survey_app.throttle); Flask-Limiter then logs the error and lets the request through.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "OPEN_ACCESS_RATE_LIMIT": "10/minute",
        "INVITATION_RATE_LIMIT": "300/minute",
        "RESUME_RATE_LIMIT": "10/minute",
        "LOGIN_RATE_LIMIT": "10/minute",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "ADMIN_SESSION_LIFETIME": 8 * 3600,
        "API_RATE_LIMIT": "120/minute",
        "SURVEY_TIMEZONE": "Asia/Jakarta",
        "TRUSTED_PROXY_COUNT": 0,
        "JOB_HEARTBEAT_SECONDS": 10,
        "JOB_HEARTBEAT_TIMEOUT": 45,
        "CONTACT_RETENTION_DAYS": 30,
        "REMINDER_HOUR": 9,
        "SMTP_PORT": 587,
        "SMTP_STARTTLS": "true",
        "SMS_GATEWAY_CHANNEL": "whatsapp",
        "SMS_GATEWAY_TIMEOUT": 10,
        "LOG_FORMAT": "text",
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
    """The settings the environment gives, as text; :func:`check` converts and judges them."""
    config: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    for key in ENV_KEYS:
        if environ.get(key):
            config[key] = environ[key]
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
    """Check ``config`` (raising :class:`ConfigError` with every problem), then fill in what depends on the
    rest: generated secrets in development, secure cookies behind HTTPS, the job queue and limiter storage."""
    problems = check(config)
    if problems:
        raise ConfigError(problems)
    if config["SURVEY_ENV"] == "development":
        for key, filename in (("SECRET_KEY", "secret_key"), ("TOKEN_HASH_KEY", "token_hash_key")):
            if not config.get(key):
                instance_path.mkdir(parents=True, exist_ok=True)
                config[key] = instance_secret(instance_path, filename)
    if config["PREFERRED_URL_SCHEME"] == "https":
        config.setdefault("SESSION_COOKIE_SECURE", True)
    uri = str(config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("postgres://"):
        # Heroku-style URLs; SQLAlchemy 2 only knows the postgresql name, and we use psycopg 3.
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.removeprefix("postgresql://")


def check(config: dict[str, Any]) -> list[str]:
    """Every problem of ``config``, one line each naming the variable and what was expected; normalises
    what it accepts in place (numbers to ``int``, the scheme to lower case, defaults that depend on others).

    >>> config = defaults(Path("/tmp/instance"))
    >>> config.update(SURVEY_TIMEZONE="Asia/Jakrta", LOGIN_MAX_FAILURES="0", PREFERRED_URL_SCHEME="HTTPS")
    >>> for line in check(config):
    ...     print(line)
    LOGIN_MAX_FAILURES=0 is out of range; expected a whole number from 1 to 100
    SURVEY_TIMEZONE='Asia/Jakrta' is not a time zone; expected an IANA name such as Asia/Jakarta
    >>> config["PREFERRED_URL_SCHEME"]
    'https'
    """
    problems: list[str] = []
    environment = str(config.get("SURVEY_ENV", "development")).strip().lower()
    if environment not in ("development", "production"):
        problems.append(f"SURVEY_ENV={environment!r} is not known; expected development or production")
    config["SURVEY_ENV"] = environment
    production = environment == "production"

    problems += _database_problems(str(config.get("SQLALCHEMY_DATABASE_URI", "")))
    problems += _integer_problems(config)
    problems += _secret_problems(config, production)
    problems += _mail_problems(config, production)
    problems += _gateway_problems(config, production)

    base = str(config.get("PUBLIC_BASE_URL") or "")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            problems.append(
                f"PUBLIC_BASE_URL={base!r} is not a web address; expected https://host[/path], "
                "e.g. https://survei.example.go.id"
            )
        elif production and parts.scheme != "https":
            problems.append(f"PUBLIC_BASE_URL={base!r} must use https in production")
    elif production:
        problems.append(
            "PUBLIC_BASE_URL is not set; production needs the address respondents use, "
            "e.g. https://survei.example.go.id (every invitation link is built from it)"
        )

    scheme = config.get("PREFERRED_URL_SCHEME")
    if scheme is None:
        scheme = "https" if base.startswith("https://") or production else "http"
    scheme = str(scheme).strip().lower()
    if scheme not in ("http", "https"):
        problems.append(f"PREFERRED_URL_SCHEME={config['PREFERRED_URL_SCHEME']!r} is not http or https")
    config["PREFERRED_URL_SCHEME"] = scheme

    zone = str(config.get("SURVEY_TIMEZONE", ""))
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"SURVEY_TIMEZONE={zone!r} is not a time zone; expected an IANA name such as Asia/Jakarta"
        )

    problems += _rate_limit_problems(config)
    problems += _redis_problems(config)

    log_format = str(config.get("LOG_FORMAT", "text")).strip().lower()
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT={config['LOG_FORMAT']!r} is not known; expected text or json")
    config["LOG_FORMAT"] = log_format
    return problems


def _database_problems(uri: str) -> list[str]:
    # SQLAlchemy's own parser and dialect loader, so what is accepted here is what the engine will accept.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    expected = "expected postgresql+psycopg://user:password@host/db or sqlite:///path/to/file.db"
    shown = _without_password(uri)
    try:
        url = make_url(uri)
    except ArgumentError:
        return [f"DATABASE_URL={shown!r} is not a database URL; {expected}"]
    driver = url.drivername
    if driver in ("postgres", "postgresql"):
        driver = "postgresql+psycopg"  # finish() rewrites these spellings
    if driver not in DATABASE_DRIVERS:
        return [f"DATABASE_URL uses {url.drivername!r}, which this app does not support; {expected}"]
    try:
        url.set(drivername=driver).get_dialect()
    except NoSuchModuleError:
        return [f"DATABASE_URL: the driver {driver!r} is not installed"]
    if driver.startswith("postgresql") and not url.host and "host" not in url.query:
        return [f"DATABASE_URL={shown!r} names no host; {expected}"]
    return []


def _without_password(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri


def _integer_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    for key, (low, high) in INTEGER_RANGES.items():
        if key not in config:
            continue
        raw = config[key]
        try:
            value = int(str(raw).strip())
        except ValueError:
            problems.append(f"{key}={raw!r} is not a whole number; expected one from {low} to {high}")
            continue
        if not low <= value <= high:
            problems.append(f"{key}={value} is out of range; expected a whole number from {low} to {high}")
            continue
        config[key] = value
    beat, timeout = config.get("JOB_HEARTBEAT_SECONDS"), config.get("JOB_HEARTBEAT_TIMEOUT")
    if isinstance(beat, int) and isinstance(timeout, int) and timeout < 2 * beat:
        problems.append(
            f"JOB_HEARTBEAT_TIMEOUT={timeout} must be at least twice JOB_HEARTBEAT_SECONDS={beat}, "
            "or every slow heartbeat would fail a healthy job"
        )
    return problems


def _mail_problems(config: dict[str, Any], production: bool) -> list[str]:
    """The SMTP settings; ``SMTP_STARTTLS`` normalised to a bool."""
    problems = []
    starttls = str(config.get("SMTP_STARTTLS", "true")).strip().lower()
    if starttls not in ("true", "false", "1", "0", "yes", "no"):
        problems.append(f"SMTP_STARTTLS={starttls!r} is not true or false")
    config["SMTP_STARTTLS"] = starttls in ("true", "1", "yes")
    host = str(config.get("SMTP_HOST") or "").strip()
    sender = str(config.get("MAIL_FROM") or "").strip()
    if host and not sender:
        problems.append("MAIL_FROM is not set; SMTP_HOST needs a sender address, e.g. survei@example.go.id")
    if sender:
        address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
        local, _, domain = address.partition("@")
        if not local or "." not in domain or " " in address:
            problems.append(f"MAIL_FROM={sender!r} is not an e-mail address; expected name@domain")
    if config.get("SMTP_PASSWORD") and not config.get("SMTP_USER"):
        problems.append("SMTP_PASSWORD is set without SMTP_USER")
    if production and config.get("SMTP_USER") and not config["SMTP_STARTTLS"]:
        problems.append("SMTP_STARTTLS=false with SMTP_USER in production would send the password in clear")
    return problems


def _gateway_problems(config: dict[str, Any], production: bool) -> list[str]:
    """The WhatsApp/SMS gateway settings; ``SMS_GATEWAY_CHANNEL`` normalised to lower case."""
    problems = []
    url = str(config.get("SMS_GATEWAY_URL") or "").strip()
    channel = str(config.get("SMS_GATEWAY_CHANNEL") or "whatsapp").strip().lower()
    if channel not in ("whatsapp", "sms"):
        problems.append(f"SMS_GATEWAY_CHANNEL={channel!r} is not known; expected whatsapp or sms")
    config["SMS_GATEWAY_CHANNEL"] = channel
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                f"SMS_GATEWAY_URL={url!r} is not a web address; expected https://host/path of the gateway"
            )
        elif production and parts.scheme != "https":
            problems.append(
                f"SMS_GATEWAY_URL={url!r} must use https in production (its token and the survey links "
                "travel in the request)"
            )
        if not config.get("SMS_GATEWAY_TOKEN"):
            problems.append(
                "SMS_GATEWAY_TOKEN is not set; SMS_GATEWAY_URL needs the token the gateway expects"
            )
    elif config.get("SMS_GATEWAY_TOKEN"):
        problems.append("SMS_GATEWAY_TOKEN is set without SMS_GATEWAY_URL")
    callback = str(config.get("SMS_CALLBACK_TOKEN") or "")
    if callback and len(callback) < MIN_SECRET_LENGTH:
        problems.append(
            f"SMS_CALLBACK_TOKEN is too short ({len(callback)} characters); expected "
            f"{MIN_SECRET_LENGTH} or more"
        )
    return problems


def _secret_problems(config: dict[str, Any], production: bool) -> list[str]:
    problems = []
    for key in SECRET_KEYS:
        value = config.get(key)
        if not value:
            if production:
                problems.append(
                    f"{key} is not set; production needs it in the environment, the same on every server "
                    "(generate one with python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
        elif production and len(str(value)) < MIN_SECRET_LENGTH:
            problems.append(
                f"{key} is too short ({len(str(value))} characters); expected {MIN_SECRET_LENGTH} or more"
            )
    return problems


def _rate_limit_problems(config: dict[str, Any]) -> list[str]:
    from limits import parse_many

    problems = []
    for key in RATE_LIMIT_KEYS:
        value = str(config.get(key, ""))
        try:
            parse_many(value)
        except ValueError:
            problems.append(f"{key}={value!r} is not a rate limit; expected e.g. 10/minute or 100 per hour")
    return problems


def _redis_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    redis_url = str(config.get("REDIS_URL") or "")
    needs_redis = []
    if redis_url:
        if urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
            shown = _without_password(redis_url)
            return [f"REDIS_URL={shown!r} is not a Redis URL; expected redis://host:6379/0"]
        needs_redis.append("REDIS_URL")
    queue = str(config.get("JOB_QUEUE") or ("rq" if redis_url else "thread")).strip().lower()
    if queue not in ("thread", "rq"):
        problems.append(f"JOB_QUEUE={config['JOB_QUEUE']!r} is not known; expected thread or rq")
    elif queue == "rq":
        if not redis_url:
            problems.append("JOB_QUEUE=rq needs REDIS_URL (where the queue lives)")
        elif importlib.util.find_spec("rq") is None:
            problems.append("JOB_QUEUE=rq needs the rq package: pip install 'integrity-survey[redis]'")
    config["JOB_QUEUE"] = queue

    storage = str(config.get("RATELIMIT_STORAGE_URI") or redis_url or "memory://")
    scheme = urlsplit(storage).scheme
    if scheme not in ("memory", "redis", "rediss", "redis+unix"):
        problems.append(
            f"RATELIMIT_STORAGE_URI={_without_password(storage)!r} is not supported; expected memory:// or "
            "redis://host:6379/1"
        )
    elif scheme != "memory":
        needs_redis.append("RATELIMIT_STORAGE_URI" if config.get("RATELIMIT_STORAGE_URI") else "REDIS_URL")
    config["RATELIMIT_STORAGE_URI"] = storage
    if needs_redis and importlib.util.find_spec("redis") is None:
        problems.append(f"{needs_redis[0]} needs the redis package: pip install 'integrity-survey[redis]'")
    return problems


def effective(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What ``flask config check`` prints: every documented setting, secrets only as set/unset, the
    database password hidden."""
    shown: list[tuple[str, str]] = [
        ("DATABASE_URL", _without_password(str(config["SQLALCHEMY_DATABASE_URI"])))
    ]
    for key in ENV_KEYS:
        value = config.get(key)
        if key in SECRET_KEYS or key in SERVICE_SECRETS:
            text = "set" if value else "not set"
        elif key in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):
            text = _without_password(str(value)) if value else "not set"
        else:
            text = "not set" if value in (None, "") else str(value)
        shown.append((key, text))
    return shown
