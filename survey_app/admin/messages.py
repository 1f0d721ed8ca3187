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
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

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


for _lang in TEMPLATES:
    for _field in TEMPLATE_FIELDS:
        _kind = TextAreaField if _field.endswith("_body") else StringField
        setattr(
            MessagesForm,
            f"{_lang}_{_field}",
            _kind(lazy_gettext("%(what)s %(language)s", what=_LABELS[_field], language=_IN[_lang])),
        )


def _page(
    campaign: Campaign, form: MessagesForm, chosen: CampaignTemplates, status: int = 200
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
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def edit(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    chosen = campaign_templates(campaign)
    data = {"language": chosen.language} | {
        f"{lang}_{field}": chosen.texts[lang][field] for lang in TEMPLATES for field in TEMPLATE_FIELDS
    }
    form = MessagesForm(data=data)
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
