"""Issue 12, "why" 3, on unpublished runs: analysts and admins compute runs and read them before they are
published, so two runs a few responses apart would give those respondents' scores by difference. Every
output of a run withholds a cell that changed by fewer than ``min_cell`` respondents since an earlier run."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.domain.results.rows import shown_tables
from survey_app.domain.results.runs import compute_run, table_of
from survey_app.extensions import db
from survey_app.models import ScoreRun
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.admin.test_results import add_unit
from tests.apptools import Survey


def test_a_run_a_few_responses_after_another_withholds_what_changed(client: FlaskClient, spi: Survey) -> None:
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "INSP": 20})
    first = compute_run(spi.campaign, "fixture")
    db.session.commit()
    add_campaign_responses(spi.campaign, {"SETDA": 1}, seed=11)  # one more response in each group
    second = compute_run(spi.campaign, "fixture")
    db.session.commit()
    assert int(table_of(second, "overall")["n"].iloc[0]) == int(table_of(first, "overall")["n"].iloc[0]) + 3

    before = shown_tables(spi.campaign, first)
    assert before["overall"]["estimate"].notna().all()  # the first run shows the institution
    after = shown_tables(spi.campaign, second)
    overall = after["overall"].iloc[0]
    assert overall["suppression"] == "changed"
    assert overall["changed_since"] == first.id
    assert overall["estimate"] != overall["estimate"]  # NaN: no number to subtract
    groups = after["groups"].set_index("unit")
    assert (groups.loc["SETDA", "suppression"] == "changed").all()
    # INSP got nobody new: its cells are the same respondents, shown in both runs.
    assert groups.loc["INSP", "estimate"].notna().all()

    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    latest = db.session.scalar(select(ScoreRun).order_by(ScoreRun.id.desc()))
    assert latest is not None
    assert latest.id == second.id
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert f"changed by fewer than 5 respondents since run #{first.id}" in page


def test_a_run_that_gained_min_cell_shows_the_cells(spi: Survey) -> None:
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "INSP": 20})
    compute_run(spi.campaign, "fixture")
    db.session.commit()
    add_campaign_responses(spi.campaign, {"SETDA": 5}, seed=11)
    second = compute_run(spi.campaign, "fixture")
    db.session.commit()
    after = shown_tables(spi.campaign, second)
    assert after["overall"]["estimate"].notna().all()
    assert (after["groups"].set_index("unit").loc["SETDA", "suppression"] != "changed").all()
