"""API tokens in the console: create (shown once), list, revoke.

Every account manages its own tokens; admins also see and revoke the tokens of the accounts in their scope
(an admin of all institutions: everyone's; a scoped admin: accounts whose institutions all lie within the
admin's, so a scoped admin never acts on an account with wider access). A token acts with its account's role
and institutions (see :mod:`survey_app.api`). Only a keyed hash is stored, as for invitations, so the token
is shown once, on the page that answers the create POST, and never written to the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from survey_app.admin.confirm import ConfirmForm, confirm_page
from survey_app.admin.forms import ActionForm, ConsoleForm
from survey_app.domain.accounts import audit
from survey_app.domain.api_tokens import create_token, may_see_tokens_of, token_state, visible_tokens
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import ApiToken
from survey_app.models.types import utcnow

bp = Blueprint("admin_api_tokens", __name__, url_prefix="/admin/api-tokens")

#: The longest expiry offered; a token for a dashboard is renewed once a year at least.
MAX_DAYS = 2 * 366


class TokenForm(ConsoleForm):
    name = StringField(
        lazy_gettext("Name (what the token is for)"),
        validators=[DataRequired(), Length(max=100)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    expires_on = DateField(lazy_gettext("Valid until (optional)"), validators=[Optional()])

    def validate_expires_on(self, field: DateField) -> None:
        today = utcnow().date()
        if field.data is not None and field.data < today:
            raise ValidationError(_("The date is in the past."))
        if field.data is not None and field.data > today + timedelta(days=MAX_DAYS):
            raise ValidationError(_("At most %(days)s days ahead.", days=MAX_DAYS))


def _page(form: TokenForm, new_token: str | None = None, status: int = 200) -> ResponseReturnValue:
    tokens = visible_tokens(current_user)
    now = utcnow()
    return (
        render_template(
            "admin/api_tokens.html",
            form=form,
            action=ActionForm(),
            tokens=tokens,
            states={t.id: token_state(t, now) for t in tokens},
            new_token=new_token,
            api_base=url_for("api.campaigns", _external=True),
            openapi=url_for("api.openapi", _external=True),
        ),
        status,
    )


@bp.route("/")
@requires_role("viewer")
def index() -> ResponseReturnValue:
    return _page(TokenForm())


@bp.route("/", methods=["POST"])
@requires_role("viewer")
def create() -> ResponseReturnValue:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    token, secret = create_token(current_user, form.name.data or "", form.expires_on.data)
    audit(
        "api_token.create",
        f"api_token:{token.id}",
        name=token.name,
        owner=current_user.email,
        expires_on=form.expires_on.data.isoformat() if form.expires_on.data else None,
        user=acting_user(),
    )
    db.session.commit()
    # Rendered, not redirected: this response is the only place the token ever appears.
    return _page(TokenForm(formdata=None), new_token=secret)


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@requires_role("viewer")
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke a token, after the confirmation page (a revoked token never works again)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not may_see_tokens_of(current_user, token.user):
        abort(404)
    if token.revoked_at is not None:
        return redirect(url_for(".index"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return confirm_page(
            form,
            title=_("Revoke the token %(name)s?", name=token.name),
            consequences=[
                _("Programs that use this token are refused from now on."),
                _("A revoked token cannot be restored: create a new one if it is needed again."),
            ],
            button=_("Revoke"),
            cancel_url=url_for(".index"),
        )
    token.revoked_at = utcnow()
    audit(
        "api_token.revoke",
        f"api_token:{token.id}",
        name=token.name,
        owner=token.user.email,
        user=acting_user(),
    )
    db.session.commit()
    flash(_("The token %(name)s is revoked.", name=token.name))
    return redirect(url_for(".index"))
