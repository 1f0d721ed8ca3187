"""Campaigns in the console: create, edit, open, close, and the open-access poster for counters.

A campaign is created as a draft (not yet open to respondents). Once it has a response, its questionnaire
versions and scoring profile are locked: results must stay comparable within a campaign. The slug and the
institution never change after creation (links and invitations carry them).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, DateField, DecimalField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from questionnaires.bundled import load_bundled_profile, profile_paths
from survey_app.admin.confirm import ConfirmForm, confirm_page
from survey_app.admin.forms import ActionForm, ConsoleForm
from survey_app.admin.terms import GROUP_LABELS, error_text
from survey_app.dates import today
from survey_app.domain.accounts import audit, campaign_for, institutions_in_scope
from survey_app.domain.campaigns import (
    OpenAccessNotAllowedError,
    campaign_open_access_groups,
    check_open_access,
    create_campaign,
)
from survey_app.domain.disclosure import effective_min_cell
from survey_app.domain.errors import DomainError
from survey_app.domain.exports import count_responses
from survey_app.domain.release import release
from survey_app.extensions import db
from survey_app.links import public_root
from survey_app.login import acting_user, requires_role
from survey_app.models import (
    GROUPS,
    Campaign,
    CampaignQuestionnaire,
    QuestionnaireVersion,
    Unit,
)
from survey_app.reporting.qrsheet import counter_poster, qr_png

bp = Blueprint("admin_campaign_setup", __name__, url_prefix="/admin/campaigns")

#: The SPI profile is what most campaigns of this product use.
DEFAULT_PROFILE = "spi-2024"


class CampaignForm(ConsoleForm):
    institution = SelectField(lazy_gettext("Institution"), validators=[DataRequired()])
    slug = StringField(
        lazy_gettext("Short name in links"),
        validators=[
            DataRequired(),
            Length(max=100),
            Regexp(r"^[a-z0-9][a-z0-9-]*$", message=lazy_gettext("Use lower-case letters, digits and -.")),
        ],
    )
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=255)])
    organiser = StringField(
        lazy_gettext("Organiser"),
        validators=[Optional(), Length(max=255)],
        description=lazy_gettext(
            "Who runs the survey, named to respondents on every page (e.g. Inspektorat Kota Bogor)"
        ),
    )
    period = StringField(lazy_gettext("Period surveyed"), validators=[DataRequired(), Length(max=50)])
    version_internal = SelectField(lazy_gettext("Questionnaire for employees (internal)"))
    version_external = SelectField(lazy_gettext("Questionnaire for service users (external)"))
    version_expert = SelectField(lazy_gettext("Questionnaire for experts"))
    profile = SelectField(lazy_gettext("Scoring profile"), validators=[DataRequired()])
    variance_method = RadioField(
        lazy_gettext("Confidence intervals"),
        choices=[
            SelectChoice("linearization", lazy_gettext("Linearisation (as R survey's default)")),
            SelectChoice("bootstrap", lazy_gettext("Bootstrap (Rao–Wu, 500 replicates)")),
        ],
        default="linearization",
    )
    use_fpc = BooleanField(
        lazy_gettext("Finite population correction from the units' population sizes (employees)"),
        default=True,
    )
    min_cell = IntegerField(
        lazy_gettext("Minimum cell size (smaller cells are suppressed)"),
        default=5,
        validators=[DataRequired(), NumberRange(min=1, max=1000)],
    )
    target_index = DecimalField(
        lazy_gettext("Target index (optional, 0–100)"),
        places=None,
        validators=[Optional(), NumberRange(0, 100)],
    )
    opens_on = DateField(lazy_gettext("Opens on"), validators=[DataRequired()])
    closes_on = DateField(lazy_gettext("Closes on"), validators=[DataRequired()])
    allow_invitation = BooleanField(lazy_gettext("Personal invitation links"), default=True)
    allow_open = BooleanField(lazy_gettext("Open access (a QR code at a counter, for service users)"))

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_("The close date is before the open date."))

    def validate_allow_open(self, field: BooleanField) -> None:
        if not (field.data or self.allow_invitation.data):
            raise ValidationError(_("Choose at least one way to take part."))

    def chosen_versions(self) -> dict[str, str]:
        fields = {g: getattr(self, f"version_{g}") for g in GROUPS}
        return {g: str(f.data) for g, f in fields.items() if f.data}


def _profiles() -> list[SelectChoice]:
    choices = []
    for path in profile_paths():
        profile = load_bundled_profile(path.stem)
        title = profile.title.get("en") or next(iter(profile.title.values()), "")
        choices.append(SelectChoice(profile.id, f"{profile.id} {profile.version} – {title}"))
    return choices


def _form(campaign: Campaign | None) -> CampaignForm:
    form = CampaignForm(obj=campaign) if campaign is not None and request.method == "GET" else CampaignForm()
    linked_institution = campaign.institution_id if campaign is not None else None
    form.institution.choices = [
        SelectChoice(i.code, f"{i.code} – {i.name}")
        for i in institutions_in_scope(current_user)
        if i.archived_at is None or i.id == linked_institution
    ]
    form.profile.choices = _profiles()
    versions = db.session.scalars(
        select(QuestionnaireVersion).order_by(
            QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.loaded_on.desc()
        )
    ).all()
    # Archived versions are not offered, except where the campaign uses one already.
    in_use = {q.questionnaire_version_id for q in campaign.questionnaires} if campaign is not None else set()
    for group in GROUPS:
        field = getattr(form, f"version_{group}")
        field.choices = [SelectChoice("", _("— not asked —"))] + [
            SelectChoice(str(v.id), f"{v.questionnaire_id} {v.version} ({v.content_hash[7:19]})")
            for v in versions
            if v.respondent_group == group and (v.archived_at is None or v.id in in_use)
        ]
    if campaign is not None and request.method == "GET":
        form.institution.data = campaign.institution.code
        form.profile.data = campaign.profile_id
        linked = {q.respondent_group: str(q.questionnaire_version_id) for q in campaign.questionnaires}
        for group in GROUPS:
            getattr(form, f"version_{group}").data = linked.get(group, "")
    return form


def _versions(form: CampaignForm) -> dict[str, QuestionnaireVersion] | None:
    chosen = form.chosen_versions()
    if not chosen:
        form.version_internal.errors = [_("Choose a questionnaire for at least one group.")]
        return None
    versions = {}
    for group, version_id in chosen.items():
        version = db.session.get(QuestionnaireVersion, int(version_id))
        if version is None or version.respondent_group != group:
            getattr(form, f"version_{group}").errors = [_("Not a questionnaire for this group.")]
            return None
        versions[group] = version
    return versions


def _linked(campaign: Campaign) -> dict[str, QuestionnaireVersion]:
    return {q.respondent_group: q.questionnaire_version for q in campaign.questionnaires}


def _open_access_refused(form: CampaignForm, versions: dict[str, QuestionnaireVersion]) -> bool:
    """Whether the domain refuses the form's open access for ``versions``; the reason goes on the form."""
    try:
        check_open_access(versions, bool(form.allow_open.data))
    except OpenAccessNotAllowedError as exc:
        _refuse_open(form, exc)
        return True
    return False


