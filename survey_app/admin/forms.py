"""Console forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from survey_app.domain.accounts import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])
    new = PasswordField(
        lazy_gettext("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[DataRequired(), EqualTo("new", message=lazy_gettext("Passwords differ."))],
    )


class ActionForm(FlaskForm):
    """A button that POSTs (logout, compute): only the CSRF token."""
