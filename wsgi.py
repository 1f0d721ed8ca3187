"""WSGI entry point for gunicorn: ``gunicorn wsgi:app`` (configuration from the environment).

Loaded this way the app is in production unless ``SURVEY_ENV`` says otherwise, so a missing key or
``PUBLIC_BASE_URL`` stops the server with one line per problem instead of generating keys nobody shares.
"""

import os
import sys

from survey_app import create_app
from survey_app.config import ConfigError

try:
    app = create_app({"SURVEY_ENV": os.environ.get("SURVEY_ENV", "production")})
except ConfigError as error:
    print(error.format_message(), file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": the arbiter stops instead of restarting workers forever.
    raise SystemExit(3) from None