def _refuse_open(form: CampaignForm, refused: OpenAccessNotAllowedError) -> None:
    groups = ", ".join(str(GROUP_LABELS[g]) for g in refused.groups)
    form.allow_open.errors = [
        _(
            "Open access is not allowed for %(groups)s: the questionnaire does not declare it. Open links "
            "are for service users (the external group) unless a questionnaire declares "
            "access: [invitation, open].",
            groups=groups,
        )
    ]


@bp.app_template_global("open_access_groups")
def open_access_groups_of(campaign: Campaign) -> list[str]:
    """For the campaign page: the groups whose poster and QR code it offers."""
    return campaign_open_access_groups(campaign)


def _render(form: CampaignForm, campaign: Campaign | None, locked: bool) -> ResponseReturnValue:
    status = 400 if form.errors else 200
    return render_template(
        "admin/campaign_form.html", form=form, campaign=campaign, locked=locked, group_labels=GROUP_LABELS
    ), status


def _design_from(form: CampaignForm, campaign: Campaign) -> dict[str, Any]:
    campaign.variance_method = str(form.variance_method.data)
    campaign.use_fpc = bool(form.use_fpc.data)
    campaign.min_cell = int(form.min_cell.data or 5)
    campaign.target_index = float(form.target_index.data) if form.target_index.data is not None else None
    return {
        "variance_method": campaign.variance_method,
        "use_fpc": campaign.use_fpc,
        "min_cell": campaign.min_cell,
        "target_index": campaign.target_index,
    }


