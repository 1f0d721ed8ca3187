"""Settings from the environment: every documented variable is read, whole numbers are checked."""

from __future__ import annotations

import pytest

from survey_app.config import ENV_KEYS, from_environment


def test_documented_variables_are_read_and_numbers_converted() -> None:
    config = from_environment(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "API_RATE_LIMIT": "30/minute",
            "PUBLIC_BASE_URL": "https://survei.example.go.id",
            "LOGIN_MAX_FAILURES": "3",
            "ADMIN_SESSION_LIFETIME": "3600",
            "UNRELATED": "x",
        }
    )
    assert config == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
        "API_RATE_LIMIT": "30/minute",
        "PUBLIC_BASE_URL": "https://survei.example.go.id",
        "LOGIN_MAX_FAILURES": 3,
        "ADMIN_SESSION_LIFETIME": 3600,
    }
    import survey_app.config as module

    documented = module.__doc__ or ""
    assert all(f"``{key}``" in documented for key in ENV_KEYS)


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(ValueError, match="LOGIN_LOCK_MINUTES='soon' is not a whole number"):
        from_environment({"LOGIN_LOCK_MINUTES": "soon"})
