"""Helpers for the API tests: tokens in every state, a campaign with a computed run, requests with a token."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from survey_app.domain.api_tokens import new_api_token
from survey_app.domain.institutions import import_units
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import ApiToken, ScoreRun, User
from survey_app.tokens import token_hash
from tests.admin.admintools import add_campaign_responses, make_user
from tests.apptools import Survey

#: Who calls: no token, a token that was never issued, then tokens in each state and of each account.
STATES = (
    "anonymous",
    "bad",
    "revoked",
    "expired",
    "inactive",
    "viewer",
    "analyst",
    "admin",
    "out_of_scope",
)


def issue_token(user: User, **columns: Any) -> str:
    secret = new_api_token()
    db.session.add(ApiToken(user_id=user.id, name="test", token_hash=token_hash(secret), **columns))
    db.session.commit()
    return secret


def token_for(state: str) -> str | None:
    """A token (or ``None``) for one of :data:`STATES`; the accounts are created here."""
    now = datetime.now(UTC)
    if state == "anonymous":
        return None
    if state == "bad":
        return new_api_token()
    if state == "revoked":
        return issue_token(make_user("analyst", ["KOTA"], "revoked@example.org"), revoked_at=now)
    if state == "expired":
        user = make_user("analyst", ["KOTA"], "expired@example.org")
        return issue_token(user, expires_at=now - timedelta(minutes=1))
    if state == "inactive":
        user = make_user("admin", None, "inactive@example.org")
        user.active = False
        return issue_token(user)
    if state == "out_of_scope":
        import_units(
            io.StringIO(
                "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
                "LAIN,Pemerintah Kota Lain,SETDA,Sekretariat Daerah,,50\n"
            )
        )
        return issue_token(make_user("analyst", ["LAIN"], "elsewhere@example.org"))
    return issue_token(make_user(state, ["KOTA"] if state != "admin" else None))


def headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def get(client: FlaskClient, url: str, token: str | None) -> Any:
    return client.get(url, headers=headers(token))


def campaign_with_run(survey: Survey, counts: dict[str, int] | None = None) -> ScoreRun:
    """Responses (SETDA large enough to publish, DINKES under min_cell) and one computed, unpublished run."""
    add_campaign_responses(survey.campaign, counts or {"SETDA": 12, "DINKES": 3})
    run = compute_run(survey.campaign, "fixture")
    db.session.commit()
    return run


def publish(run: ScoreRun) -> None:
    # The console's publish button is another feature; the API only reads ``published_at``.
    run.published_at = datetime.now(UTC)
    run.published_by = "fixture"
    db.session.commit()


@dataclass
class Endpoint:
    name: str
    path: str

    def url(self, slug: str) -> str:
        return "/api/v1" + self.path.replace("{slug}", slug)


ENDPOINTS = (
    Endpoint("campaigns", "/campaigns"),
    Endpoint("campaign", "/campaigns/{slug}"),
    Endpoint("results", "/campaigns/{slug}/results"),
    Endpoint("dimensions", "/campaigns/{slug}/results/dimensions"),
    Endpoint("runs", "/campaigns/{slug}/runs"),
    Endpoint("openapi", "/openapi.json"),
)
