"""Known population margins per group of a campaign, for calibrating its results: upload (every problem by
row, nothing stored on any), what is stored, and removal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from survey_app.admin.forms import ActionForm
from survey_app.admin.terms import error_text, group_label, problem_text
from survey_app.domain.accounts import campaign_for
from survey_app.domain.calibration import (
    MarginsRejectedError,
    campaign_margins,
    remove_margins,
    upload_margins,
)
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import GROUPS, Campaign

bp = Blueprint("admin_calibration", __name__, url_prefix="/admin/campaigns/<slug>/calibration")

METHOD_LABELS = {
    "poststratify": lazy_gettext("Post-stratification (one question)"),
    "rake": lazy_gettext("Raking (several questions, each margin matched)"),
    "linear": lazy_gettext("Linear (GREG) calibration (also numeric totals)"),
}


class MarginsForm(FlaskForm):
    group = SelectField(lazy_gettext("Respondent group"), validate_choice=True)
    method = SelectField(lazy_gettext("Method"), choices=list(METHOD_LABELS.items()), default="poststratify")
    margins_file = FileField(lazy_gettext("Margins (CSV: variable,level,total)"), validators=[FileRequired()])


def _form(campaign: Campaign) -> MarginsForm:
    form = MarginsForm()
    groups = sorted({q.respondent_group for q in campaign.questionnaires}, key=GROUPS.index)
    form.group.choices = [(g, group_label(g)) for g in groups]
    return form


def _page(
    campaign: Campaign, form: MarginsForm, problems: tuple[object, ...] = (), status: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "admin/calibration.html",
            campaign=campaign,
            form=form,
            stored=campaign_margins(campaign),
            problems=problems,
            problem_text=problem_text,
            method_labels=METHOD_LABELS,
            action_form=ActionForm(),
        ),
        status,
    )


@bp.route("/")
@requires_role("admin")
def show(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    return _page(campaign, _form(campaign))


@bp.route("/upload", methods=["POST"])
@requires_role("admin")
def upload(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    form = _form(campaign)
    if not form.validate_on_submit():
        return _page(campaign, form, status=400)
    file = form.margins_file.data
    name = getattr(file, "filename", None) or "margins.csv"
    try:
        upload_margins(campaign, form.group.data, file.read(), name, form.method.data, user=acting_user())
    except MarginsRejectedError as rejected:
        db.session.rollback()
        return _page(campaign, form, rejected.problems, status=400)
    except DomainError as error:
        db.session.rollback()
        flash(_("Nothing was stored: %(problem)s", problem=error_text(error)))
        return _page(campaign, form, status=400)
    db.session.commit()
    flash(_("The margins have been stored; the next computation of the results calibrates this group."))
    return redirect(url_for(".show", slug=slug))


@bp.route("/<group>/remove", methods=["POST"])
@requires_role("admin")
def remove(slug: str, group: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".show", slug=slug))
    try:
        remove_margins(campaign, group, user=acting_user())
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error))
        return redirect(url_for(".show", slug=slug))
    db.session.commit()
    flash(_("The margins have been removed; the next computation uses the population weights alone."))
    return redirect(url_for(".show", slug=slug))
