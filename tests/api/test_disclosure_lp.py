"""Issue 12, "why" 3, across sets: an insider who reads every figure the API publishes of a real run (units'
index, group and dimension cells, the institution's rows), knows every cell's true ``n``, the population
weights and the profile, writes every identity of the scoring down as linear (in)equalities with the rounding
as ±0.05, and solves the LP for each withheld cell (:mod:`survey_app.domain.disclosure_audit`). Every cell
withheld as too small keeps a range of at least :data:`PROTECTION_WIDTH` points."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

import pandas as pd
from flask.testing import FlaskClient

from survey_app.domain.disclosure import KEYS, profile_weights
from survey_app.domain.disclosure_audit import (
    PROTECTION_WIDTH,
    View,
    exposures,
    score_identities,
)
from survey_app.domain.results.rows import cell_weights, run_tables, shown_tables
from tests.admin.admintools import login, make_user
from tests.admin.test_results import _page_numbers, add_unit
from tests.api.apitools import campaign_with_run, get, publish, token_for
from tests.apptools import Survey

COUNTS = {"SETDA": 40, "INSP": 20, "BAPP": 12, "DISH": 3, "DINKES": 1}


def _published(
    raw: Mapping[str, pd.DataFrame], found: Mapping[str, list[dict[str, Any]]]
) -> dict[str, pd.DataFrame]:
    """The raw tables with the published estimates in place of the stored ones (``None``: withheld), matched
    by each table's keys; ``_hidden`` marks the withheld cells."""
    out = {}
    for name, records in found.items():
        keys = [k for k in KEYS[name] if k in raw[name].columns]
        shown = {tuple(str(r[k]) for k in keys): r.get("estimate") for r in records}
        table = raw[name].reset_index(drop=True).copy()
        labels = [tuple(str(v) for v in row) for row in table[keys].itertuples(index=False, name=None)]
        assert all(label in shown for label in labels), name
        table["estimate"] = [shown[label] for label in labels]
        table["estimate"] = pd.to_numeric(table["estimate"], errors="coerce")
        table["_hidden"] = table["estimate"].isna()
        table["_primary"] = [
            next(r.get("n_below") is not None for r in records if tuple(str(r[k]) for k in keys) == label)
            for label in labels
        ]
        out[name] = table
    return out


def test_no_withheld_cell_can_be_narrowed_by_linear_programming(client: FlaskClient, spi: Survey) -> None:
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    publish(run)
    token = token_for("viewer")
    slug = spi.campaign.slug
    body = get(client, f"/api/v1/campaigns/{slug}/results", token).get_json()
    dims = get(client, f"/api/v1/campaigns/{slug}/results/dimensions", token).get_json()
    found = {
        "index": body["units"],
        "groups": [dict(g, unit=u["unit"]) for u in body["units"] for g in u["groups"]],
        "overall": [body["institution"]],
        "overall_groups": [
            dict(g, institution=body["institution"]["institution"]) for g in body["institution"]["groups"]
        ],
        "dimensions": dims["cells"],
        "overall_dimensions": dims["institution_cells"],
    }
    raw = run_tables(run)
    shown = _published(raw, found)
    withheld = {(name, int(r)) for name, frame in shown.items() for r in frame.index[frame["_hidden"]]}
    primary = [
        (name, int(r))
        for name, frame in shown.items()
        for r in frame.index[frame["_primary"] & (frame["n"] > 0)]
    ]
    assert any(name == "groups" for name, _ in primary)
    assert any(name == "dimensions" for name, _ in primary)
    identities = score_identities(raw, cell_weights(run), profile_weights(spi.campaign))
    found_exposed = exposures(View(shown, withheld), identities, primary)
    assert found_exposed == [], [(e.cell, round(e.low, 1), round(e.high, 1)) for e in found_exposed]
    assert PROTECTION_WIDTH == 50.0


def test_every_output_publishes_the_api_s_figures_and_no_more(client: FlaskClient, spi: Survey) -> None:
    """The LP above reads the API; the console page, the CSV and the XLSX downloads show the same cells
    withheld and the same figures, so the attack on them is the same attack."""
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    publish(run)
    token = token_for("viewer")
    slug = spi.campaign.slug
    body = get(client, f"/api/v1/campaigns/{slug}/results", token).get_json()
    dims = get(client, f"/api/v1/campaigns/{slug}/results/dimensions", token).get_json()
    index = {u["unit"]: u["estimate"] for u in body["units"]}
    cells = {(c["unit"], c["group"], c["dimension"]): c["estimate"] for c in dims["cells"]}
    cells |= {("", c["group"], c["dimension"]): c["estimate"] for c in dims["institution_cells"]}
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    base = f"/admin/campaigns/{slug}/results/{run.id}"
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{base}/results.zip").data))
    stem = f"{slug}-results-{run.id}"
    files = {
        "csv": (
            pd.read_csv(archive.open(f"{stem}.csv")),
            pd.read_csv(archive.open(f"{stem}-dimensions.csv"), keep_default_na=False, na_values=[""]),
        ),
        "xlsx": (
            pd.read_excel(io.BytesIO(client.get(f"{base}/results.xlsx").data), sheet_name="results"),
            pd.read_excel(
                io.BytesIO(client.get(f"{base}/results.xlsx").data),
                sheet_name="dimensions",
                keep_default_na=False,
                na_values=[""],
            ),
        ),
    }

    def same(a: object, b: object) -> bool:
        if a is None or (isinstance(a, float) and pd.isna(a)):
            return b is None or (isinstance(b, float) and pd.isna(b))
        return b is not None and not pd.isna(b) and abs(float(a) - float(b)) < 1e-9  # type: ignore[arg-type]

    for name, (results, dimensions) in files.items():
        for unit, estimate in zip(results["unit"], results["estimate"], strict=True):
            assert same(index[str(unit)], estimate), (name, unit)
        for unit, group, dimension, estimate in dimensions[
            ["unit", "group", "dimension", "estimate"]
        ].itertuples(index=False, name=None):
            key = ("" if pd.isna(unit) else str(unit), str(group), str(dimension))
            assert same(cells[key], estimate), (name, key)
    page = client.get(f"/admin/campaigns/{slug}/results/?lang=en").get_data(as_text=True)
    shown = _page_numbers(page)
    shown.pop("The institution as a whole")
    for unit, estimate in shown.items():
        assert same(index[unit], estimate), ("page", unit)


def test_a_question_s_answers_are_withheld_together(spi: Survey) -> None:
    """The audit solves question sets one answer at a time; an answer withheld beside its question's
    shown answers would be 100 minus them, so every answer of a question in one place goes together."""
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    tables = shown_tables(spi.campaign, run)
    for name, place in (("questions", "unit"), ("overall_questions", "institution")):
        blocks = tables[name].groupby([place, "group", "item"])["estimate"]
        mixed = blocks.apply(lambda shares: shares.isna().any() and shares.notna().any())
        assert not mixed.any(), (name, list(mixed[mixed].index[:3]))
    assert tables["overall_questions"]["estimate"].isna().any()  # the audit did withhold some
