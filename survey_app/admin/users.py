"""Console accounts (admins): list, create, change role and scope, deactivate/reactivate, unlock, reset.

An admin of all institutions manages every account; an admin scoped to some institutions manages only
accounts scoped within theirs, and cannot create or make an all-institutions account (that would widen their
own reach). A change that would leave no active admin (or no active admin of all institutions, who alone can
create institutions) is refused, so the last admin cannot lock everyone out by demoting or deactivating
themselves. Generated passwords are shown once, on the page that answers the POST, never stored in clear.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.admin.forms import ActionForm, ConsoleForm
from survey_app.admin.terms import error_text
from survey_app.domain.accounts import (
    MIN_PASSWORD_LENGTH,
    admins_left_without,
    audit,
    create_user,
    generate_password,
    institutions_in_scope,
    may_manage,
    set_data_steward,
    set_password,
)
from survey_app.domain.accounts import (
    unlock as forget_failed_logins,
)
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.login import acting_user, requires_role
from survey_app.models import ROLES, Institution, User

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")

_ROLE_LABELS = {
    "admin": lazy_gettext("admin"),
    "analyst": lazy_gettext("analyst"),
    "viewer": lazy_gettext("viewer"),
}


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScopeForm(ConsoleForm):
    role = SelectField(lazy_gettext("Role"), choices=[SelectChoice(r, _ROLE_LABELS[r]) for r in ROLES])
    institutions = _Checkboxes(lazy_gettext("Institutions"), choices=[], validate_choice=True)
    data_steward = BooleanField(
        lazy_gettext("Data steward: may download responses row by row (admins and analysts)")
    )


class CreateForm(ScopeForm):
    email = StringField(lazy_gettext("E-mail address"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(
        lazy_gettext("Initial password (leave empty to generate one)"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=lazy_gettext(
                    "The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH
                ),
            ),
        ],
    )


F = TypeVar("F", bound=ScopeForm)


def _with_choices(form: F) -> F:
    form.institutions.choices = [
        SelectChoice(i.code, f"{i.code} – {i.name}") for i in institutions_in_scope(current_user)
    ]
    return form


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not may_manage(current_user, user):
        abort(404)  # out of scope looks like absent, as for campaigns
    return user


def _scope_error(form: ScopeForm) -> str | None:
    codes = form.institutions.data or []
    if not codes and not current_user.all_institutions:
        return str(_("Choose at least one of your institutions."))
    if not codes and form.role.data != "admin":
        return str(_("An analyst or viewer needs at least one institution."))
    return None


def _index(
    create_form: CreateForm, new_password: str | None = None, created: User | None = None
) -> ResponseReturnValue:
    users = [u for u in db.session.scalars(select(User).order_by(User.email)) if may_manage(current_user, u)]
    return render_template(
        "admin/users.html",
        users=users,
        form=create_form,
        new_password=new_password,
        created=created,
        role_labels=_ROLE_LABELS,
    ), (400 if create_form.errors else 200)


@bp.route("/")
@requires_role("admin")
def index() -> ResponseReturnValue:
    return _index(_with_choices(CreateForm()))


@bp.route("/new", methods=["POST"])
@requires_role("admin")
def create() -> ResponseReturnValue:
    form = _with_choices(CreateForm())
    if not form.validate_on_submit():
        return _index(form)
    error = _scope_error(form)
    if error:
        form.institutions.errors = [error]
        return _index(form)
    password = form.password.data or generate_password()
    try:
        user = create_user(
            str(form.email.data), password, str(form.role.data), list(form.institutions.data or [])
        )
    except DomainError as exc:
        db.session.rollback()
        form.email.errors = [error_text(exc)]
        return _index(form)
    if form.data_steward.data and not _steward(form, user):
        db.session.rollback()
        return _index(form)
    audit(
        "user.create",
        f"user:{user.id}",
        email=user.email,
        role=user.role,
        institutions=[i.code for i in user.institutions],
        generated_password=not form.password.data,
        user=acting_user(),
    )
    db.session.commit()
    return _index(
        _with_choices(CreateForm(formdata=None)),
        new_password=password if not form.password.data else None,
        created=user,
    )


def _scope_data(user: User) -> dict[str, object]:
    return {
        "role": user.role,
        "institutions": [i.code for i in user.institutions],
        "data_steward": user.data_steward,
    }


def _steward(form: ScopeForm, user: User) -> bool:
    """Give or take the data-steward right as the form says (audit-logged by the domain); False with the
    reason on the form if it is refused."""
    try:
        set_data_steward(user, bool(form.data_steward.data), by=acting_user())
    except DomainError:
        form.data_steward.errors = [
            str(_("A viewer cannot be a data steward: make the account an analyst or admin first."))
        ]
        return False
    return True


def _show(user: User, form: ScopeForm, new_password: str | None = None) -> ResponseReturnValue:
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        action_form=ActionForm(),
        new_password=new_password,
        role_labels=_ROLE_LABELS,
    ), (400 if form.errors else 200)


def _would_leave_no_admin(user: User, stays_admin: bool, stays_all: bool) -> str | None:
    if user.role != "admin" or not user.active:
        return None
    admins, all_admins = admins_left_without(user)
    if not stays_admin and admins == 0:
        return str(_("This is the last active admin account: make another account an admin first."))
    if user.all_institutions and not (stays_admin and stays_all) and all_admins == 0:
        return str(
            _("This is the last active admin of all institutions: give another admin all institutions first.")
        )
    return None


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@requires_role("admin")
def show(user_id: int) -> ResponseReturnValue:
    """The account, and its role and institutions (editable)."""
    user = _user(user_id)
    form = _with_choices(ScopeForm(data=_scope_data(user)))
    if not form.validate_on_submit():
        return _show(user, form)
    codes = list(form.institutions.data or [])
    error = _scope_error(form) or _would_leave_no_admin(user, form.role.data == "admin", not codes)
    if error:
        form.institutions.errors = [error]
        return _show(user, form)
    before = {
        "role": user.role,
        "institutions": [i.code for i in user.institutions],
        "all": user.all_institutions,
    }
    user.role = str(form.role.data)
    user.institutions = list(db.session.scalars(select(Institution).where(Institution.code.in_(codes))))
    user.all_institutions = not codes
    audit(
        "user.update",
        f"user:{user.id}",
        email=user.email,
        before=before,
        role=user.role,
        institutions=codes,
        all_institutions=user.all_institutions,
        user=acting_user(),
    )
    if not _steward(form, user):
        db.session.rollback()
        return _show(db.session.get(User, user_id) or user, form)
    db.session.commit()
    flash(_("Saved."))
    return redirect(url_for(".show", user_id=user.id))


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@requires_role("admin")
def deactivate(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    form = _with_choices(ScopeForm(data=_scope_data(user)))
    if not ActionForm().validate_on_submit():
        abort(400)
    error = _would_leave_no_admin(user, stays_admin=False, stays_all=False)
    if error:
        form.institutions.errors = [error]
        return _show(user, form)
    if user.active:
        user.active = False
        audit("user.deactivate", f"user:{user.id}", email=user.email, user=acting_user())
        db.session.commit()
    flash(_("The account is deactivated: it cannot log in, and its sessions have ended."))
    return redirect(url_for(".show", user_id=user.id))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@requires_role("admin")
def reactivate(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not user.active:
        user.active = True
        audit("user.reactivate", f"user:{user.id}", email=user.email, user=acting_user())
        db.session.commit()
    flash(_("The account is active again."))
    return redirect(url_for(".show", user_id=user.id))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@requires_role("admin")
def unlock(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    forget_failed_logins(user)
    audit("user.unlock", f"user:{user.id}", email=user.email, user=acting_user())
    db.session.commit()
    flash(_("The account is unlocked."))
    return redirect(url_for(".show", user_id=user.id))


@bp.route("/<int:user_id>/password", methods=["POST"])
@requires_role("admin")
def reset_password(user_id: int) -> ResponseReturnValue:
    """A new generated password, shown once; the account's other sessions end (the session id changes)."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash(_("To change your own password, use 'Change password'."))
        return redirect(url_for(".show", user_id=user.id))
    password = generate_password()
    set_password(user, password)
    audit("user.password_reset", f"user:{user.id}", email=user.email, user=acting_user())
    db.session.commit()
    form = _with_choices(ScopeForm(formdata=None, data=_scope_data(user)))
    return _show(user, form, new_password=password)
