"""The published national averages the results and reports set beside an institution's index: the bundled,
sourced figures and an administrator's corrections (:mod:`survey_app.domain.national`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, NumberRange, Optional

from survey_app.admin.forms import ActionForm
from survey_app.admin.terms import error_text
from survey_app.domain.errors import DomainError
from survey_app.domain.national import figures, reset_figure, set_figure
from survey_app.extensions import db
from survey_app.i18n import template_context
from survey_app.login import requires_role
from survey_app.reporting.numbers import number

bp = Blueprint("admin_national", __name__, url_prefix="/admin/national")


@bp.context_processor
def _numbers() -> dict[str, Any]:
    lang = str(template_context()["current_lang"])
    return {"number": lambda value, digits=1: number(value, digits, lang)}


class NationalFigureForm(FlaskForm):  # type: ignore[misc]
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    value = DecimalField(
        _l("National index (0–100)"), places=2, validators=[InputRequired(), NumberRange(0, 100)]
    )
    source_url = StringField(_l("Source (web address)"), validators=[Optional(), URL(require_tld=True)])
    note = TextAreaField(_l("Where the figure comes from"))


def _may_edit() -> bool:
    # The figures are shown beside every institution's results, so only an administrator of all
    # institutions changes them.
    return bool(current_user.role == "admin" and current_user.all_institutions)


@bp.route("/", methods=["GET", "POST"])
@requires_role("admin")
def index() -> ResponseReturnValue:
    form = NationalFigureForm()
    if form.validate_on_submit():
        if not _may_edit():
            abort(403)
        try:
            set_figure(
                int(form.year.data),
                float(form.value.data),
                (form.source_url.data or "").strip(),
                (form.note.data or "").strip(),
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error))
        else:
            db.session.commit()
            flash(_("The national figure for %(year)s is saved.", year=form.year.data))
            return redirect(url_for(".index"))
    return render_template(
        "admin/national.html", figures=figures(), form=form, reset_form=ActionForm(), may_edit=_may_edit()
    )


@bp.route("/<int:year>/reset", methods=["POST"])
@requires_role("admin")
def reset(year: int) -> ResponseReturnValue:
    if not _may_edit() or not ActionForm().validate_on_submit():
        abort(403)
    try:
        reset_figure(year, actor=current_user)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("The edited figure for %(year)s is removed; the bundled one applies again.", year=year))
    return redirect(url_for(".index"))
