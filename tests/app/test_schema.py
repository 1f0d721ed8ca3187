"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from survey_app.extensions import db
from survey_app.models import Base, ImmutableVersionError, QuestionnaireVersion


def test_migrated_schema_equals_models(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_model_table_exists_with_named_checks(app: Flask) -> None:
    inspector = sa.inspect(db.engine)
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())
    checks = {c["name"] for c in inspector.get_check_constraints("invitations")}
    assert {
        "ck_invitations_state",
        "ck_invitations_weight_positive",
        "ck_invitations_respondent_group",
    } <= checks


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        ("INSERT INTO institutions (id, code, name) VALUES (1, 'A', 'A')", None),
        (
            "INSERT INTO questionnaire_versions (questionnaire_id, version, respondent_group, canonical_json,"
            " content_hash, loaded_on) VALUES ('q', '1', 'boss', '{}', 'sha256:x', '2025-01-01')",
            "respondent_group",
        ),
    ],
)
def test_check_constraints_are_enforced(app: Flask, statement: str, constraint: str | None) -> None:
    if constraint is None:
        db.session.execute(sa.text(statement))
        return
    with pytest.raises(sa.exc.IntegrityError, match=constraint):
        db.session.execute(sa.text(statement))


def test_questionnaire_version_content_is_immutable_in_code_and_database(app: Flask, mini) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    version = QuestionnaireVersion.from_questionnaire(mini, date(2025, 1, 1))
    db.session.add(version)
    db.session.commit()
    version.canonical_json = "{}"
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    # The database refuses as well, for code that bypasses the ORM.
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        db.session.execute(
            sa.text("UPDATE questionnaire_versions SET canonical_json = '{}' WHERE id = :id"),
            {"id": version.id},
        )
