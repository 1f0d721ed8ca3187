"""The anonymity rule, checked on the migrated schema, on stored rows and on an export."""

from __future__ import annotations

import csv
import re
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from survey_app.domain.accounts import create_user, set_data_steward
from survey_app.extensions import db
from survey_app.models import Invitation, Response
from survey_app.tokens import token_hash
from tests.apptools import Survey, csrf_of

IDENTIFYING = re.compile(r"token|invitation|draft|ip|addr|agent|user|email|name|_at$|time", re.IGNORECASE)
DESIGN_COLUMNS = {"id", "campaign_id", "respondent_group", "unit_id", "stratum", "weight"}


def test_schema_has_no_path_from_responses_to_invitations(app: Flask) -> None:
    inspector = sa.inspect(db.engine)
    columns = {c["name"]: c for c in inspector.get_columns("responses")}
    assert not [name for name in columns if IDENTIFYING.search(name)]
    # Only a date: no timestamp or time column of any kind.
    for column in columns.values():
        assert not isinstance(column["type"], sa.DateTime | sa.Time), column
    assert isinstance(columns["submitted_on"]["type"], sa.Date)
    referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("responses")}
    assert referred == {"campaigns", "questionnaire_versions", "units"}
    # Nothing refers to a response either (no join table that could link it to an invitation).
    for table in inspector.get_table_names():
        assert all(fk["referred_table"] != "responses" for fk in inspector.get_foreign_keys(table)), table
    shared = set(columns) & {c["name"] for c in inspector.get_columns("invitations")}
    assert shared <= DESIGN_COLUMNS
    shared_with_drafts = set(columns) & {c["name"] for c in inspector.get_columns("drafts")}
    assert shared_with_drafts <= DESIGN_COLUMNS | {"questionnaire_version_id", "answers"}
    # No table stores a client address or user agent.
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            assert not re.search(r"ip_|address|agent|remote", column["name"]), (table, column["name"])
    # No column anywhere could hold the plain token: invitations keep a 64-character keyed hash.
    assert {c["name"] for c in inspector.get_columns("invitations")} >= {"token_hash"}
    if db.engine.dialect.name == "sqlite":
        # WITHOUT ROWID: not even SQLite's hidden insertion counter exists for responses.
        with db.engine.connect() as connection, __import__("pytest").raises(sa.exc.OperationalError):
            connection.exec_driver_sql("SELECT rowid FROM responses")


def test_stored_response_and_export_cannot_be_linked_to_the_invitation(
    app: Flask, runner: FlaskCliRunner, survey: Survey, tmp_path: Path
) -> None:
    client = app.test_client()
    token = survey.token(stratum="eselon-3")
    intro = client.get(f"/r/{token}")
    url = client.post(
        f"/r/{token}", data={"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"}
    )
    url = url.headers["Location"]
    for data in ({"q_yes": "tidak"}, {"q_count": "1"}, {}, {"q_why": "-"}):
        page = client.get(url)
        reply = client.post(
            url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", **data}
        )
        url = reply.headers["Location"]
    assert url.endswith("/thanks")

    (response,) = db.session.scalars(select(Response))
    assert uuid.UUID(str(response.id)).version == 4
    invitation = db.session.scalar(select(Invitation))
    assert invitation is not None
    row_values = {str(getattr(response, c.key)) for c in sa.inspect(Response).column_attrs}
    assert token not in " ".join(row_values)
    assert token_hash(token) not in " ".join(row_values)
    assert str(invitation.id) != str(response.id)

    out = tmp_path / "export.csv"
    # The export is a data steward's, and holds today's response once the campaign is closed.
    steward = create_user("steward@example.org", "correct horse battery", "analyst", ["KOTA"])
    set_data_steward(steward, True, by=None)
    survey.campaign.status = "closed"
    db.session.commit()
    export = ["responses", "export", "--campaign", survey.campaign.slug, "--steward", steward.email]
    assert runner.invoke(args=[*export, "--include-free-text", "-o", str(out)]).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert token not in text
    assert token_hash(token) not in text
    (row,) = list(csv.DictReader(text.splitlines()))
    assert not [name for name in row if IDENTIFYING.search(name) and name != "q_name"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["submitted_on"])
    times = [v for k, v in row.items() if k != "questionnaire_hash" and re.search(r"\d{1,2}:\d{2}", v)]
    assert times == []
    assert row["stratum"] == "eselon-3"
