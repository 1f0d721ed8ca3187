"""Downloads of a campaign's responses per respondent group: CSV, XLSX, SPSS ``.sav``, Stata ``.dta``.

Every download is written to the audit log. The rows come from
:func:`survey_app.domain.exports.response_tables` (the same layout as ``flask responses export``); the writers
and their rules (labels, variable names, formula escaping) are :mod:`survey_app.domain.files`.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from survey_app.domain.accounts import audit, campaign_for
from survey_app.domain.exports import response_tables
from survey_app.domain.files import (
    write_responses_csv,
    write_responses_dta,
    write_responses_sav,
    write_responses_xlsx,
)
from survey_app.extensions import db
from survey_app.i18n import template_context
from survey_app.login import acting_user, requires_role

bp = Blueprint("admin_exports", __name__, url_prefix="/admin/campaigns/<slug>/responses")

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


@bp.route("/<any(internal, external, expert):group>.<any(csv, xlsx, sav, dta):fmt>")
@requires_role("analyst")
def download(slug: str, group: str, fmt: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    tables = [t for t in response_tables(campaign) if t.questionnaire.group.value == group]
    if not tables:
        abort(404)
    table = tables[0]
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if fmt == "csv":
        text = io.StringIO()
        write_responses_csv(frame, table.questionnaire, text, bom=True)
        body: bytes = text.getvalue().encode("utf-8")
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        write_responses_xlsx(frame, table.questionnaire, buffer)
        body = buffer.getvalue()
    else:
        # pyreadstat writes to a path only.
        language = str(template_context()["current_lang"])
        writer = write_responses_sav if fmt == "sav" else write_responses_dta
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"responses.{fmt}"
            writer(frame, table.questionnaire, path, language=language)
            body = path.read_bytes()
    audit(
        "export.responses",
        f"campaign:{campaign.slug}",
        group=group,
        format=fmt,
        rows=len(frame),
        user=acting_user(),
    )
    db.session.commit()
    name = f"{campaign.slug}-{group}-responses.{fmt}"
    return Response(
        body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
