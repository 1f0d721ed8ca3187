"""Results of a campaign: compute a run, read the table per unit, charts, downloads."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.accounts import audit, campaign_for, requires_role
from survey_app.admin.forms import ActionForm
from survey_app.extensions import db
from survey_app.i18n import template_context
from survey_app.models import Campaign, ScoreRun
from survey_app.reporting import charts
from survey_app.reporting.tables import results_csv_zip, write_results_xlsx
from survey_app.results.runs import (
    NoResponsesError,
    campaign_profile,
    compute_run,
    latest_run,
    run_metadata,
    table_of,
)

bp = Blueprint("admin_results", __name__, url_prefix="/admin/campaigns/<slug>/results")

CHARTS = ("heatmap", "forest")
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def _run_of(campaign: Campaign, run_id: int) -> ScoreRun:
    run = db.session.get(ScoreRun, run_id)
    if run is None or run.campaign_id != campaign.id:
        abort(404)
    return run


def _lang() -> str:
    return str(template_context()["current_lang"])


def unit_rows(run: ScoreRun) -> list[dict[str, Any]]:
    """The results table per unit: index row, n per group, quality flags."""
    index = table_of(run, "index")
    groups = table_of(run, "groups")
    flags = table_of(run, "quality_flags")
    rows = []
    for record in index.to_dict(orient="records"):
        unit = record["unit"]
        record["groups"] = groups.loc[
            groups["unit"] == unit, ["group", "n", "published", "suppressed"]
        ].to_dict(orient="records")
        record["flags"] = (
            flags.loc[flags["unit"] == unit].to_dict(orient="records") if "unit" in flags.columns else []
        )
        rows.append(record)
    return rows


def heatmap_chart(campaign: Campaign, run: ScoreRun, lang: str) -> charts.Chart:
    dims = table_of(run, "dimensions")
    combined = dims.loc[dims["group"] == "all"]
    scores = combined.pivot(index="unit", columns="dimension", values="estimate")
    hidden = combined.pivot(index="unit", columns="dimension", values="suppressed").astype(bool)
    profile = campaign_profile(campaign)
    order = [d.id for d in profile.dimensions if d.id in scores.columns]
    return charts.heatmap(
        scores[order],
        suppressed=hidden[order],
        min_cell=profile.min_cell,
        dimensions=profile.dimensions,
        labels=lang,
    )


def forest_chart(campaign: Campaign, run: ScoreRun, lang: str) -> charts.Chart:
    index = table_of(run, "index").set_index("unit")
    profile = campaign_profile(campaign)
    return charts.forest_plot(
        index[["estimate", "ci_low", "ci_high", "n", "suppressed"]],
        categories=profile.categories,
        target=campaign.target_index,
        min_cell=profile.min_cell,
        labels=lang,
    )


def _chart(campaign: Campaign, run: ScoreRun, name: str, lang: str) -> charts.Chart | None:
    try:
        return heatmap_chart(campaign, run, lang) if name == "heatmap" else forest_chart(campaign, run, lang)
    except ValueError:
        # Nothing drawable (every cell suppressed or no dimensions): the page says so instead.
        return None


def table_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """A chart's number table as header and text rows (no inline styles, which the CSP would block)."""
    flat = table.reset_index()
    header = [str(c) for c in flat.columns]
    rows = [
        ["—" if pd.isna(v) else (f"{v:.1f}" if isinstance(v, float) else str(v)) for v in record]
        for record in flat.itertuples(index=False)
    ]
    return header, rows


@bp.route("/")
@requires_role("viewer")
def show(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    run = latest_run(campaign)
    lang = _lang()
    figures = {}
    if run is not None:
        figures = {name: _chart(campaign, run, name, lang) for name in CHARTS}
    return render_template(
        "admin/results.html",
        campaign=campaign,
        run=run,
        rows=unit_rows(run) if run else [],
        figures=figures,
        form=ActionForm(),
        show_quality=current_user.role in ("admin", "analyst"),
        table_cells=table_cells,
    )


@bp.route("/compute", methods=["POST"])
@requires_role("analyst")
def compute(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        run = compute_run(campaign, current_user.email)
    except NoResponsesError:
        flash(_("There are no responses to compute yet."))
        return redirect(url_for(".show", slug=slug))
    audit("results.compute", f"campaign:{campaign.slug}", run=run.id, responses=run.responses_read)
    db.session.commit()
    return redirect(url_for(".show", slug=slug))


@bp.route("/<int:run_id>/<any(heatmap, forest):chart>.<any(png, svg):fmt>")
@requires_role("viewer")
def chart(slug: str, run_id: int, chart: str, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    figure = _chart(campaign, _run_of(campaign, run_id), chart, _lang())
    if figure is None:
        abort(404)
    body: bytes | str = figure.png if fmt == "png" else figure.svg
    return Response(body, mimetype=FORMATS[fmt], headers={"Cache-Control": "private, max-age=300"})


def _download(campaign: Campaign, run: ScoreRun, fmt: str) -> Response:
    table = table_of(run, "index")
    meta = run_metadata(run)
    stem = f"{campaign.slug}-results-{run.id}"
    if fmt == "zip":
        body = results_csv_zip(table, meta, stem=stem)
        mimetype = "application/zip"
    else:
        buffer = io.BytesIO()
        write_results_xlsx(table, meta, buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit("export.results", f"campaign:{campaign.slug}", run=run.id, format=fmt)
    db.session.commit()
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    )


@bp.route("/<int:run_id>/results.<any(zip, xlsx):fmt>")
@requires_role("analyst")
def download(slug: str, run_id: int, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    return _download(campaign, _run_of(campaign, run_id), fmt)
