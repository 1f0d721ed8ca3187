"""Console forms (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from flask_babel import get_translations, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from survey_app.domain.accounts import MIN_PASSWORD_LENGTH


class _AppTranslations:
    """WTForms' messages from the app's catalog (:data:`survey_app.admin.terms.WTFORMS_MESSAGES`): WTForms
    ships no Indonesian, and Flask-WTF would read only WTForms' own catalogs."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


class ConsoleForm(FlaskForm):
    """Every console form: CSRF on every POST, messages in the console's language."""

    class Meta:
        def get_translations(self, form: object) -> _AppTranslations:
            return _AppTranslations()


class LoginForm(ConsoleForm):
    email = EmailField(lazy_gettext("E-mail"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


class PasswordForm(ConsoleForm):
    current = PasswordField(lazy_gettext("Current password"), validators=[DataRequired()])
    new = PasswordField(
        lazy_gettext("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        lazy_gettext("New password again"),
        validators=[DataRequired(), EqualTo("new", message=lazy_gettext("Passwords differ."))],
    )


class ActionForm(ConsoleForm):
    """A button that POSTs (logout, compute): only the CSRF token."""
