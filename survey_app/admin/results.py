"""Results of a campaign: compute a run (a background job with a progress page), publish it, read the table
per unit, charts (heat map, forest plot, trend across campaigns), downloads.

Viewers see only the newest published run (:func:`survey_app.domain.results.runs.visible_run`), on the page,
in the charts and in the trend; analysts and admins see the newest run and publish or unpublish it.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.admin.forms import ActionForm
from survey_app.admin.report_text import compose
from survey_app.admin.terms import GROUP_LABELS
from survey_app.admin.terms import number as locale_number
from survey_app.domain.accounts import audit, campaign_for
from survey_app.domain.disclosure import COMPLEMENTARY, effective_min_cell
from survey_app.domain.questionnaires import campaign_versions
from survey_app.domain.results.files import results_csv_zip, write_results_xlsx
from survey_app.domain.results.headline import answer, download_tables
from survey_app.domain.results.jobs import NO_RESPONSES, WORKER_LOST, is_lost, request_job
from survey_app.domain.results.questions import question_rows
from survey_app.domain.results.report import build_report
from survey_app.domain.results.rows import (
    PublishRefusedError,
    check_publishable,
    readable_run,
    shown_tables,
    trend_frame,
    trend_rows,
    unit_rows,
)
from survey_app.domain.results.runs import (
    campaign_profile,
    latest_run,
    run_metadata,
    visible_run,
)
from survey_app.extensions import db
from survey_app.i18n import template_context
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign, ScoreRun
from survey_app.models.score_runs import ComputeJob
from survey_app.models.types import utcnow
from survey_app.queue import workers_listening
from survey_app.reporting import charts
from survey_app.reporting.numbers import compact, number, percent, share
from survey_app.reporting.report_pdf import render_pdf
from survey_app.security import policy_with_style
from survey_app.worker import heartbeat_timeout, start_job

bp = Blueprint("admin_results", __name__, url_prefix="/admin/campaigns/<slug>/results")

CHARTS = ("heatmap", "forest")
TRENDS = ("overall", "units")
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def _lang() -> str:
    return str(template_context()["current_lang"])


@bp.context_processor
def _numbers() -> dict[str, Any]:
    """``number`` and ``percent`` in the page's language, for the results templates."""
    lang = _lang()
    return {
        "number": lambda value, digits=1, sign=False: number(value, digits, lang, sign=sign),
        "percent": lambda value: percent(value, lang),
        "share": lambda value: share(value, lang),
        "compact": lambda value: compact(value, lang),
        "group_labels": GROUP_LABELS,
    }


def heatmap_chart(campaign: Campaign, run: ScoreRun, lang: str) -> charts.Chart:
    dims = shown_tables(campaign, run)["dimensions"]
    combined = dims.loc[dims["group"] == "all"]
    scores = combined.pivot(index="unit", columns="dimension", values="estimate")
    hidden = combined.pivot(index="unit", columns="dimension", values="suppressed").astype(bool)
    protecting = combined.assign(c=combined["suppression"] == COMPLEMENTARY).pivot(
        index="unit", columns="dimension", values="c"
    )
    profile = campaign_profile(campaign)
    order = [d.id for d in profile.dimensions if d.id in scores.columns]
    return charts.heatmap(
        scores[order],
        suppressed=hidden[order],
        withheld=protecting[order].astype(bool),
        min_cell=effective_min_cell(campaign, run),
        dimensions=profile.dimensions,
        labels=lang,
    )


def forest_chart(campaign: Campaign, run: ScoreRun, lang: str) -> charts.Chart:
    index = shown_tables(campaign, run)["index"].set_index("unit")
    profile = campaign_profile(campaign)
    return charts.forest_plot(
        index[["estimate", "ci_low", "ci_high", "n", "suppressed", "suppression"]],
        categories=profile.categories,
        target=campaign.target_index,
        min_cell=effective_min_cell(campaign, run),
        labels=lang,
    )


def _chart(campaign: Campaign, run: ScoreRun, name: str, lang: str) -> charts.Chart | None:
    try:
        return heatmap_chart(campaign, run, lang) if name == "heatmap" else forest_chart(campaign, run, lang)
    except ValueError:
        # Nothing drawable (every cell suppressed or no dimensions): the page says so instead.
        return None


