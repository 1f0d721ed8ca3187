"""Every route × role: allowed or denied, against an explicit table. A route missing here fails the test."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import update

from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import Response
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.admin.rules import API, PUBLIC, collect_rules
from tests.apptools import Survey

ROLES = ("anonymous", "viewer", "analyst", "admin")

#: endpoint → the least role that may use it (admins may use everything); ``public`` for respondent pages,
#: ``api`` for JSON API endpoints (token authentication, checked route × role in ``tests/api``). One module
#: per feature under ``tests/admin/rules`` holds its part of the table and sample URL values.
RULES, SAMPLE_FUNCTIONS = collect_rules()


def _rank(role: str) -> int:
    return ROLES.index(role)


def _values(endpoint: str, arguments: set[str], survey: Survey, run_id: int) -> dict[str, Any]:
    samples: dict[str, Any] = {}
    for sample in SAMPLE_FUNCTIONS:
        samples.update(sample(survey, run_id))
    samples |= {
        "slug": survey.campaign.slug,
        "run_id": run_id,
        "chart": "heatmap",
        "fmt": {
            "admin_results.download": "zip",
            "admin_exports.download": "sav",
            "admin_exports.bundle": "sav",
            "admin_results.report": "html",
        }.get(endpoint, "png"),
        "token": "not-a-real-token",
        "key": "s1",
        "group": "external",
        "unit_code": "SETDA",
        "filename": "survey.css",
    }
    missing = arguments - set(samples)
    assert not missing, f"no sample value for URL arguments {sorted(missing)}: add them to the test"
    return {a: samples[a] for a in arguments}


def test_every_route_has_a_rule(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(RULES) == set(), "routes without a rule in RULES"
    assert set(RULES) - endpoints == set(), "rules for routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
def test_route_access_by_role(app: Flask, client: FlaskClient, spi: Survey, role: str) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 6, "DINKES": 6})
    # Released for row-level export: answered before today (an open campaign's answers of today are not).
    db.session.execute(update(Response).values(submitted_on=date.today() - timedelta(days=2)))
    run = compute_run(spi.campaign, "fixture")
    db.session.commit()
    if role != "anonymous":
        # Stewards where the role may be one: the export routes are under test for their role guard here.
        make_user(role, ["KOTA"] if role != "admin" else None, steward=role in ("analyst", "admin"))
        assert login(client, f"{role}@example.org").status_code == 302  # type: ignore[attr-defined]
    app.config["WTF_CSRF_ENABLED"] = False  # the role check is under test, not the CSRF token
    checked = 0
    for rule in app.url_map.iter_rules():
        required = RULES[rule.endpoint]
        if required == API:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **_values(rule.endpoint, set(rule.arguments), spi, run.id))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "admin_auth.logout":
                continue  # checked last: it would end the session for the routes after it
            response = client.open(url, method=method)
            _check(rule.endpoint, method, url, response, role, required)
            checked += 1
    response = client.post("/admin/logout")
    _check("admin_auth.logout", "POST", "/admin/logout", response, role, "viewer")
    assert checked > len(RULES)


def _check(endpoint: str, method: str, url: str, response: Any, role: str, required: str) -> None:
    where = f"{method} {url} ({endpoint}) as {role}"
    location = response.headers.get("Location", "")
    to_login = response.status_code == 302 and "/admin/login?next=" in location
    if required == PUBLIC:
        assert response.status_code not in (401, 403), f"{where}: public, got {response.status}"
        assert not to_login, f"{where}: public, sent to login"
    elif role == "anonymous":
        assert to_login, f"{where}: expected a redirect to login, got {response.status} {location}"
    elif _rank(role) < _rank(required):
        assert response.status_code == 403, f"{where}: expected 403, got {response.status}"
    else:
        # Access granted: anything but a denial or a crash (an empty POST may be a 400 validation page).
        assert response.status_code not in (401, 403), f"{where}: expected access, got {response.status}"
        assert response.status_code < 500, f"{where}: expected access, got {response.status}"
        assert not to_login, f"{where}: expected access, sent to login"