@bp.route("/new", methods=["GET", "POST"])
@requires_role("admin")
def create() -> ResponseReturnValue:
    form = _form(None)
    if request.method == "GET":
        form.opens_on.data = today()
        form.profile.data = DEFAULT_PROFILE
    valid = form.validate_on_submit()
    # Checked on every submit, with the other fields: a missing questionnaire is reported at once, not only
    # after the rest of the form has been corrected.
    versions = _versions(form) if form.is_submitted() else None
    if valid and versions is not None:
        try:
            campaign = create_campaign(
                institution_code=str(form.institution.data),
                title=str(form.title.data).strip(),
                organiser=str(form.organiser.data or "").strip(),
                slug=str(form.slug.data),
                period=str(form.period.data).strip(),
                profile=load_bundled_profile(str(form.profile.data)),
                versions=versions,
                opens_on=form.opens_on.data,
                closes_on=form.closes_on.data,
                min_cell=int(form.min_cell.data or 5),
                allow_invitation=bool(form.allow_invitation.data),
                allow_open=bool(form.allow_open.data),
                status="draft",
            )
        except OpenAccessNotAllowedError as exc:
            db.session.rollback()
            _refuse_open(form, exc)
        except DomainError as exc:
            form.slug.errors = [error_text(exc)]
        else:
            design = _design_from(form, campaign)
            audit(
                "campaign.create",
                f"campaign:{campaign.slug}",
                versions={g: v.id for g, v in versions.items()},
                profile=campaign.profile_id,
                **design,
                user=acting_user(),
            )
            db.session.commit()
            flash(_("The campaign has been created as a draft. Open it when it should take answers."))
            return redirect(url_for("admin_campaigns.campaign", slug=campaign.slug))
    return _render(form, None, locked=False)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@requires_role("admin")
