"""The Flask extensions, created once here and initialised in order by :func:`survey_app.create_app`.

Order matters: the database comes first (everything else may query it), then migrations, CSRF, Babel (the
error pages are translated) and the rate limiter.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from survey_app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
# The remote address is used in memory (or in the rate-limit store, where entries expire within minutes) and
# is never written to the database or a log.
limiter = Limiter(key_func=get_remote_address)
