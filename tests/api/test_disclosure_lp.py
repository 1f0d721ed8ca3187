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

import numpy as np
import pandas as pd
from flask.testing import FlaskClient
from scipy.optimize import linprog

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


def _constraint(
    terms: list[tuple[tuple[str, int], float]],
    value: float,
    position: Mapping[tuple[str, int], int],
    shown: Mapping[str, pd.DataFrame],
) -> tuple[list[float], float, float]:
    """``sum a x = value`` over the unknowns (``position``), the published cells moved to the right with
    their rounding interval: ``(row, low, high)``."""
    row = [0.0] * len(position)
    low, high = value - 1e-6, value + 1e-6
    for cell, a in terms:
        if cell in position:
            row[position[cell]] += a
        else:
            figure = float(shown[cell[0]]["estimate"].iloc[cell[1]])
            ends = (a * max(0.0, figure - 0.05), a * min(100.0, figure + 0.05))
            low, high = low - max(ends), high - min(ends)
    return row, low, high


def _question_ranges(
    raw: Mapping[str, pd.DataFrame], shown: Mapping[str, pd.DataFrame], weights: pd.DataFrame | None
) -> list[tuple[str, str, str, str, float, float]]:
    """The question-level attack, written here apart from the audit: per respondent group and question, the
    withheld shares of every unit and of the institution are unknowns in 0–100; each published share is known
    to ±0.05; the shares of one place's answers add up to 100; the institution's share of each answer is
    the units' shares weighted by the design weight of their respondents to the question (the true ``n``
    times the unit × group's weight per respondent, which an insider may know). For every answer of every
    unit withheld as too small, the LP's range of its share."""
    units, whole = raw["questions"], raw["overall_questions"]
    per_respondent: dict[tuple[str, str], float] = {}
    if weights is not None:
        n_of = {
            (str(u), str(g)): int(n)
            for u, g, n in raw["groups"][["unit", "group", "n"]].itertuples(index=False)
        }
        for u, g, w in weights[["unit", "group", "weight"]].itertuples(index=False):
            if n_of.get((str(u), str(g))):
                per_respondent[(str(u), str(g))] = float(w) / n_of[(str(u), str(g))]

    def weight_of(r: int) -> float:
        unit, group = str(units["unit"].iloc[r]), str(units["group"].iloc[r])
        return int(units["n"].iloc[r]) * per_respondent.get((unit, group), 1.0)

    cells: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for name, frame in (("questions", units), ("overall_questions", whole)):
        for r, key in enumerate(frame[["group", "item"]].astype(str).itertuples(index=False, name=None)):
            cells.setdefault(key, []).append((name, r))
    out = []
    for (group, item), members in cells.items():
        unknown = [c for c in members if pd.isna(shown[c[0]]["estimate"].iloc[c[1]])]
        primary = [
            c
            for c in unknown
            if c[0] == "questions"
            and shown[c[0]]["suppression"].iloc[c[1]] == "primary"
            and int(raw[c[0]]["n"].iloc[c[1]]) > 0
        ]
        if not primary:
            continue
        position = {c: k for k, c in enumerate(unknown)}
        constraints: list[tuple[list[float], float, float]] = []
        places: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for cell in members:
            where = "unit" if cell[0] == "questions" else "institution"
            if int(raw[cell[0]]["n"].iloc[cell[1]]) > 0:
                places.setdefault((cell[0], str(raw[cell[0]][where].iloc[cell[1]])), []).append(cell)
        for block in places.values():
            constraints.append(_constraint([(c, 1.0) for c in block], 100.0, position, shown))
        answers: dict[str, list[tuple[str, int]]] = {}
        for cell in members:
            answers.setdefault(str(raw[cell[0]]["answer"].iloc[cell[1]]), []).append(cell)
        for answer_cells in answers.values():
            total = [c for c in answer_cells if c[0] == "overall_questions"]
            parts = [
                c for c in answer_cells if c[0] == "questions" and int(raw["questions"]["n"].iloc[c[1]]) > 0
            ]
            weight = sum(weight_of(c[1]) for c in parts)
            if not total or weight == 0:
                continue
            terms = [(total[0], 1.0)] + [(c, -weight_of(c[1]) / weight) for c in parts]
            constraints.append(_constraint(terms, 0.0, position, shown))
        a_ub = np.array([r for r, _, _ in constraints] + [[-v for v in r] for r, _, _ in constraints])
        b_ub = np.array([h for _, _, h in constraints] + [-lo for _, lo, _ in constraints])
        for cell in primary:
            c = np.zeros(len(unknown))
            c[position[cell]] = 1.0
            ends = []
            for sign in (1.0, -1.0):
                result = linprog(sign * c, A_ub=a_ub, b_ub=b_ub, bounds=(0.0, 100.0), method="highs")
                assert result.status == 0, (group, item, result.message)
                ends.append(sign * float(result.fun))
            unit = str(raw["questions"]["unit"].iloc[cell[1]])
            answer = str(raw["questions"]["answer"].iloc[cell[1]])
            out.append((unit, group, item, answer, ends[0], ends[1]))
    return out


def test_no_withheld_answer_share_can_be_narrowed_by_linear_programming(spi: Survey) -> None:
    """Question level: from every published share and ``n``, the sum to 100 within a question and the
    units-to-institution identity, no share of a unit withheld as too small is pinned to less than
    :data:`PROTECTION_WIDTH` points."""
    for code in ("INSP", "BAPP", "DISH"):
        add_unit(code, code.title())
    run = campaign_with_run(spi, COUNTS)
    shown = shown_tables(spi.campaign, run)
    raw = {name: frame.reset_index(drop=True) for name, frame in run_tables(run).items()}
    ranges = _question_ranges(raw, shown, cell_weights(run))
    assert len({(u, g, i) for u, g, i, *_ in ranges}) > 10  # the small units' questions were attacked
    narrow = [
        (u, g, i, a, round(lo, 1), round(hi, 1))
        for u, g, i, a, lo, hi in ranges
        if hi - lo < PROTECTION_WIDTH - 1e-6
    ]
    assert narrow == [], narrow[:10]
