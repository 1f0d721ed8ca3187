"""Duplicate a campaign for the next round; archive, restore and delete (where unused) campaigns,
institutions and questionnaire versions. Deleting asks first (:mod:`.confirm`); everything is audit-logged."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from survey_app.admin.confirm import ConfirmForm, confirm_page
from survey_app.admin.forms import ActionForm, ConsoleForm
from survey_app.admin.terms import error_text
from survey_app.domain import lifecycle
from survey_app.domain.accounts import audit, campaign_for, scope_institution_ids
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign, Institution, QuestionnaireVersion

bp = Blueprint("admin_lifecycle", __name__, url_prefix="/admin")

KINDS = ("campaign", "institution", "questionnaire")
BLOCKERS = {
    "invitations": lazy_gettext("invitations"),
    "responses": lazy_gettext("responses"),
    "drafts": lazy_gettext("answers in progress"),
    "results": lazy_gettext("computed results"),
    "campaigns": lazy_gettext("campaigns"),
}


class DuplicateForm(ConsoleForm):
    slug = StringField(
        lazy_gettext("Short name in links"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(r"^[a-z0-9][a-z0-9-]*$", message=lazy_gettext("Use lower-case letters, digits and -.")),
        ],
    )
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=255)])
    period = StringField(lazy_gettext("Period surveyed"), validators=[DataRequired(), Length(max=50)])
    opens_on = DateField(lazy_gettext("Opens on"), validators=[DataRequired()])
    closes_on = DateField(lazy_gettext("Closes on"), validators=[DataRequired()])

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_("The close date is before the open date."))

    def validate_slug(self, field: StringField) -> None:
        if db.session.scalar(select(Campaign.id).where(Campaign.slug == field.data)) is not None:
            raise ValidationError(_("A campaign with this short name exists already."))


def _next_year(text: str) -> str:
    """``text`` with each year in it one later ("SPI 2024" → "SPI 2025"), else unchanged."""
    return re.sub(r"\b(19|20)(\d\d)\b", lambda m: str(int(m.group(0)) + 1), text)


def _year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@bp.route("/campaigns/<slug>/duplicate", methods=["GET", "POST"])
@requires_role("admin")
def duplicate(slug: str) -> ResponseReturnValue:
    """A copy of the campaign for the next round, as a draft: the next year's dates, title and period."""
    source = campaign_for(current_user, slug)
    form = DuplicateForm()
    if not form.is_submitted():
        form.slug.data = (
            _next_year(source.slug) if _next_year(source.slug) != source.slug else f"{source.slug}-2"
        )
        form.title.data = _next_year(source.title)
        form.period.data = _next_year(source.period)
        form.opens_on.data = _year_later(source.opens_on)
        form.closes_on.data = _year_later(source.closes_on)
    if form.validate_on_submit():
        try:
            campaign = lifecycle.duplicate_campaign(
                source,
                slug=str(form.slug.data),
                title=str(form.title.data).strip(),
                period=str(form.period.data).strip(),
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.slug.errors = [error_text(exc)]
        else:
            audit("campaign.duplicate", f"campaign:{campaign.slug}", **{"from": slug}, user=acting_user())
            db.session.commit()
            flash(
                _("The copy has been created as a draft. Check it, then open it when it should take answers.")
            )
            return redirect(url_for("admin_campaigns.campaign", slug=campaign.slug))
    return render_template("admin/duplicate.html", form=form, source=source), 400 if form.errors else 200


def _thing(kind: str, key: str) -> Campaign | Institution | QuestionnaireVersion:
    if kind == "campaign":
        return campaign_for(current_user, key)
    if kind == "institution":
        institution = db.session.scalar(select(Institution).where(Institution.code == key))
        ids = scope_institution_ids(current_user)
        if institution is None or (ids is not None and institution.id not in ids):
            abort(404)
        return institution
    if kind == "questionnaire":
        # Versions are shared by every institution: only an admin of all of them manages them.
        if not current_user.all_institutions:
            abort(403)
        version = db.session.get(QuestionnaireVersion, int(key)) if key.isdigit() else None
        if version is None:
            abort(404)
        return version
    abort(404)


def _target(kind: str, thing: Campaign | Institution | QuestionnaireVersion) -> str:
    if isinstance(thing, Campaign):
        return f"campaign:{thing.slug}"
    if isinstance(thing, Institution):
        return f"institution:{thing.code}"
    return f"questionnaire:{thing.questionnaire_id}@{thing.version}"


def _name(thing: Campaign | Institution | QuestionnaireVersion) -> str:
    if isinstance(thing, Campaign):
        return thing.title
    if isinstance(thing, Institution):
        return thing.name
    return f"{thing.questionnaire_id} {thing.version}"


def _back(kind: str, thing: Campaign | Institution | QuestionnaireVersion, *, gone: bool = False) -> str:
    if isinstance(thing, Campaign):
        return (
            url_for("admin_campaigns.dashboard")
            if gone
            else url_for("admin_campaigns.campaign", slug=thing.slug)
        )
    if isinstance(thing, Institution):
        return url_for("admin_institutions.index")
    return url_for("admin_questionnaires.index")


@bp.route(
    "/<any(campaign, institution, questionnaire):kind>/<key>/<any(archive, unarchive):change>",
    methods=["POST"],
)
@requires_role("admin")
def archive(kind: str, key: str, change: str) -> ResponseReturnValue:
    thing = _thing(kind, key)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        lifecycle.archive(thing) if change == "archive" else lifecycle.unarchive(thing)
    except DomainError as exc:
        flash(error_text(exc))
        return redirect(_back(kind, thing))
    audit(f"{kind}.{change}", _target(kind, thing), user=acting_user())
    db.session.commit()
    if change == "archive":
        flash(_("%(name)s is archived: kept with everything it holds, out of the lists.", name=_name(thing)))
    else:
        flash(_("%(name)s is back from the archive.", name=_name(thing)))
    return redirect(_back(kind, thing))


@bp.route("/<any(campaign, institution, questionnaire):kind>/<key>/delete", methods=["GET", "POST"])
@requires_role("admin")
def delete(kind: str, key: str) -> ResponseReturnValue:
    """Delete what was never used, after the confirmation page; what is in use can only be archived."""
    thing = _thing(kind, key)
    blockers = lifecycle.delete_blockers(thing)
    if blockers:
        what = ", ".join(f"{n} {BLOCKERS[k]}" for k, n in blockers.items())
        flash(
            _(
                "%(name)s cannot be deleted: it is in use (%(what)s). Archive it instead.",
                name=_name(thing),
                what=what,
            )
        )
        return redirect(_back(kind, thing))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return confirm_page(
            form,
            title=_("Delete %(name)s?", name=_name(thing)),
            consequences=[
                _("It is removed for good; nothing refers to it yet."),
                _("The audit log keeps the record that it existed and who deleted it."),
            ],
            button=_("Delete"),
            cancel_url=_back(kind, thing),
        )
    target, name = _target(kind, thing), _name(thing)
    lifecycle.delete_unused(thing)
    audit(f"{kind}.delete", target, name=name, user=acting_user())
    db.session.commit()
    flash(_("%(name)s has been deleted.", name=name))
    return redirect(_back(kind, thing, gone=True))
