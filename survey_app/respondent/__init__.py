"""The respondent flow: everything a respondent meets, from the link to the thank-you page.

Two layers live here. Below the domain (the domain reads them for exports and results):

- :mod:`.pages` — the questionnaire as a sequence of pages, skip logic, cleaning of answers;
- :mod:`.questions` — the registry of question types (one small class per item type, its WTForms field, its
  export and display of a stored value);
- :mod:`.display` — sanitised Markdown and the per-language view of a questionnaire;
- :mod:`.versions` — a stored questionnaire version parsed once per process, with its pages and forms;
- :mod:`.state` — the plain values a request works on (campaign terms, a draft) and the draft statements;
- :mod:`.store` — the final submit: a response stored whole, one per invitation;
- :mod:`.retention` — purging drafts that will never be finished.

Above the domain, adapters like ``admin/`` and ``api/``:

- :mod:`.handlers` — the request handlers both entry blueprints delegate to (consent, pages, submit);
- :mod:`.invited` — the ``/r/<token>`` blueprint (invitation links);
- :mod:`.open_access` — the ``/c/<campaign>/<group>[/<unit>]`` blueprint (open links, QR codes);
- :mod:`.optout` — the ``/o/<token>`` blueprint (the opt-out link of every message).

This package's ``__init__`` imports nothing, so reading a question type does not load the blueprints.
"""

from __future__ import annotations

from flask import Flask


def register_respondent(app: Flask) -> None:
    """Register the two entry blueprints and the opt-out page."""
    from survey_app.respondent.invited import bp as invited
    from survey_app.respondent.open_access import bp as open_access
    from survey_app.respondent.optout import bp as optout

    app.register_blueprint(invited)
    app.register_blueprint(open_access)
    app.register_blueprint(optout)
