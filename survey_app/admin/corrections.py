"""Correction cases in the console: the number of cases per correction rule of the campaign's profile
(complaints, LHKPN non-compliance, corruption cases, coached respondents), with their source; audit-logged,
and deducted from the institution's index at the next computation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from survey_app.admin.forms import ConsoleForm
from survey_app.admin.terms import error_text
from survey_app.domain.accounts import audit, campaign_for
from survey_app.domain.corrections import entered_cases, set_cases
from survey_app.domain.errors import DomainError
from survey_app.domain.results.runs import campaign_profile
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import Campaign

bp = Blueprint("admin_corrections", __name__, url_prefix="/admin/campaigns/<slug>/corrections")
MAX_CASES = 10_000


def _form_class(campaign: Campaign, lang: str) -> type[FlaskForm]:
    """A form with one count per correction rule of the campaign's profile (field ``rule_<id>``)."""
    fields: dict[str, Any] = {
        f"rule_{rule.id}": IntegerField(
            rule.label.get(lang) or next(iter(rule.label.values()), rule.id),
            default=0,
            validators=[
                InputRequired(message=lazy_gettext("Enter a number (0 if there were none).")),
                NumberRange(
                    0,
                    MAX_CASES,
                    message=lazy_gettext("Enter a whole number from 0 to %(max)s.", max=MAX_CASES),
                ),
            ],
        )
        for rule in campaign_profile(campaign).corrections
    }
    fields["source"] = TextAreaField(
        lazy_gettext("Source of the figures (report, letter, date)"), validators=[Length(max=2000)]
    )
    return type("CorrectionsForm", (ConsoleForm,), fields)


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def edit(slug: str) -> ResponseReturnValue:
    campaign = campaign_for(current_user, slug)
    profile = campaign_profile(campaign)
    lang = _lang()
    entered = entered_cases(campaign)
    form = _form_class(campaign, lang)()
    if not form.is_submitted():
        for rule in profile.corrections:
            form[f"rule_{rule.id}"].data = entered[rule.id].cases if rule.id in entered else 0
        form["source"].data = next((e.source for e in entered.values() if e.source), "")
    if form.validate_on_submit():
        cases = {rule.id: int(form[f"rule_{rule.id}"].data) for rule in profile.corrections}
        source = str(form["source"].data or "").strip()
        try:
            changed = set_cases(campaign, profile, cases, source, actor=current_user.email)
        except DomainError as exc:
            db.session.rollback()
            flash(error_text(exc))
        else:
            audit(
                "corrections.set",
                f"campaign:{slug}",
                cases=cases,
                changed=changed,
                source=source,
                user=acting_user(),
            )
            db.session.commit()
            flash(_("The correction cases are saved. Compute the results again for them to count."))
            return redirect(url_for(".edit", slug=slug))
    rules = [(rule, form[f"rule_{rule.id}"]) for rule in profile.corrections]
    return render_template(
        "admin/corrections.html",
        campaign=campaign,
        profile=profile,
        rules=rules,
        form=form,
        entered=entered,
    ), 400 if form.errors else 200


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "id")
