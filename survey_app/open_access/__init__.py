"""Open links for service users: ``/c/<campaign>/<group>[/<unit>]``, e.g. behind a QR code at a counter."""

from survey_app.open_access.views import bp

__all__ = ["bp"]
