"""The administrator console: one blueprint per feature under ``/admin``.

* :mod:`.auth` – login, logout, password change
* :mod:`.campaigns` – dashboard of campaigns in scope, campaign monitoring
* :mod:`.results` – compute runs, results table, charts, downloads
* :mod:`.invitations` – issue (CSV / QR PDF download) and revoke invitations
* :mod:`.exports` – downloads of responses (CSV, XLSX, SPSS, Stata)
* :mod:`.audit` – the audit log (admins)

Each module with a ``bp`` blueprint is registered by :func:`register_admin`, so a feature is one module (this
list is for the reader). Every view is guarded by :func:`survey_app.login.requires_role` (login and
password change by the login itself); ``tests/admin/rules`` holds the route × role table.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint, Flask


def register_admin(app: Flask) -> None:
    """Register the blueprint (``bp``) of every module of this package."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        blueprint = getattr(module, "bp", None)
        if isinstance(blueprint, Blueprint):
            app.register_blueprint(blueprint)
    # The console menu lists a feature only when its blueprint is registered.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
