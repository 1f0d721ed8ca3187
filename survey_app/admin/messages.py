"""A campaign's invitation and reminder texts in the console: subject and body in Bahasa Indonesia and in
English, the language the messages are written in, a preview, and back to the built-in texts.

The texts name the campaign through placeholders ({institution} {organiser} {title} {closes} {link}
{optout}); a body without {link} or {optout}, an unknown placeholder or a stray brace is refused, with the
problem next to its field, and nothing is stored.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange

from survey_app.admin.forms import ActionForm, ConsoleForm
from survey_app.admin.terms import error_text
from survey_app.domain.accounts import campaign_for
from survey_app.domain.delivery import (
    PLACEHOLDERS,
    TEMPLATE_FIELDS,
    TEMPLATES,
    CampaignTemplates,
    TemplateError,
    campaign_templates,
    reset_templates,
    sample_message,
    save_templates,
)
from survey_app.domain.errors import DomainError
from survey_app.domain.reminders import MAX_EVERY_DAYS, MAX_REMINDERS_LIMIT, save_schedule, schedule_of
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign

bp = Blueprint("admin_messages", __name__, url_prefix="/admin/campaigns/<slug>/messages")

LANGUAGE_CHOICES = [
    SelectChoice("id", lazy_gettext("Bahasa Indonesia")),
    SelectChoice("en", lazy_gettext("English")),
    SelectChoice("both", lazy_gettext("Both in one message: Indonesian first, then English")),
]
_LABELS = {
    "invitation_subject": lazy_gettext("Subject of the invitation"),
    "invitation_body": lazy_gettext("Text of the invitation"),
    "reminder_subject": lazy_gettext("Subject of the reminder"),
    "reminder_body": lazy_gettext("Text of the reminder"),
}
_IN = {"id": lazy_gettext("in Bahasa Indonesia"), "en": lazy_gettext("in English")}


class MessagesForm(ConsoleForm):
    language = RadioField(
        lazy_gettext("Language of the messages"), choices=LANGUAGE_CHOICES, validators=[DataRequired()]
    )


class ReminderForm(ConsoleForm):
    every_days = IntegerField(
        lazy_gettext("Days after a person's last message"),
        description=lazy_gettext(
            "0: reminders go out only when you send them. Otherwise they go out by themselves each morning "
            "to the people who have not finished, while the survey round is open."
        ),
        validators=[InputRequired(), NumberRange(0, MAX_EVERY_DAYS)],
    )
    max_reminders = IntegerField(
        lazy_gettext("Reminders per person at most"),
        validators=[InputRequired(), NumberRange(0, MAX_REMINDERS_LIMIT)],
    )


for _lang in TEMPLATES:
    for _field in TEMPLATE_FIELDS:
        _kind = TextAreaField if _field.endswith("_body") else StringField
        setattr(
            MessagesForm,
            f"{_lang}_{_field}",
            _kind(lazy_gettext("%(what)s %(language)s", what=_LABELS[_field], language=_IN[_lang])),
        )


def _page(
    campaign: Campaign,
    form: MessagesForm,
    chosen: CampaignTemplates,
    status: int = 200,
    reminder_form: ReminderForm | None = None,
) -> ResponseReturnValue:
    previews = {kind: sample_message(campaign, kind, chosen) for kind in ("invitation", "reminder")}
    return (
        render_template(
            "admin/messages.html",
            campaign=campaign,
            form=form,
            languages=tuple(TEMPLATES),
            fields=TEMPLATE_FIELDS,
            placeholders=PLACEHOLDERS,
            previews=previews,
            customised=chosen.customised,
            reset_form=ActionForm(),
            reminder_form=reminder_form or _reminder_form(campaign),
        ),
        status,
    )


def _reminder_form(campaign: Campaign) -> ReminderForm:
    rule = schedule_of(campaign)
    # formdata=None: on the texts' POST the request's fields are the other form's.
    return ReminderForm(
        formdata=None, data={"every_days": rule.every_days, "max_reminders": rule.max_reminders}
    )


def _templates_form(chosen: CampaignTemplates, *, from_request: bool = True) -> MessagesForm:
    data = {"language": chosen.language} | {
        f"{lang}_{field}": chosen.texts[lang][field] for lang in TEMPLATES for field in TEMPLATE_FIELDS
    }
    if not from_request:
        return MessagesForm(formdata=None, data=data)
    return MessagesForm(data=data)


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def edit(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    chosen = campaign_templates(campaign)
    form = _templates_form(chosen)
    if not form.is_submitted():
        return _page(campaign, form, chosen)
    if not form.validate():
        return _page(campaign, form, chosen, 400)
    texts = {
        lang: {field: str(form[f"{lang}_{field}"].data or "") for field in TEMPLATE_FIELDS}
        for lang in TEMPLATES
    }
    try:
        save_templates(campaign, str(form.language.data), texts, acting_user())
    except TemplateError as rejected:
        db.session.rollback()
        for where, errors in rejected.problems.items():
            form[where.replace(".", "_", 1)].errors = [error_text(e) for e in errors]
        return _page(campaign, form, chosen, 400)
    db.session.commit()
    flash(_("The message texts have been stored; the next messages use them."))
    return redirect(url_for(".edit", slug=slug))


@bp.route("/reset", methods=["POST"])
@requires_role("admin")
def reset(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    if ActionForm().validate_on_submit():
        reset_templates(campaign, acting_user())
        db.session.commit()
        flash(_("The built-in texts, in Bahasa Indonesia, are used again."))
    return redirect(url_for(".edit", slug=slug))


@bp.route("/reminders", methods=["POST"])
@requires_role("admin")
def reminders(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    form = ReminderForm()
    chosen = campaign_templates(campaign)
    if not form.validate():
        return _page(campaign, _templates_form(chosen, from_request=False), chosen, 400, form)
    try:
        rule = save_schedule(
            campaign, int(form.every_days.data or 0), int(form.max_reminders.data or 0), acting_user()
        )
    except DomainError as refused:
        db.session.rollback()
        form.every_days.errors = [error_text(refused)]
        return _page(campaign, _templates_form(chosen, from_request=False), chosen, 400, form)
    db.session.commit()
    if rule.automatic:
        flash(
            _(
                "Reminders now go out by themselves %(days)s days after a person's last message, at most "
                "%(count)s per person.",
                days=rule.every_days,
                count=rule.max_reminders,
            )
        )
    else:
        flash(
            _(
                "Reminders go out only when you send them, at most %(count)s per person.",
                count=rule.max_reminders,
            )
        )
    return redirect(url_for(".edit", slug=slug))
