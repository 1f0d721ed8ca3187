"""The confirmation step of irreversible console actions: a page with what will happen and a box to tick.

Checked on the server: a POST without the ticked box shows the page again (400) and does nothing, so the
step holds without JavaScript and against a hand-made request.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from wtforms import BooleanField
from wtforms.validators import DataRequired

from survey_app.admin.forms import ConsoleForm


class ConfirmForm(ConsoleForm):
    confirm = BooleanField(
        lazy_gettext("I understand what this does and want to go ahead."),
        validators=[DataRequired(message=lazy_gettext("Tick the box to confirm."))],
    )


def confirm_page(
    form: ConfirmForm,
    *,
    title: str,
    consequences: Sequence[str],
    button: str,
    cancel_url: str,
) -> ResponseReturnValue:
    """The confirmation page; 400 when a POST came without the box ticked."""
    status = 400 if form.errors else 200
    return render_template(
        "admin/confirm.html",
        form=form,
        title=title,
        consequences=consequences,
        button=button,
        cancel_url=cancel_url,
    ), status
