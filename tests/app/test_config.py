"""Settings from the environment are read, checked in one place, and every problem is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import survey_app.config as module
from survey_app import create_app
from survey_app.config import ENV_KEYS, ConfigError, check, defaults, from_environment

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "s" * 40


def test_documented_variables_are_read() -> None:
    config = from_environment(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "API_RATE_LIMIT": "30/minute",
            "PUBLIC_BASE_URL": "https://survei.example.go.id",
            "LOGIN_MAX_FAILURES": "3",
            "UNRELATED": "x",
        }
    )
    assert config == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
        "API_RATE_LIMIT": "30/minute",
        "PUBLIC_BASE_URL": "https://survei.example.go.id",
        "LOGIN_MAX_FAILURES": "3",
    }
    documented = module.__doc__ or ""
    assert all(f"``{key}``" in documented for key in ENV_KEYS)


def _problems(tmp_path: Path, **settings: object) -> list[str]:
    config = defaults(tmp_path)
    config.update(settings)
    return check(config)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"LOGIN_LOCK_MINUTES": "soon"}, "LOGIN_LOCK_MINUTES='soon' is not a whole number"),
        (
            {"TRUSTED_PROXY_COUNT": "9"},
            "TRUSTED_PROXY_COUNT=9 is out of range; expected a whole number from 0 to 5",
        ),
        ({"SURVEY_TIMEZONE": "Asia/Jakrta"}, "SURVEY_TIMEZONE='Asia/Jakrta' is not a time zone"),
        (
            {"SMTP_HOST": "mail.kota.go.id"},
            "MAIL_FROM is not set; SMTP_HOST needs a sender address, e.g. survei@example.go.id",
        ),
        (
            {"MAIL_FROM": "survei at kota"},
            "MAIL_FROM='survei at kota' is not an e-mail address; expected name@domain",
        ),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT=70000 is out of range; expected a whole number from 1 to 65535"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS='maybe' is not true or false"),
        ({"SMTP_PASSWORD": "x"}, "SMTP_PASSWORD is set without SMTP_USER"),
        (
            {"CONTACT_RETENTION_DAYS": "-1"},
            "CONTACT_RETENTION_DAYS=-1 is out of range; expected a whole number from 0 to 3650",
        ),
        ({"PREFERRED_URL_SCHEME": "ftp"}, "PREFERRED_URL_SCHEME='ftp' is not http or https"),
        ({"SQLALCHEMY_DATABASE_URI": "postgres:/x"}, "DATABASE_URL='postgres:/x' is not a database URL"),
        (
            {"SQLALCHEMY_DATABASE_URI": "mysql://u@h/db"},
            "DATABASE_URL uses 'mysql', which this app does not support",
        ),
        ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg:///db"}, "names no host"),
        ({"API_RATE_LIMIT": "lots"}, "API_RATE_LIMIT='lots' is not a rate limit"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not known; expected text or json"),
        ({"JOB_QUEUE": "rq"}, "JOB_QUEUE=rq needs REDIS_URL"),
        ({"JOB_QUEUE": "celery"}, "JOB_QUEUE='celery' is not known"),
        ({"REDIS_URL": "http://h"}, "REDIS_URL='http://h' is not a Redis URL"),
        ({"RATELIMIT_STORAGE_URI": "mongodb://h"}, "RATELIMIT_STORAGE_URI='mongodb://h' is not supported"),
        ({"JOB_HEARTBEAT_SECONDS": "30", "JOB_HEARTBEAT_TIMEOUT": "40"}, "must be at least twice"),
        (
            {"PUBLIC_BASE_URL": "survei.example.go.id"},
            "PUBLIC_BASE_URL='survei.example.go.id' is not a web address",
        ),
    ],
)
def test_each_problem_is_one_line_naming_the_variable(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    problems = _problems(tmp_path, **settings)
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert "\n" not in problems[0]


def test_a_database_password_is_never_echoed(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, SQLALCHEMY_DATABASE_URI="mysql://user:hunter2@h/db")
    assert "hunter2" not in problem


def test_production_needs_keys_and_the_public_address(tmp_path: Path) -> None:
    problems = _problems(tmp_path, SURVEY_ENV="production")
    assert [p.split(" ", 1)[0] for p in problems] == ["SECRET_KEY", "TOKEN_HASH_KEY", "PUBLIC_BASE_URL"]
    problems = _problems(
        tmp_path,
        SURVEY_ENV="production",
        SECRET_KEY="short",
        TOKEN_HASH_KEY=GOOD_SECRET,
        PUBLIC_BASE_URL="http://survei.example.go.id",
    )
    assert problems == [
        "SECRET_KEY is too short (5 characters); expected 32 or more",
        "PUBLIC_BASE_URL='http://survei.example.go.id' must use https in production",
    ]


def test_production_never_generates_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        create_app(
            {"SURVEY_ENV": "production", "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )
    assert "SECRET_KEY is not set" in str(raised.value)
    assert not (tmp_path / "secret_key").exists()


def test_the_scheme_is_normalised_and_https_makes_cookies_secure(tmp_path: Path) -> None:
    app = create_app(
        {
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PREFERRED_URL_SCHEME": "HTTPS",
        }
    )
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app = create_app(
        {
            "INSTANCE_PATH": tmp_path,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "https://survei.example.go.id",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def _flask(
    env: dict[str, str], *args: str, module_path: str = "survey_app"
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", module_path, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_flask_prints_one_line_per_problem_and_exits_non_zero() -> None:
    result = _flask({"SURVEY_TIMEZONE": "Mars/Olympus", "DATABASE_URL": "nonsense"}, "config", "check")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "Error: configuration: DATABASE_URL='nonsense' is not a database URL; expected "
        "postgresql+psycopg://user:password@host/db or sqlite:///path/to/file.db",
        "configuration: SURVEY_TIMEZONE='Mars/Olympus' is not a time zone; "
        "expected an IANA name such as Asia/Jakarta",
    ]
    assert "Traceback" not in result.stderr


def test_config_check_prints_the_effective_configuration_without_secrets(tmp_path: Path) -> None:
    secret = "k" * 40
    result = _flask(
        {
            "SURVEY_ENV": "production",
            "SECRET_KEY": secret,
            "TOKEN_HASH_KEY": secret,
            "PUBLIC_BASE_URL": "https://survei.example.go.id",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "REDIS_URL": "redis://:pw123@127.0.0.1:6379/0",
        },
        "config",
        "check",
    )
    assert result.returncode == 0, result.stderr
    assert secret not in result.stdout
    assert "pw123" not in result.stdout
    assert "SECRET_KEY              set" in result.stdout
    assert "PREFERRED_URL_SCHEME    https" in result.stdout
    assert "JOB_QUEUE               rq" in result.stdout


def test_gunicorn_refuses_to_start_with_the_problems_in_its_log(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS and k != "DATABASE_URL"}
    result = subprocess.run(
        [str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"],
        env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode != 0
    assert "configuration: SECRET_KEY is not set" in result.stderr
    assert "configuration: PUBLIC_BASE_URL is not set" in result.stderr