#: The columns of the charts' number tables, in words.
TABLE_COLUMNS = {
    "estimate": lazy_gettext("Index"),
    "ci_low": lazy_gettext("Lower bound"),
    "ci_high": lazy_gettext("Upper bound"),
    "n": lazy_gettext("Respondents"),
    "suppressed": lazy_gettext("Suppressed"),
    "category": lazy_gettext("Category"),
    "category_uncertain": lazy_gettext("Category uncertain"),
    "campaign": lazy_gettext("Survey round"),
    "period": lazy_gettext("Period"),
    "series": lazy_gettext("Series"),
}


def table_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """A chart's number table as header and text rows, in the console's language: column names in words,
    numbers in the locale's format, yes/no for flags (no inline styles, which the CSP would block)."""
    flat = table.reset_index()
    header = [str(TABLE_COLUMNS.get(str(c), c)) for c in flat.columns]

    def cell(v: object) -> str:
        if isinstance(v, bool | np.bool_):
            return str(_("yes") if v else _("no"))
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return "—"
        if isinstance(v, float | np.floating):
            return locale_number(float(v), 1)
        if isinstance(v, int | np.integer):
            return locale_number(int(v))
        return str(v)

    rows = [[cell(v) for v in record] for record in flat.itertuples(index=False)]
    return header, rows


