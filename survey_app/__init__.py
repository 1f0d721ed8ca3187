"""The integrity survey web app: ``create_app`` builds a configured Flask application.

The layers (adapters → domain → models) are described in ``docs/architecture.md``.

>>> app = create_app({"TESTING": True, "SECRET_KEY": "x", "TOKEN_HASH_KEY": "y",
...                   "SQLALCHEMY_DATABASE_URI": "sqlite://"})
>>> sorted(bp for bp in app.blueprints if not bp.startswith("admin_"))
['api', 'gateway_status', 'health', 'home', 'open_access', 'optout', 'respondent']
>>> len([bp for bp in app.blueprints if bp.startswith("admin_")])
18
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app import config as app_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment, its ``INSTANCE_PATH`` moves ``instance/``."""
    overrides = dict(config or {})
    instance_path = overrides.pop("INSTANCE_PATH", None)
    app = Flask(
        __name__, instance_path=str(instance_path) if instance_path else None, instance_relative_config=True
    )
    instance = Path(app.instance_path)

    settings = app_config.defaults(instance)
    settings.update(app_config.from_environment(os.environ))
    settings.update(overrides)
    if str(settings["SQLALCHEMY_DATABASE_URI"]).startswith(f"sqlite:///{instance}"):
        instance.mkdir(parents=True, exist_ok=True)
    app_config.finish(settings, instance)
    app.config.update(settings)

    if app.config["TRUSTED_PROXY_COUNT"]:
        count = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]

    _init_extensions(app)
    _register_blueprints(app)

    from survey_app.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from survey_app import i18n, login, logs, security
    from survey_app.csrf import init_csrf
    from survey_app.database import init_database
    from survey_app.errors import init_errors
    from survey_app.extensions import babel, db, limiter, migrate

    logs.init_logging(app)
    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    init_csrf(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    i18n.install_template_gettext(app)
    limiter.init_app(app)
    login.init_login(app)
    init_errors(app)

    app.before_request(i18n.remember_requested_language)
    app.after_request(security.set_security_headers)
    security.install_log_redaction(app)

    app.context_processor(i18n.template_context)
    from survey_app.dates import local_time

    app.add_template_filter(local_time)


def _register_blueprints(app: Flask) -> None:
    from survey_app.admin import register_admin
    from survey_app.api import init_api
    from survey_app.health import bp as health
    from survey_app.respondent import register_respondent

    app.register_blueprint(health)
    register_respondent(app)
    register_admin(app)
    init_api(app)
