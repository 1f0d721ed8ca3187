"""The JSON API: route × token state × role, scope, suppression, published runs, JSON errors, rate limit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.api.openapi import openapi_document
from survey_app.domain.results.rows import shown_tables
from survey_app.domain.results.runs import compute_run, table_of
from survey_app.extensions import db
from survey_app.models import ApiToken
from tests.admin.admintools import make_user
from tests.admin.test_results import add_unit
from tests.api.apitools import ENDPOINTS, STATES, campaign_with_run, get, issue_token, publish, token_for
from tests.api.test_openapi import check
from tests.apptools import Survey
from tests.domain.test_disclosure import subtraction_bounds

#: state → endpoint → expected status (the test campaign's latest run is published).
EXPECTED: dict[str, dict[str, int]] = {
    **{
        state: {e.name: 401 for e in ENDPOINTS} | {"openapi": 200}
        for state in ("anonymous", "bad", "revoked", "expired", "inactive")
    },
    "viewer": {e.name: 200 for e in ENDPOINTS} | {"runs": 403},
    "analyst": {e.name: 200 for e in ENDPOINTS},
    "admin": {e.name: 200 for e in ENDPOINTS},
    # A campaign of another institution looks absent, as in the console; the list is empty.
    "out_of_scope": {e.name: 404 for e in ENDPOINTS} | {"campaigns": 200, "openapi": 200},
}


@pytest.mark.parametrize("state", STATES)
def test_route_by_token_state_and_role(client: FlaskClient, spi: Survey, state: str) -> None:
    publish(campaign_with_run(spi))
    token = token_for(state)
    assert set(EXPECTED[state]) == {e.name for e in ENDPOINTS}
    for endpoint in ENDPOINTS:
        url = endpoint.url(spi.campaign.slug)
        response = get(client, url, token)
        where = f"GET {url} as {state}"
        assert response.status_code == EXPECTED[state][endpoint.name], f"{where}: {response.status}"
        assert response.mimetype == "application/json", where
        assert response.headers["Cache-Control"] == "no-store", where
        assert "Authorization" in response.headers["Vary"], where
        body = response.get_json()
        if response.status_code >= 400:
            assert set(body) == {"error", "message"}, where
            assert body["message"], where
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
    if state == "out_of_scope":
        assert get(client, "/api/v1/campaigns", token).get_json() == {"campaigns": []}


def test_token_in_other_forms_is_refused(client: FlaskClient, spi: Survey) -> None:
    token = issue_token(make_user("admin"))
    for header in (f"Basic {token}", f"Token {token}", token, "Bearer", "Bearer " + "x" * 500):
        response = client.get("/api/v1/campaigns", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert client.get("/api/v1/campaigns", headers={"Authorization": f"bearer  {token} "}).status_code == 200


def test_console_session_does_not_authenticate_the_api(client: FlaskClient, spi: Survey) -> None:
    from tests.admin.admintools import login

    make_user("admin")
    login(client, "admin@example.org")
    assert client.get("/admin/").status_code == 200
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_use_is_recorded_as_a_date(client: FlaskClient, spi: Survey) -> None:
    user = make_user("viewer", ["KOTA"])
    token = issue_token(user)
    row = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert row.last_used_on is None
    assert get(client, "/api/v1/campaigns", token).status_code == 200
    db.session.refresh(row)
    assert row.last_used_on == datetime.now(UTC).date()


def test_campaigns_list_and_detail(client: FlaskClient, spi: Survey) -> None:
    campaign_with_run(spi)
    viewer = token_for("viewer")
    analyst = token_for("analyst")
    listed = get(client, "/api/v1/campaigns", viewer).get_json()["campaigns"]
    assert [c["slug"] for c in listed] == [spi.campaign.slug]
    first = listed[0]
    assert first["institution"] == {"code": "KOTA", "name": "Pemerintah Kota Uji"}
    assert first["groups"] == ["expert", "external", "internal"]
    assert first["opens_on"] == spi.campaign.opens_on.isoformat()
    assert "responses" not in first  # counts are for analysts and admins
    counted = get(client, "/api/v1/campaigns", analyst).get_json()["campaigns"][0]
    assert counted["responses"] == {"total": 45, "by_group": {"expert": 15, "external": 15, "internal": 15}}
    detail = get(client, f"/api/v1/campaigns/{spi.campaign.slug}", viewer).get_json()
    assert [u["code"] for u in detail["units"]] == ["DINKES", "SETDA"]
    assert {q["group"] for q in detail["questionnaires"]} == {"internal", "external", "expert"}
    assert all(q["hash"].startswith("sha256:") for q in detail["questionnaires"])
    assert get(client, "/api/v1/campaigns/no-such-campaign", analyst).status_code == 404


def test_small_cells_show_no_estimate(client: FlaskClient, spi: Survey) -> None:
    add_unit()
    run = campaign_with_run(spi, {"SETDA": 12, "INSP": 10, "DINKES": 3})
    token = token_for("analyst")
    body = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/results", token).get_json()
    assert body["run"]["id"] == run.id
    assert body["min_cell"] == 5
    units = {u["unit"]: u for u in body["units"]}
    dinkes, setda = units["DINKES"], units["SETDA"]
    assert dinkes["suppressed"] is True
    assert dinkes["suppression"] == "primary"
    for field in ("estimate", "se", "ci_low", "ci_high", "df", "category"):
        assert dinkes[field] is None, field
    for group in dinkes["groups"]:
        # n of a small cell: only "below min_cell", never the count (nor in the note).
        assert group["n"] is None
        assert group["n_below"] == 5
        assert "n=3" not in group["note"]
        assert group["suppressed"] is True
        assert all(group[f] is None for f in ("estimate", "se", "ci_low", "ci_high", "df"))
    # The next smallest unit is withheld too, so the institution minus SETDA does not give DINKES.
    insp = units["INSP"]
    assert insp["suppressed"] is True
    assert insp["suppression"] == "complementary"
    assert insp["estimate"] is None
    assert insp["n"] is None
    assert insp["n_below"] is None
    # The large unit carries its numbers, as in the console, rounded to one decimal.
    stored = table_of(run, "index").set_index("unit").loc["SETDA"]
    assert setda["suppression"] is None
    assert setda["estimate"] == round(float(stored["estimate"]), 1)
    assert setda["ci_low"] < setda["estimate"] < setda["ci_high"]
    assert setda["category"] == stored["category"]
    assert setda["unit_name"] == "Sekretariat Daerah"
    # DINKES's internal group (300 employees, 3 respondents) outweighs INSP's (80) in the institution's
    # population-weighted internal row, so SETDA's internal cell covers it too, and with it one more of
    # SETDA's groups (else SETDA's index minus its other groups gives the withheld one).
    shown = {g["group"]: g for g in setda["groups"]}
    assert shown["internal"]["suppression"] == "complementary"
    assert [g["n"] for g in setda["groups"] if g["suppression"] is None] == [12]
    dims = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/results/dimensions", token).get_json()
    assert {d["id"] for d in dims["dimensions"]} >= {"transparansi"}
    for cell in dims["cells"]:
        if cell["unit"] == "DINKES":
            assert cell["suppressed"], cell
            assert cell["estimate"] is None, cell
            assert cell["df"] is None, cell
            assert cell["n"] is None, cell
        if cell["estimate"] is not None:
            assert cell["estimate"] == round(cell["estimate"], 1), cell
    assert any(c["estimate"] is not None for c in dims["cells"] if c["unit"] == "SETDA")


def test_a_stricter_min_cell_after_the_run_applies(client: FlaskClient, spi: Survey) -> None:
    campaign_with_run(spi)
    spi.campaign.min_cell = 20
    db.session.commit()
    body = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/results", token_for("admin")).get_json()
    assert body["min_cell"] == 20
    for unit in body["units"]:
        for group in unit["groups"]:
            assert group["n"] is None  # every group has fewer than 20: its n only as "< 20"
            assert group["n_below"] == 20
            assert group["suppressed"]
            assert group["estimate"] is None


def test_viewers_see_only_published_runs(client: FlaskClient, spi: Survey) -> None:
    first = campaign_with_run(spi)
    viewer, analyst = token_for("viewer"), token_for("analyst")
    results = f"/api/v1/campaigns/{spi.campaign.slug}/results"
    for url in (results, results + "/dimensions"):
        response = get(client, url, viewer)
        assert response.status_code == 404
        assert "no results" in response.get_json()["message"]
        assert get(client, url, analyst).get_json()["run"]["id"] == first.id
    publish(first)
    second = compute_run(spi.campaign, "fixture")
    db.session.commit()
    seen = get(client, results, viewer).get_json()
    assert seen["run"]["id"] == first.id
    assert seen["run"]["published"] is True
    assert get(client, results + "/dimensions", viewer).get_json()["run"]["id"] == first.id
    assert get(client, results, analyst).get_json()["run"]["id"] == second.id
    runs = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/runs", analyst).get_json()["runs"]
    assert [(r["id"], r["published"]) for r in runs] == [(second.id, False), (first.id, True)]
    meta = runs[0]
    assert datetime.fromisoformat(meta["created_at"]).utcoffset() is not None
    assert meta["profile"]["id"] == "spi-2024"
    assert meta["profile"]["hash"] == second.profile_hash
    assert meta["questionnaire_hashes"] == second.questionnaire_hashes
    assert meta["software_version"] == second.software_version


def test_quality_flags_only_for_analysts_and_admins(client: FlaskClient, spi: Survey) -> None:
    publish(campaign_with_run(spi))
    url = f"/api/v1/campaigns/{spi.campaign.slug}/results"
    for state, shown in (("viewer", False), ("analyst", True), ("admin", True)):
        units = get(client, url, token_for(state)).get_json()["units"]
        assert all(("quality_flags" in u) is shown for u in units), state


def test_errors_under_api_are_json(app: Flask, client: FlaskClient, spi: Survey) -> None:
    token = token_for("admin")
    for method, url, status in (
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api", 404),
        ("POST", "/api/v1/campaigns", 405),
        ("DELETE", f"/api/v1/campaigns/{spi.campaign.slug}", 405),
    ):
        response = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == status, url
        assert response.mimetype == "application/json", url
        assert response.get_json()["error"] in ("not_found", "method_not_allowed"), url
    # Elsewhere the HTML pages stay.
    assert client.get("/admin/no-such-page").mimetype == "text/html"


def test_an_unexpected_error_is_a_json_500(app: Flask, client: FlaskClient, spi: Survey) -> None:
    run = campaign_with_run(spi)
    run.results = {}  # a damaged stored run: reading its tables fails
    db.session.commit()
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/results", token_for("admin"))
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "internal_server_error"
    assert "Traceback" not in response.get_data(as_text=True)


def test_api_is_rate_limited_per_client(tmp_path: Path, database: str) -> None:
    from tests.conftest import make_app

    limited = make_app(database, tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3/minute")
    client = limited.test_client()
    with limited.app_context():
        statuses = [client.get("/api/v1/campaigns").status_code for _ in range(4)]
        last = client.get("/api/v1/openapi.json")
    assert statuses == [401, 401, 401, 429]
    assert last.status_code == 429
    assert last.mimetype == "application/json"


def test_no_withheld_unit_can_be_recomputed_from_the_api(client: FlaskClient, spi: Survey) -> None:
    """Issue 12, "why" 3, on the API: its units' index and group cells, with the institution's rows the
    console publishes (the group rows too, which no output shows: a stronger attacker), and every unit's true
    number of respondents, leave each withheld unit's score anywhere in 0–100."""
    add_unit()
    run = campaign_with_run(spi, {"SETDA": 40, "INSP": 20, "DINKES": 1})
    publish(run)
    body = get(client, f"/api/v1/campaigns/{spi.campaign.slug}/results", token_for("viewer")).get_json()
    assert check(openapi_document(), {"$ref": "#/components/schemas/Results"}, body) == []
    groups = table_of(run, "groups").set_index(["unit", "group"])["n"]
    respondents = groups.groupby(level="unit").sum()
    institution = shown_tables(spi.campaign, run)
    overall = institution["overall"].iloc[0]
    units = {u["unit"]: u for u in body["units"]}
    published = {
        u: (r["estimate"], int(respondents[u])) for u, r in units.items() if r["estimate"] is not None
    }
    withheld = {u: int(respondents[u]) for u, r in units.items() if r["estimate"] is None}
    assert set(withheld) == {"DINKES", "INSP"}
    low, high = subtraction_bounds(overall["estimate"], int(overall["n"]), published, withheld)["DINKES"]
    assert high - low >= 50, (low, high)
    # The institution's group rows weight the units by population where it is known (the internal group):
    # the attacker knows those weights too (populations are public), and subtracts with them.
    weights = table_of(run, "cell_weights").set_index(["unit", "group"])["weight"]
    for group, total in institution["overall_groups"].set_index("group").iterrows():
        cells = {u: next(g for g in r["groups"] if g["group"] == group) for u, r in units.items()}
        published = {
            u: (g["estimate"], float(weights[(u, group)]))
            for u, g in cells.items()
            if g["estimate"] is not None
        }
        withheld = {u: float(weights[(u, group)]) for u, g in cells.items() if g["estimate"] is None}
        total_weight = float(weights.xs(group, level="group").sum())
        low, high = subtraction_bounds(total["estimate"], total_weight, published, withheld)["DINKES"]
        assert high - low >= 50, (group, low, high)
        assert cells["DINKES"]["n"] is None
        assert cells["DINKES"]["n_below"] == 5
