"""Downloads of a campaign's responses per respondent group: CSV, XLSX, SPSS ``.sav``, Stata ``.dta``.

Every download is written to the audit log. The rows come from
:func:`survey_app.domain.exports.export_tables` (the same layout and rules as ``flask responses export``: data
stewards only, released responses, small units coarsened, free text on request); the writers and their rules
(labels, variable names, formula escaping) are :mod:`survey_app.domain.files`. The page at ``responses/``
says which of those rules apply to the reader now.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import cast

import pandas as pd
from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.dates import today
from survey_app.domain.accounts import audit, campaign_for, may_read_rows
from survey_app.domain.disclosure import effective_min_cell
from survey_app.domain.exports import (
    ExportNotAllowedError,
    export_tables,
    has_unreleased,
    released_before,
)
from survey_app.domain.files import (
    write_responses_csv,
    write_responses_dta,
    write_responses_sav,
    write_responses_xlsx,
)
from survey_app.domain.load_scripts import DownloadFormat, download_bundle
from survey_app.extensions import db
from survey_app.i18n import template_context
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign

bp = Blueprint("admin_exports", __name__, url_prefix="/admin/campaigns/<slug>/responses")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "zip": "application/zip",
}


#: Why a download was refused, in its ``export.refused`` audit entry (and for the page's wording).
NOT_STEWARD = "not_steward"
NOT_RELEASED = "not_released"


def _page(slug: str, refused: str | None = None) -> ResponseReturnValue:
    # A refusal is this page with 403: it says why (the template words the domain's reason for the reader).
    campaign = campaign_for(current_user, slug)
    return render_template(
        "admin/exports.html",
        campaign=campaign,
        steward=may_read_rows(current_user),
        refused=refused,
        released_before=released_before(campaign, today()),
        min_cell=effective_min_cell(campaign),
    ), (403 if refused else 200)


def _refuse(campaign: Campaign, reason: str, group: str, fmt: str) -> ResponseReturnValue:
    """The refusal page, and an ``export.refused`` audit entry: who, which campaign, group and format, and
    why; nothing of the responses."""
    audit(
        "export.refused",
        f"campaign:{campaign.slug}",
        reason=reason,
        group=group,
        format=fmt,
        user=acting_user(),
    )
    db.session.commit()
    return _page(campaign.slug, refused=reason)


@bp.route("/")
@requires_role("analyst")
def index(slug: str) -> ResponseReturnValue:
    """What may be downloaded now and why, the free-text warning, and the download form."""
    return _page(slug)


@bp.route("/<any(internal, external, expert):group>.<any(csv, xlsx, sav, dta):fmt>")
@bp.route("/<any(internal, external, expert):group>.<any(csv, xlsx, sav, dta):fmt>.zip", endpoint="bundle")
@requires_role("analyst")
def download(slug: str, group: str, fmt: str) -> ResponseReturnValue:
    """One group's responses as a file, or (``….zip``) the file with an R script and a Stata do-file that
    load it with its labels."""
    bundle = request.path.endswith(".zip")
    campaign = campaign_for(current_user, slug)
    free_text = request.args.get("free_text") in ("1", "y", "on")
    try:
        tables = export_tables(current_user, campaign, today(), include_free_text=free_text)
    except ExportNotAllowedError:
        return _refuse(campaign, NOT_STEWARD, group, fmt)
    tables = [t for t in tables if t.questionnaire.group.value == group]
    if not tables:
        abort(404)
    table = tables[0]
    if not table.rows and has_unreleased(campaign, group, released_before(campaign, today())):
        # The campaign is open and none of the group's responses came in before today.
        return _refuse(campaign, NOT_RELEASED, group, fmt)
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if fmt == "csv":
        text = io.StringIO()
        write_responses_csv(frame, table.questionnaire, text, bom=True)
        body: bytes = text.getvalue().encode("utf-8")
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        write_responses_xlsx(frame, table.questionnaire, buffer)
        body = buffer.getvalue()
    language = str(template_context()["current_lang"])
    if fmt in ("sav", "dta"):
        # pyreadstat writes to a path only.
        writer = write_responses_sav if fmt == "sav" else write_responses_dta
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"responses.{fmt}"
            writer(frame, table.questionnaire, path, language=language)
            body = path.read_bytes()
    stem = f"{campaign.slug}-{group}-responses"
    name = f"{stem}.{fmt}"
    if bundle:
        body = download_bundle(
            body,
            frame,
            table.questionnaire,
            cast(DownloadFormat, fmt),  # the route admits only these four
            stem,
            language=language,
            title=campaign.title,
        )
        name += ".zip"
    details = {"bundle": True} if bundle else {}
    audit(
        "export.responses",
        f"campaign:{campaign.slug}",
        group=group,
        format=fmt,
        rows=len(frame),
        free_text=free_text,
        user=acting_user(),
        **details,
    )
    db.session.commit()
    return Response(
        body,
        mimetype=MIMETYPES["zip" if bundle else fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
