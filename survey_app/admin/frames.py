"""Population lists of a campaign in the console: upload (column mapping, all or nothing, every problem by row
and column), counts (never a contact), the sample plan before the draw, and the recorded draw."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from scoring.frames import ColumnMapping
from survey_app.admin.forms import ActionForm
from survey_app.admin.terms import error_text, group_label, problem_text
from survey_app.domain.accounts import audit, campaign_for
from survey_app.domain.delivery import delivery_counts, opted_out_count
from survey_app.domain.errors import DomainError
from survey_app.domain.frames import (
    FrameRejectedError,
    PlanPriors,
    draw_campaign,
    frame_counts,
    plan_priors,
    sample_plan,
    upload_frame,
)
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign
from survey_app.models.frames import SampleDraw
from survey_app.queue import submit
from survey_app.worker import channels_configured, send_invitations_task, send_reminders_task

bp = Blueprint("admin_frames", __name__, url_prefix="/admin/campaigns/<slug>/frames")


class UploadForm(FlaskForm):
    list_file = FileField(lazy_gettext("Population list (CSV or XLSX)"), validators=[FileRequired()])
    unit_column = StringField(
        lazy_gettext("Column with the unit code"), validators=[DataRequired(), Length(max=100)]
    )
    group_column = StringField(lazy_gettext("Column with the respondent group"), validators=[Length(max=100)])
    group = SelectField(lazy_gettext("Or: the group of every row"), validate_choice=False)
    email_column = StringField(lazy_gettext("Column with the e-mail address"), validators=[Length(max=100)])
    phone_column = StringField(lazy_gettext("Column with the phone number"), validators=[Length(max=100)])
    auxiliary = StringField(
        lazy_gettext("Auxiliary columns for calibration (comma-separated)"), validators=[Length(max=500)]
    )


ALLOCATION_LABELS = {
    "per_unit": lazy_gettext("Each unit and group meets the target by itself"),
    "proportional": lazy_gettext("Proportional to the units' size"),
    "equal": lazy_gettext("Equal per unit"),
    "neyman": lazy_gettext("Neyman (size × SD from the last campaign)"),
}
DRAW_LABELS = {
    "srs": lazy_gettext("Simple random sampling without replacement"),
    "systematic": lazy_gettext("Systematic sampling (every k-th in list order, random start)"),
}


def _no_neyman(priors: PlanPriors) -> str:
    if priors.no_neyman == "no_campaign":
        return str(_("there is no earlier campaign of this institution to take the standard deviations from"))
    if priors.no_neyman == "no_results":
        return str(
            _(
                "the last campaign (%(slug)s) has no computed results to take the standard deviations from",
                slug=priors.previous,
            )
        )
    return str(
        _(
            "the results of the last campaign (%(slug)s) give no standard deviation per unit and group",
            slug=priors.previous,
        )
    )


class PlanForm(FlaskForm):
    class Meta:
        csrf = False

    allocation = SelectField(
        lazy_gettext("Allocation"), choices=list(ALLOCATION_LABELS.items()), default="per_unit"
    )
    moe = DecimalField(
        lazy_gettext("Target margin of error"), default=0.05, places=3, validators=[NumberRange(0.001, 0.5)]
    )
    confidence = SelectField(
        lazy_gettext("Confidence level"),
        choices=[("0.9", "90%"), ("0.95", "95%"), ("0.99", "99%")],
        default="0.95",
    )
    response_rate = DecimalField(
        lazy_gettext("Expected response rate"), default=1.0, places=2, validators=[NumberRange(0.01, 1.0)]
    )
    minimum = IntegerField(
        lazy_gettext("Minimum per unit"), default=0, validators=[Optional(), NumberRange(0)]
    )
    census_below = IntegerField(
        lazy_gettext("Take units of at most this many people whole (census)"),
        default=0,
        validators=[Optional(), NumberRange(0)],
    )


class DrawForm(PlanForm):
    class Meta:
        csrf = True

    method = SelectField(lazy_gettext("Draw"), choices=list(DRAW_LABELS.items()), default="srs")
    seed = IntegerField(lazy_gettext("Seed"), validators=[DataRequired(), NumberRange(0, 2**63 - 1)])


def _upload_form(campaign: Campaign) -> UploadForm:
    form = UploadForm()
    groups = sorted({q.respondent_group for q in campaign.questionnaires})
    form.group.choices = [("", _("(from the column)"))] + [(g, group_label(g)) for g in groups]
    return form


@bp.route("/send", methods=["POST"])
@requires_role("admin")
def send(slug: str) -> ResponseReturnValue:
    """Queue the e-mail invitations (or, with ``reminders``, the reminders) of the drawn people."""
    campaign = campaign_for(current_user, slug)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".show", slug=slug))
    if not channels_configured(current_app.config):
        flash(
            _(
                "No mail server (SMTP_HOST) and no WhatsApp/SMS gateway (SMS_GATEWAY_URL) is configured: "
                "the system sends no message."
            )
        )
        return redirect(url_for(".show", slug=slug))
    reminders = request.form.get("reminders") == "1"
    audit(
        "frames.send", f"campaign:{slug}", user=acting_user(), kind="reminder" if reminders else "invitation"
    )
    db.session.commit()
    submit(send_reminders_task if reminders else send_invitations_task, campaign.id)
    flash(_("Sending has been queued; the counts below grow as messages go out."))
    return redirect(url_for(".show", slug=slug))


def _page(
    campaign: Campaign, form: UploadForm, problems: tuple[object, ...] = (), status: int = 200
) -> ResponseReturnValue:
    draw = db.session.scalar(select(SampleDraw).where(SampleDraw.campaign_id == campaign.id))
    return (
        render_template(
            "admin/frames.html",
            campaign=campaign,
            counts=frame_counts(campaign),
            form=form,
            plan_form=PlanForm(),
            problems=problems,
            problem_text=problem_text,
            draw=draw,
            delivered=delivery_counts(campaign),
            mail_configured=bool(channels_configured(current_app.config)),
            opted_out=opted_out_count(campaign),
            action_form=ActionForm(),
        ),
        status,
    )


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None


@bp.route("/")
@requires_role("admin")
def show(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    return _page(campaign, _upload_form(campaign))


@bp.route("/upload", methods=["POST"])
@requires_role("admin")
def upload(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    form = _upload_form(campaign)
    if not form.validate_on_submit():
        return _page(campaign, form, status=400)
    file = form.list_file.data
    name = getattr(file, "filename", None) or "list"
    email, phone = _text(form.email_column.data), _text(form.phone_column.data)
    if email is None and phone is None:
        form.email_column.errors = [_("Map an e-mail or a phone column (or both).")]
        return _page(campaign, form, status=400)
    mapping = ColumnMapping(
        unit=form.unit_column.data.strip(),
        group=_text(form.group_column.data),
        email=email,
        phone=phone,
        auxiliary=tuple(a.strip() for a in (form.auxiliary.data or "").split(",") if a.strip()),
    )
    try:
        upload_frame(campaign, file.read(), name, mapping, group=form.group.data or None, user=acting_user())
    except FrameRejectedError as rejected:
        db.session.rollback()
        return _page(campaign, form, rejected.problems, status=400)
    except DomainError as error:
        db.session.rollback()
        flash(_("Nothing was stored: %(problem)s", problem=error_text(error)))
        return _page(campaign, form, status=400)
    db.session.commit()
    flash(_("The population list has been stored. Only the counts are shown from now on."))
    return redirect(url_for(".show", slug=slug))


def _plan_arguments(form: PlanForm) -> dict[str, Any]:
    return {
        "allocation": form.allocation.data or "per_unit",
        "moe": float(form.moe.data if form.moe.data is not None else 0.05),
        "confidence": float(form.confidence.data or 0.95),
        "response_rate": float(form.response_rate.data if form.response_rate.data is not None else 1.0),
        "minimum": int(form.minimum.data or 0),
        "census_below": int(form.census_below.data or 0),
    }


def _plan_page(
    campaign: Campaign,
    form: PlanForm,
    priors: PlanPriors,
    table: list[dict[Hashable, Any]] | None,
    draw_form: DrawForm | None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "admin/frames_plan.html",
            campaign=campaign,
            form=form,
            priors=priors,
            table=table,
            draw_form=draw_form,
            allocation_labels=ALLOCATION_LABELS,
            no_neyman=None if priors.sd is not None else _no_neyman(priors),
        ),
        status,
    )


@bp.route("/plan")
@requires_role("admin")
def plan(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    priors = plan_priors(campaign)
    defaults = {} if priors.response_rate is None else {"response_rate": priors.response_rate}
    form = PlanForm(formdata=request.args if request.args else None, data=defaults)
    if request.args and not form.validate():
        return _plan_page(campaign, form, priors, None, None, 400)
    arguments = _plan_arguments(form)
    if arguments["allocation"] == "neyman" and priors.sd is None:
        form.allocation.errors = [_("Neyman allocation is not available: %(why)s.", why=_no_neyman(priors))]
        return _plan_page(campaign, form, priors, None, None, 400)
    try:
        table = sample_plan(campaign, priors=priors, **arguments)
    except DomainError as error:
        if not frame_counts(campaign):
            flash(error_text(error))
            return redirect(url_for(".show", slug=slug))
        form.allocation.errors = [error_text(error)]
        return _plan_page(campaign, form, priors, None, None, 400)
    drawn = db.session.scalar(select(SampleDraw).where(SampleDraw.campaign_id == campaign.id))
    draw_form = None if drawn else DrawForm(formdata=None, data=arguments)
    return _plan_page(campaign, form, priors, table.to_dict(orient="records"), draw_form)


@bp.route("/draw", methods=["POST"])
@requires_role("admin")
def draw(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    form = DrawForm()
    if not form.validate_on_submit() or form.seed.data is None:
        flash(_("Give a seed (a whole number) to draw the sample."))
        return redirect(url_for(".plan", slug=slug))
    arguments = _plan_arguments(form)
    method = form.method.data or "srs"
    try:
        table = sample_plan(campaign, **arguments)
        record = draw_campaign(
            campaign,
            table,
            seed=int(form.seed.data),
            user=acting_user(),
            method=method,  # type: ignore[arg-type]
            settings={**arguments, "p": 0.5},
        )
    except DomainError as error:
        db.session.rollback()
        flash(_("Not drawn: %(problem)s", problem=error_text(error)))
        return redirect(url_for(".show", slug=slug))
    db.session.commit()
    flash(_("The sample has been drawn with seed %(seed)s; its invitations are issued.", seed=record.seed))
    return redirect(url_for(".show", slug=slug))
