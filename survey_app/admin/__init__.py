"""The administrator console: one blueprint per feature under ``/admin``.

* :mod:`.auth` – login, logout, password change
* :mod:`.campaigns` – dashboard of campaigns in scope, campaign monitoring
* :mod:`.results` – compute runs, results table, charts, downloads
* :mod:`.invitations` – issue (CSV / QR PDF download) and revoke invitations
* :mod:`.exports` – downloads of responses (CSV, XLSX, SPSS, Stata)
* :mod:`.audit` – the audit log (admins)

Every view is guarded by :func:`survey_app.accounts.requires_role` (login and password change by the login
itself); ``tests/admin/test_route_roles.py`` holds the route × role table.
"""

from __future__ import annotations

from flask import Flask


def register_admin(app: Flask) -> None:
    from survey_app.admin.audit import bp as audit
    from survey_app.admin.auth import bp as auth
    from survey_app.admin.campaigns import bp as campaigns
    from survey_app.admin.exports import bp as exports
    from survey_app.admin.invitations import bp as invitations
    from survey_app.admin.results import bp as results

    for blueprint in (auth, campaigns, results, invitations, exports, audit):
        app.register_blueprint(blueprint)
    # The console menu lists a feature only when its blueprint is registered.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
