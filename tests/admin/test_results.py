"""Results: the SQL-extracted loading equals the stored answers; compute, table, charts and downloads."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pandas as pd
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.domain.exports import response_tables
from survey_app.domain.institutions import import_units
from survey_app.domain.results.rows import shown_tables
from survey_app.domain.results.runs import responses_frame, table_of
from survey_app.extensions import db
from survey_app.models import AuditEntry, ScoreRun
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.apptools import Survey, csrf_of
from tests.domain.test_disclosure import subtraction_bounds


def add_unit(code: str = "INSP", name: str = "Inspektorat") -> None:
    """A third unit of the test institution: beside a small unit, the smallest other unit is withheld too
    (complementary suppression), so a test that reads a published unit needs two large ones."""
    import_units(
        io.StringIO(
            "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
            f"KOTA,Pemerintah Kota Uji,{code},{name},SETDA,80\n"
        )
    )
    db.session.commit()


def _as_text(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def test_loading_equals_the_stored_answers(app: Flask, spi: Survey) -> None:
    add_campaign_responses(spi.campaign, {"SETDA": 7, "DINKES": 5})
    frame = responses_frame(spi.campaign)
    assert len(frame) == 3 * 12
    assert (frame["institution"] == "KOTA").all()
    # Single-choice answers as categories (a byte per answer), text answers and design columns as text.
    for q in (t.questionnaire for t in response_tables(spi.campaign)):
        for item in q.iter_items():
            if item.type.stores_answer:
                expected_dtype = "category" if item.type.value == "select_one" else "string"
                assert frame[item.id].dtype == expected_dtype, item.id
    assert frame["unit"].dtype == "string"
    # The reference: the export, which decodes every response's JSON in Python, one by one.
    for table in response_tables(spi.campaign):
        items = table.columns[table.columns.index("duration_seconds") + 1 :]
        group = table.questionnaire.group.value
        ours = frame.loc[frame["group"] == group, ["unit", *items]]
        expected = sorted(
            tuple(_as_text(v) for v in [row[table.columns.index("unit")], *row[-len(items) :]])
            for row in table.rows
        )
        got = sorted(tuple(_as_text(v) for v in row) for row in ours.itertuples(index=False))
        assert got == expected


def _compute(client: FlaskClient, slug: str) -> object:
    page = client.get(f"/admin/campaigns/{slug}/results/").get_data(as_text=True)
    return client.post(f"/admin/campaigns/{slug}/results/compute", data={"csrf_token": csrf_of(page)})


def test_compute_shows_table_charts_and_suppression(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "INSP": 20, "DINKES": 3})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    response = _compute(client, spi.campaign.slug)
    assert response.status_code == 302  # type: ignore[attr-defined]
    run = db.session.scalar(select(ScoreRun).where(ScoreRun.campaign_id == spi.campaign.id))
    assert run is not None
    assert run.responses_read == 3 * 63
    index = table_of(run, "index").set_index("unit")
    setda = index.loc["SETDA"]
    assert setda["n"] == 120
    assert setda["published"]
    assert setda["ci_low"] < setda["estimate"] < setda["ci_high"]
    groups = table_of(run, "groups")
    dinkes = groups.loc[groups["unit"] == "DINKES"]
    assert dinkes["suppressed"].all()
    assert dinkes["estimate"].isna().all()

    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/").get_data(as_text=True)
    assert f"{setda['estimate']:.1f}".replace(".", ",") in page  # the page is in Indonesian: 68,4
    assert f"badge-{setda['category']}" in page
    # DINKES' group counts are shown only as "< min_cell", their results not at all.
    assert "Pegawai (internal): &lt; 5 (" in page
    assert "Pegawai (internal): 3 (" not in page
    # The institution as a whole heads the table: its index and every group's n over all units.
    overall = table_of(run, "overall").iloc[0]
    assert 'class="institution-row"' in page
    assert page.index('class="institution-row"') < page.index(">SETDA<")
    assert f"{overall['estimate']:.1f}".replace(".", ",") in page
    assert overall["n"] == 3 * 63
    # DINKES weighs 300 of 500 employees with 3 respondents, and SETDA's internal cell follows from its
    # published index and other groups: the institution's internal cell would pin DINKES (the LP audit of
    # disclosure_audit), so it is withheld too, and says why.
    assert "Pegawai (internal): — (ditahan untuk melindungi sel lain)</li>" in page
    png = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}/heatmap.png")
    assert png.status_code == 200
    assert png.data.startswith(b"\x89PNG")
    svg = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}/forest.svg")
    assert svg.mimetype == "image/svg+xml"
    assert "<svg" in svg.get_data(as_text=True)
    assert 'alt="Heat map' in page or 'alt="Peta' in page


def test_downloads_carry_metadata_and_are_audited(app: Flask, client: FlaskClient, spi: Survey) -> None:
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 35, "INSP": 20, "DINKES": 2})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    _compute(client, spi.campaign.slug)
    run = db.session.scalar(select(ScoreRun).where(ScoreRun.campaign_id == spi.campaign.id))
    assert run is not None
    base = f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/results.zip").data))
    stem = f"{spi.campaign.slug}-results-{run.id}"
    table = pd.read_csv(archive.open(f"{stem}.csv"))
    meta = json.loads(archive.read(f"{stem}.metadata.json"))
    stored = table_of(run, "index")
    assert list(table["unit"]) == list(stored["unit"])
    # The published figures: rounded to one decimal, the units withheld beside the small one left empty.
    shown = ~table["suppressed"].astype(bool)
    assert list(table.loc[~shown, "unit"]) == ["DINKES", "INSP"]
    pd.testing.assert_series_equal(
        table.loc[shown, "estimate"], stored.loc[shown, "estimate"].astype(float).round(1), check_names=False
    )
    assert table.loc[~shown, "estimate"].isna().all()
    assert meta["profile"]["hash"] == run.profile_hash
    assert meta["campaign"] == spi.campaign.slug
    # The institution as a whole, its dimension scores and the target travel with the units (issue 17).
    assert set(archive.namelist()) == {
        f"{stem}.csv",
        f"{stem}-institution.csv",
        f"{stem}-dimensions.csv",
        f"{stem}.metadata.json",
    }
    whole = pd.read_csv(archive.open(f"{stem}-institution.csv"))
    assert whole["estimate"].iloc[0] == round(float(table_of(run, "overall")["estimate"].iloc[0]), 1)
    assert {"target", "gap_to_target", "prob_at_least_target"} <= set(table.columns)
    dims = pd.read_csv(archive.open(f"{stem}-dimensions.csv"), keep_default_na=False, na_values=[""])
    institution_dims = dims.loc[dims["institution"].notna() & dims["unit"].isna()]
    assert set(institution_dims["dimension"]) == set(table_of(run, "overall_dimensions")["dimension"])
    assert dims.loc[dims["unit"] == "DINKES", "estimate"].isna().all()  # withheld there too
    xlsx = pd.read_excel(io.BytesIO(client.get(f"{base}/results.xlsx").data), sheet_name=None)
    assert set(xlsx) == {"results", "institution", "dimensions", "metadata"}
    assert list(xlsx["results"]["unit"]) == list(stored["unit"])
    exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.results")).all()
    assert sorted(e.details["format"] for e in exports) == ["xlsx", "zip"]
    assert all(e.user_email == "analyst@example.org" for e in exports)


def test_compute_without_responses_says_so(app: Flask, client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    response = _compute(client, spi.campaign.slug)
    assert response.status_code == 302  # type: ignore[attr-defined]
    # The job page says why the computation failed (no traceback, no progress bar).
    page = client.get(response.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Belum ada jawaban untuk dihitung." in page  # default language: id
    assert "<progress" not in page
    assert "Traceback" not in page
    assert db.session.scalar(select(ScoreRun.id)) is None


def test_monitoring_counts_invitations_and_responses(app: Flask, client: FlaskClient, spi: Survey) -> None:
    spi.issue(4, group="internal", unit="SETDA")
    add_campaign_responses(spi.campaign, {"DINKES": 2})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}").get_data(as_text=True)
    from survey_app.admin.campaigns import monitoring

    rows = {(r.unit_code, r.group): r for r in monitoring(spi.campaign)}
    assert rows[("SETDA", "internal")].issued == 4
    assert rows[("SETDA", "internal")].rate == 0
    assert rows[("DINKES", "external")].invited_responses == 2
    assert "Sekretariat Daerah" in page


def test_the_page_names_the_minimum_that_applied(app: Flask, client: FlaskClient, spi: Survey) -> None:
    # The profile asks for 10 respondents, the campaign for 5: groups of 7 fall under the profile's minimum
    # only, and the page must say so (it used to print the campaign's 5).
    profile = json.loads(spi.campaign.profile_json)
    profile["min_cell"] = 10
    spi.campaign.profile_json = json.dumps(profile)
    spi.campaign.min_cell = 5
    db.session.commit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "DINKES": 7})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    _compute(client, spi.campaign.slug)
    run = db.session.scalar(select(ScoreRun).where(ScoreRun.campaign_id == spi.campaign.id))
    assert run is not None
    groups = table_of(run, "groups")
    dinkes = groups.loc[groups["unit"] == "DINKES"]
    assert (dinkes["n"] == 7).all()
    assert dinkes["suppressed"].all()
    # 21 respondents in the unit, none of its groups publishable: the index is withheld as "no group has
    # enough respondents" (issue 16, item 10), not as a small cell.
    dinkes_index = table_of(run, "index").set_index("unit").loc["DINKES"]
    assert not dinkes_index["published"]
    assert dinkes_index["note"] == "not published: no group has enough respondents"
    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    assert "suppressed (fewer than 10 respondents)" in page
    assert "fewer than 5 respondents" not in page
    shown = _page_numbers(page)
    assert [v for k, v in shown.items() if "DINKES" in k] == [None]  # withheld all the same


_ROW = re.compile(r'<th scope="row">([^<]+)</th>\s*<td class="num( suppressed)?"[^>]*>([^<]*)</td>')


def _page_numbers(page: str) -> dict[str, float | None]:
    """The results table of the console page: label → index as shown (``None``: withheld)."""
    start = page.index('<table class="data results">')
    table = page[start : page.index("</table>", start)]
    return {label: None if hidden else float(text) for label, hidden, text in _ROW.findall(table)}


def test_no_withheld_unit_can_be_recomputed(app: Flask, client: FlaskClient, spi: Survey) -> None:
    """Issue 12, "why" 3: the institution's index × n minus the published units' gave a one-person unit's
    score. Replayed on the console page, the CSV and the XLSX of the same run, by an attacker who knows every
    unit's true number of respondents: every withheld unit stays anywhere in 0–100."""
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "INSP": 20, "DINKES": 1})
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    _compute(client, spi.campaign.slug)
    run = db.session.scalar(select(ScoreRun).where(ScoreRun.campaign_id == spi.campaign.id))
    assert run is not None
    respondents = table_of(run, "groups").groupby("unit")["n"].sum().to_dict()
    total_n = int(table_of(run, "overall")["n"].iloc[0])
    assert total_n == sum(respondents.values()) == 3 * 61

    page = client.get(f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en").get_data(as_text=True)
    shown = _page_numbers(page)
    institution = shown.pop("The institution as a whole")
    assert institution is not None  # the institution's index stays published
    assert shown["SETDA"] is not None
    base = f"/admin/campaigns/{spi.campaign.slug}/results/{run.id}"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/results.zip").data))
    csv = pd.read_csv(archive.open(f"{spi.campaign.slug}-results-{run.id}.csv"))
    xlsx = pd.read_excel(io.BytesIO(client.get(f"{base}/results.xlsx").data), sheet_name="results")
    sources: dict[str, dict[str, float | None]] = {"page": shown}
    for name, table in (("csv", csv), ("xlsx", xlsx)):
        sources[name] = {
            str(u): None if pd.isna(e) else float(e)
            for u, e in zip(table["unit"], table["estimate"], strict=True)
        }
    for name, numbers in sources.items():
        published = {u: (x, int(respondents[u])) for u, x in numbers.items() if x is not None}
        withheld = {u: int(respondents[u]) for u, x in numbers.items() if x is None}
        assert "DINKES" in withheld, name
        bounds = subtraction_bounds(institution, total_n, published, withheld)
        low, high = bounds["DINKES"]
        assert high - low >= 50, (name, low, high)
    # The n of the small unit: "< 5" on the page and in the files, never its count.
    assert "Employees (internal): &lt; 5 (" in page
    for table in (csv, xlsx):
        dinkes = table.set_index("unit").loc["DINKES"]
        assert pd.isna(dinkes["n"])
        assert dinkes["n_below"] == 5
        assert "n=" not in str(dinkes["note"])
    # Published figures have one decimal, in the files as on the page.
    for table in (csv, xlsx):
        values = table[["estimate", "se", "ci_low", "ci_high"]].stack().dropna()
        assert len(values) > 0
        assert (values == values.round(1)).all()
    assert shown_tables(spi.campaign, run)["index"].set_index("unit").loc["INSP", "suppression"] == (
        "complementary"
    )
