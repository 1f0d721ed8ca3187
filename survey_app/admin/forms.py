"""Console forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from survey_app.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)])
    confirm = PasswordField(
        _l("New password again"), validators=[DataRequired(), EqualTo("new", message=_l("Passwords differ."))]
    )


class ActionForm(FlaskForm):
    """A button that POSTs (logout, compute): only the CSRF token."""