def edit(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    locked = count_responses(campaign) > 0
    form = _form(campaign)
    # Neither the institution nor the slug change after creation; the form shows them read-only.
    form.institution.data = campaign.institution.code
    form.slug.data = campaign.slug
    if locked:
        # Not shown, not posted, not validated: they cannot change any more.
        for name in (*(f"version_{g}" for g in GROUPS), "profile"):
            del form[name]
    valid = form.validate_on_submit()
    versions = None if locked or not form.is_submitted() else _versions(form)
    # Without versions, _versions has put its error on the form already.
    usable = locked or versions is not None
    if valid and usable and not _open_access_refused(form, versions or _linked(campaign)):
        campaign.title = str(form.title.data).strip()
        campaign.period = str(form.period.data).strip()
        campaign.opens_on = form.opens_on.data
        campaign.closes_on = form.closes_on.data
        campaign.allow_invitation = bool(form.allow_invitation.data)
        campaign.allow_open = bool(form.allow_open.data)
        changes: dict[str, Any] = _design_from(form, campaign)
        if versions is not None:
            _relink(campaign, versions)
            profile = load_bundled_profile(str(form.profile.data))
            campaign.profile_id = profile.id
            campaign.profile_json = profile.canonical_json()
            changes |= {"versions": {g: v.id for g, v in versions.items()}, "profile": profile.id}
        audit("campaign.edit", f"campaign:{slug}", **changes, user=acting_user())
        db.session.commit()
        flash(_("The campaign has been saved."))
        return redirect(url_for("admin_campaigns.campaign", slug=slug))
    return _render(form, campaign, locked)


def _relink(campaign: Campaign, versions: dict[str, QuestionnaireVersion]) -> None:
    current = {link.respondent_group: link for link in campaign.questionnaires}
    for group, link in current.items():
        if group not in versions:
            db.session.delete(link)
    for group, version in versions.items():
        if group in current:
            current[group].questionnaire_version_id = version.id
        else:
            db.session.add(
                CampaignQuestionnaire(
                    campaign=campaign, respondent_group=group, questionnaire_version_id=version.id
                )
            )
    db.session.flush()
    db.session.expire(campaign, ["questionnaires"])


@bp.route("/<slug>/open", methods=["POST"])
@requires_role("admin")
def open_(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    if ActionForm().validate_on_submit():
        day = today()
        if not campaign.questionnaires:
            flash(_("The campaign has no questionnaire yet: edit it first."))
        elif campaign.closes_on < day:
            # Checked on the dates alone: a closed campaign reopens only within its dates.
            flash(_("The close date has passed: change the dates first."))
        elif campaign.status == "open":
            flash(_("The campaign is open already."))
        else:
            campaign.status = "open"
            campaign.closed_on = None
            audit("campaign.open", f"campaign:{slug}", user=acting_user())
            db.session.commit()
            if campaign.opens_on > day:
                day_text = campaign.opens_on.isoformat()
                flash(_("The campaign is open and takes answers from %(day)s.", day=day_text))
            else:
                flash(_("The campaign is open and takes answers."))
    return redirect(url_for("admin_campaigns.campaign", slug=slug))


@bp.route("/<slug>/close", methods=["GET", "POST"])
@requires_role("admin")
def close(slug: str) -> ResponseReturnValue:
    """Close the campaign, after the confirmation page (its held responses are released for good)."""
    campaign = campaign_for(current_user, slug)
    back = url_for("admin_campaigns.campaign", slug=slug)
    if campaign.status == "closed":
        flash(_("The campaign is closed already."))
        return redirect(back)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return confirm_page(
            form,
            title=_("Close %(title)s?", title=campaign.title),
            consequences=[
                _("Its links and QR codes stop taking answers at once, for every respondent."),
                _("Answers still held back for anonymity are released into the results now."),
                _("Respondents who have started but not submitted lose their unsent answers."),
            ],
            button=_("Close the campaign"),
            cancel_url=back,
        )
    campaign.status = "closed"
    campaign.closed_on = today()
    # Whatever is still held goes out with the close: a closed campaign takes no more answers, so no later
    # batch would hide these among others.
    released = release(campaign.id)
    audit("campaign.close", f"campaign:{slug}", user=acting_user(), released=released)
    db.session.commit()
    flash(_("The campaign is closed: its links no longer take answers."))
    return redirect(back)


POSTER_FORMATS = {"pdf": "application/pdf", "png": "image/png"}


@bp.route("/<slug>/poster/<group>.<fmt>")
@requires_role("admin")
def poster(slug: str, group: str, fmt: str) -> ResponseReturnValue:
    """The open-access QR code for a counter: an A4 poster (PDF) or the bare code (PNG); ``?unit=CODE``."""
    campaign = campaign_for(current_user, slug)
    if fmt not in POSTER_FORMATS or group not in {q.respondent_group for q in campaign.questionnaires}:
        abort(404)
    if group not in campaign_open_access_groups(campaign):
        abort(404)  # no open access, or not for this group (its questionnaire does not declare it)
    unit_code = request.args.get("unit") or None
    unit = None
    if unit_code is not None:
        unit = db.session.scalar(
            select(Unit).where(Unit.institution_id == campaign.institution_id, Unit.code == unit_code)
        )
        if unit is None:
            abort(404)
    path = (
        url_for("open_access.start_unit", slug=slug, group=group, unit_code=unit.code)
        if unit
        else (url_for("open_access.start", slug=slug, group=group))
    )
    link = public_root(request.host_url) + path
    if fmt == "png":
        body = qr_png(link)
    else:
        body = counter_poster(
            link,
            institution=campaign.institution.name,
            unit=f"{unit.name}" if unit else None,
            min_cell=effective_min_cell(campaign),
        )
    audit("campaign.poster", f"campaign:{slug}", group=group, unit=unit_code, format=fmt, user=acting_user())
    db.session.commit()
    name = f"{slug}-{group}{'-' + unit.code if unit else ''}-open-access.{fmt}"
    return Response(
        body, mimetype=POSTER_FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