@bp.route("/")
@requires_role("viewer")
def show(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    run = visible_run(campaign, current_user.role)
    lang = _lang()
    figures = {}
    if run is not None:
        figures = {name: _chart(campaign, run, name, lang) for name in CHARTS}
    trend = {which: _trend(campaign, which, lang) for which in TRENDS}
    summary = answer(campaign, run, current_user.role, lang) if run is not None else None
    places: list[tuple[str | None, str]] = [(None, campaign.institution.name)]
    if summary is not None:
        places += [(u.unit, u.name) for u in sorted(summary.units, key=lambda u: u.name)]
    chosen = request.args.get("unit") or None
    if chosen not in {code for code, _name in places}:
        chosen = None
    questions = _question_rows(campaign, run, lang, chosen) if run is not None else []
    return render_template(
        "admin/results.html",
        campaign=campaign,
        run=run,
        # A viewer sees published runs only: "not computed yet" would be untrue when one is unpublished.
        computed_unpublished=run is None and latest_run(campaign) is not None,
        summary=summary,
        places=places,
        chosen_unit=chosen,
        questions=questions,
        published=visible_run(campaign, "viewer"),
        rows=unit_rows(campaign, run) if run else [],
        min_cell=effective_min_cell(campaign, run),
        figures=figures,
        trend=trend,
        trend_points=len(trend_rows(campaign, current_user.role)),
        form=ActionForm(),
        show_quality=current_user.role in ("admin", "analyst"),
        category_labels={
            c.id: c.label.get(lang) or c.id.capitalize() for c in campaign_profile(campaign).categories
        },
        table_cells=table_cells,
    )


def _question_rows(campaign: Campaign, run: ScoreRun, lang: str, unit: str | None) -> list[Any]:
    tables = shown_tables(campaign, run)
    questionnaires = [q for _, q in campaign_versions(campaign)]
    if unit is None:
        table = tables.get("overall_questions")
        where, place = "institution", campaign.institution.code
    else:
        table, where, place = tables.get("questions"), "unit", unit
    if table is None:
        return []
    return question_rows(table, questionnaires, lang, where=where, place=place)


@bp.route("/compute", methods=["POST"])
@requires_role("analyst")
def compute(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    job, created = request_job(campaign, current_user, heartbeat_timeout=heartbeat_timeout())
    db.session.commit()
    if created:
        start_job(job)
    else:
        flash(_("A computation of this campaign is already running; this page follows it."))
    return redirect(url_for(".job", slug=slug, job_id=job.id))


def _job_of(campaign: Campaign, job_id: int) -> ComputeJob:
    job = db.session.get(ComputeJob, job_id)
    if job is None or job.campaign_id != campaign.id:
        abort(404)
    return job


def _stage_label(stage: str) -> str:
    labels: dict[str, str] = {
        "": _("Waiting to start"),
        "reading responses": _("Reading responses"),
        "index": _("Computing the index"),
        "data quality": _("Checking data quality"),
        "questions": _("Computing the answers to each question"),
        "storing": _("Storing the results"),
        "done": _("Done"),
    }
    return labels.get(stage, stage)


def _job_error(job: ComputeJob) -> str:
    if job.error == NO_RESPONSES:
        return str(_("There are no responses to compute yet."))
    if job.error == WORKER_LOST or job.state in ("queued", "running"):
        return str(
            _(
                "The computation stopped: the process running it ended (it was stopped or crashed). "
                "Start it again."
            )
        )
    return str(
        _("The computation failed. Please try again, or ask an administrator to look at the server log.")
    )


def job_status(campaign: Campaign, job: ComputeJob) -> dict[str, Any]:
    """What the status page and its script show. A job whose process died shows as failed at once, before
    anything has marked it so in the database (the next "Compute" or ``flask worker`` does)."""
    state = "failed" if is_lost(job, heartbeat_timeout()) else job.state
    waiting = ""
    if state == "queued" and workers_listening() == 0:
        waiting = str(_("No worker is running to take this computation; ask an administrator to start it."))
    return {
        "id": job.id,
        "state": state,
        "stage": _stage_label(job.stage if state != "queued" else ""),
        "progress": round(float(job.progress), 3),
        "error": _job_error(job) if state == "failed" else "",
        "waiting": waiting,
        "results_url": url_for(".show", slug=campaign.slug),
        "page_url": url_for(".job", slug=campaign.slug, job_id=job.id),
    }


@bp.route("/jobs/<int:job_id>")
@requires_role("analyst")
def job(slug: str, job_id: int) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    job = _job_of(campaign, job_id)
    if job.state == "done":
        flash(_("The results have been computed."))
        return redirect(url_for(".show", slug=slug))
    return render_template(
        "admin/compute_job.html",
        campaign=campaign,
        job=job,
        status=job_status(campaign, job),
        status_url=url_for(".job_status_json", slug=slug, job_id=job.id),
    )


@bp.route("/jobs/<int:job_id>.json")
@requires_role("analyst")
def job_status_json(slug: str, job_id: int) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    response = jsonify(job_status(campaign, _job_of(campaign, job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:run_id>/<any(publish, unpublish):action>", methods=["POST"])
@requires_role("analyst")
def publish(slug: str, run_id: int, action: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    run = readable_run(campaign, run_id, current_user.role)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action == "publish":
        try:
            check_publishable(campaign, run)
        except PublishRefusedError as refused:
            flash(
                _(
                    "Run %(id)s cannot be published yet. Compared with run %(other)s, which viewers have "
                    "seen, %(count)s result(s) changed with fewer than %(k)s new respondents, so the "
                    "difference between the two runs would show the answers of the few who were added: "
                    "%(cells)s. Publish a run once each of them has gained at least %(k)s respondents.",
                    id=run.id,
                    other=refused.other_id,
                    count=len(refused.blockers),
                    k=refused.min_cell,
                    cells=refused.cells(),
                )
            )
            return redirect(url_for(".show", slug=slug))
        run.published_at, run.published_by = utcnow(), current_user.email
        flash(_("Run %(id)s is published: viewers now see it.", id=run.id))
    else:
        run.published_at, run.published_by = None, None
        flash(_("Run %(id)s is no longer published.", id=run.id))
    audit(f"results.{action}", f"campaign:{campaign.slug}", run=run.id, user=acting_user())
    db.session.commit()
    return redirect(url_for(".show", slug=slug))


def trend_chart(campaign: Campaign, role: str, which: str, lang: str) -> charts.Chart | None:
    frame = trend_frame(campaign, role, which)
    if frame.empty or frame["campaign"].nunique() < 2:
        return None
    profile = campaign_profile(campaign)
    columns = [
        "campaign",
        "series",
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "suppressed",
        "suppression",
        "changed_since",
    ]
    try:
        chart = charts.trend_chart(
            frame[[c for c in columns if c in frame.columns]],
            series="series" if which == "units" else None,
            categories=profile.categories,
            target=campaign.target_index,
            min_cell=profile.min_cell,
            labels=lang,
            title=_("Index across campaigns") if which == "overall" else _("Index across campaigns, by unit"),
        )
    except ValueError:
        return None
    # The numbers table reads by campaign (and unit), oldest first.
    keys = ["campaign", "series"] if which == "units" else ["campaign"]
    return dataclasses.replace(chart, table=chart.table.set_index(keys))


def _trend(campaign: Campaign, which: str, lang: str) -> charts.Chart | None:
    return trend_chart(campaign, current_user.role, which, lang)


@bp.route("/trend-<any(overall, units):which>.<any(png, svg):fmt>")
@requires_role("viewer")
def trend(slug: str, which: str, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    figure = _trend(campaign, which, _lang())
    if figure is None:
        abort(404)
    body: bytes | str = figure.png if fmt == "png" else figure.svg
    return Response(body, mimetype=FORMATS[fmt])


@bp.route("/<int:run_id>/<any(heatmap, forest):chart>.<any(png, svg):fmt>")
@requires_role("viewer")
def chart(slug: str, run_id: int, chart: str, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    figure = _chart(campaign, readable_run(campaign, run_id, current_user.role), chart, _lang())
    if figure is None:
        abort(404)
    body: bytes | str = figure.png if fmt == "png" else figure.svg
    return Response(body, mimetype=FORMATS[fmt])


def _download(campaign: Campaign, run: ScoreRun, fmt: str) -> Response:
    tables = download_tables(campaign, run)
    table = tables.pop("results")
    meta = run_metadata(run)
    stem = f"{campaign.slug}-results-{run.id}"
    if fmt == "zip":
        body = results_csv_zip(table, meta, stem=stem, extra=tables)
        mimetype = "application/zip"
    else:
        buffer = io.BytesIO()
        write_results_xlsx(table, meta, buffer, extra=tables)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    audit("export.results", f"campaign:{campaign.slug}", run=run.id, format=fmt, user=acting_user())
    db.session.commit()
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    )


@bp.route("/<int:run_id>/results.<any(zip, xlsx):fmt>")
@requires_role("analyst")
def download(slug: str, run_id: int, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    return _download(campaign, readable_run(campaign, run_id, current_user.role), fmt)


REPORT_LANGUAGES = ("id", "en")


@functools.cache
def _read_css(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _report_css() -> str:
    """The HTML twin's stylesheet, inlined so that a copy saved from the browser keeps its look."""
    folder = current_app.static_folder
    assert folder is not None
    return _read_css(str(Path(folder) / "report.css"))


def _report_charts(campaign: Campaign, run: ScoreRun, lang: str) -> dict[str, tuple[bytes, str]]:
    out = {}
    for name in CHARTS:
        figure = _chart(campaign, run, name, lang)
        if figure is not None:
            out[name] = (figure.png, figure.alt_text)
    trend = trend_chart(campaign, "viewer", "overall", lang)
    if trend is not None:
        out["trend"] = (trend.png, trend.alt_text)
    return out


@bp.route("/<int:run_id>/report.<any(pdf, html):fmt>")
@requires_role("viewer")
def report(slug: str, run_id: int, fmt: str) -> ResponseReturnValue:
    """The institution report of a published run, in ``?language=id|en`` (not ``lang``, which would switch
    the console's own language)."""
    campaign = campaign_for(current_user, slug)
    run = readable_run(campaign, run_id, current_user.role)
    language = request.args.get("language") or request.args.get("lang") or _lang()
    if language not in REPORT_LANGUAGES:
        abort(404)
    with force_locale(language):
        content = build_report(campaign, run, language, now=utcnow())
        blocks = compose(content, _report_charts(campaign, run, language))
        title = _("Integrity Assessment Survey") + f": {campaign.institution.name} – {campaign.period}"
        stem = f"{campaign.slug}-report-{run.id}-{language}"
        if fmt == "html":
            css = _report_css()
            body = render_template(
                "admin/report.html",
                blocks=blocks,
                title=title,
                language=language,
                campaign=campaign,
                run=run,
                kind=lambda block: type(block).__name__,
                b64=lambda data: base64.b64encode(data).decode("ascii"),
                pdf_url=url_for(".report", slug=slug, run_id=run.id, fmt="pdf", language=language),
                css=css,
            )
            audit(
                "export.report",
                f"campaign:{campaign.slug}",
                run=run.id,
                format=fmt,
                language=language,
                user=acting_user(),
            )
            db.session.commit()
            return body, {"Content-Security-Policy": policy_with_style(css)}
        pdf = render_pdf(
            blocks,
            title=title,
            footer=f"{campaign.institution.name} · {campaign.title} · " + _("run %(id)s", id=run.id),
            page_label=_("Page {page} of {pages}"),
            language=language,
            created=run.published_at or run.created_at,
        )
    audit(
        "export.report",
        f"campaign:{campaign.slug}",
        run=run.id,
        format=fmt,
        language=language,
        user=acting_user(),
    )
    db.session.commit()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{stem}.pdf"',
            "Cache-Control": "private, no-cache",
        },
    )
