"""Calibration in the console: margins uploaded per group (every problem by row, nothing stored on any), the
results computed with them after the population weights, and the results page saying which rule applied."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scoring.index import compute_index
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.runs import (
    BY,
    campaign_profile,
    compute_run,
    responses_frame,
    table_of,
    with_campaign_design,
)
from survey_app.extensions import db
from survey_app.models import AuditEntry, Response
from survey_app.models.frames import CalibrationMargins
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of

ITEM = "tr_info_layanan"
GOOD = f"variable;level;total\n{ITEM};1;40\n{ITEM};2;60\n{ITEM};3;80\n{ITEM};4;100\n{ITEM};5;140\n"


def _post(client: FlaskClient, slug: str, text: str, method: str = "poststratify", group: str = "internal"):  # type: ignore[no-untyped-def]
    base = f"/admin/campaigns/{slug}/calibration"
    token = csrf_of(client.get(f"{base}/?lang=en").get_data(as_text=True))
    return client.post(
        f"{base}/upload?lang=en",
        data={
            "csrf_token": token,
            "group": group,
            "method": method,
            "margins_file": (io.BytesIO(text.encode()), "margins.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _problems(html: str) -> list[str]:
    body = html.split('id="margin-problems"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr>")[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        rows.append(" | ".join(re.sub(r"\s+", " ", c).strip() for c in cells))
    return rows


def test_bad_margins_list_every_problem_by_row_and_store_nothing(client: FlaskClient, spi: Survey) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    bad = (
        "variable,level,total\n"
        f"{ITEM},1,40\n"
        f"{ITEM},7,10\n"
        "jenis_kelamin,L,200\n"
        f"{ITEM},2,-5\n"
        f"{ITEM},3,banyak\n"
        f"{ITEM},1,40\n"
    )
    page = _post(client, spi.campaign.slug, bad)
    assert page.status_code == 400
    html = page.get_data(as_text=True).replace("&#39;", "'")
    problems = _problems(html)
    assert "Nothing was stored: " in html
    assert f"3 | level | unknown level '7' of {ITEM} (its options: 1, 2, 3, 4, 5, dk)" in problems
    assert any(p.startswith("4 | variable | unknown item 'jenis_kelamin'") for p in problems)
    assert "5 | total | a total cannot be negative (-5)" in problems
    assert "6 | total | 'banyak' is not a number" in problems
    assert f"7 | — | {ITEM} = '1' repeats row 2" in problems
    assert any(f"{ITEM}: level(s) 4, 5 missing from the margins" in p for p in problems)
    # Post-stratification takes one question; a numeric total needs linear calibration.
    two = GOOD.replace("variable;level;total\n", "variable;level;total\ntr_info_pengadaan;1;420\n")
    page = _post(client, spi.campaign.slug, two)
    assert "post-stratification uses one question" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalibrationMargins)) == 0


def _set_answers(spi: Survey) -> None:
    responses = db.session.scalars(
        select(Response).where(Response.respondent_group == "internal").order_by(Response.id)
    ).all()
    for k, response in enumerate(responses):
        response.answers = {**response.answers, ITEM: str(1 + k % 5)}
    db.session.commit()


def _internal_institution(run_results: object) -> float:
    groups = table_of(run_results, "overall_groups")  # type: ignore[arg-type]
    whole = groups[groups["group"] == "internal"]
    return float(whole["estimate"].iloc[0])


def test_the_results_are_calibrated_and_say_so(client: FlaskClient, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 15, "DINKES": 15})
    _set_answers(spi)
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    page = _post(client, spi.campaign.slug, GOOD)
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "The margins have been stored" in page.get_data(as_text=True)
    stored = db.session.scalars(select(CalibrationMargins)).one()
    assert stored.method == "poststratify"
    assert [m["total"] for m in stored.margins] == [40, 60, 80, 100, 140]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "calibration.upload")).one()
    assert entry.details["variables"] == [ITEM]

    run = compute_run(spi.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["calibration"] == {
        "method": "poststratify",
        "variables": [ITEM],
        "units_kept": False,
    }
    assert "calibration" not in rules["external"]
    # The institution's internal estimate is the post-stratified mean: sum_l N_l ybar_l / N, with ybar_l the
    # population-weighted mean score of the respondents who answered level l.
    frame, _ = with_campaign_design(responses_frame(spi.campaign), spi.campaign)
    plain = compute_index(
        frame, [q for _, q in campaign_versions(spi.campaign)], campaign_profile(spi.campaign), by=BY
    )
    assert plain.scored is not None
    data = plain.scored.data
    internal = data[(data["group"] == "internal") & data["score"].notna()]
    answers = frame.loc[internal.index, ITEM].astype(str)
    totals = {"1": 40, "2": 60, "3": 80, "4": 100, "5": 140}
    expected = (
        sum(
            totals[level] * np.average(rows["score"], weights=rows["weight"])
            for level, rows in internal.groupby(answers)
        )
        / 420
    )
    scale = campaign_profile(spi.campaign).display_scale
    assert _internal_institution(run) == pytest.approx(expected * scale / 100, abs=1e-6)
    # ... which is not the population-weighted mean the group had without the margins.
    weighted = np.average(internal["score"], weights=internal["weight"]) * scale / 100
    assert abs(_internal_institution(run) - weighted) > 1e-3

    html = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert f"Then calibrated to known population margins (post-stratification) on: {ITEM}." in html

    # A respondent who skipped the question: the group keeps its population weights, and the page says why.
    one = db.session.scalars(select(Response).where(Response.respondent_group == "internal")).first()
    assert one is not None
    one.answers = {k: v for k, v in one.answers.items() if k != ITEM}
    db.session.commit()
    run = compute_run(spi.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["calibration"]["note"] == "unanswered"
    html = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert "were uploaded but not applied, because some respondents did not answer the question" in html

    # Raking keeps the units' populations as a margin; margins for another population size are not applied.
    db.session.add(one)
    one.answers = {**one.answers, ITEM: "3"}
    db.session.commit()
    assert _post(client, spi.campaign.slug, GOOD, method="rake").status_code == 200
    run = compute_run(spi.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["calibration"] == {"method": "rake", "variables": [ITEM], "units_kept": True}
    html = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert "The units' populations are kept as a margin" in html
    assert _post(client, spi.campaign.slug, GOOD.replace(";140", ";220"), method="rake").status_code == 200
    run = compute_run(spi.campaign, "boss@example.org")
    db.session.commit()
    rules = {w["group"]: w for w in run.parameters["weighting"]}
    assert rules["internal"]["calibration"]["note"] == "population_mismatch"
    assert rules["internal"]["calibration"]["detail"] == "500 / 420"

    # Removed: the next run uses the population weights alone.
    base = f"/admin/campaigns/{spi.campaign.slug}/calibration"
    token = csrf_of(client.get(f"{base}/?lang=en").get_data(as_text=True))
    done = client.post(f"{base}/internal/remove?lang=en", data={"csrf_token": token}, follow_redirects=True)
    assert "The margins have been removed" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalibrationMargins)) == 0
