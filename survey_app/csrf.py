"""Cross-site request forgery: Flask-WTF's session-bound token, SameSite cookies and an ``Origin`` check.

Flask-WTF's ``WTF_CSRF_SSL_STRICT`` demands a same-origin ``Referer`` on every HTTPS POST. Respondent pages
send ``Referrer-Policy: no-referrer`` (their URLs hold the invitation token, see :mod:`survey_app.security`),
so browsers send no ``Referer`` and every POST over HTTPS failed. That check is replaced here by one on the
``Origin`` header, which browsers send on every POST:

* the app's own origin (the scheme and host of the request, as the trusted proxies report them) or the origin
  of ``PUBLIC_BASE_URL`` is accepted everywhere;
* ``null`` is what a browser sends from a page whose policy is ``no-referrer`` (Fetch standard, "append a
  request Origin header"), so it is accepted on the respondent paths only; the console's pages are
  ``same-origin``, so a real browser always names the origin there;
* any other origin is refused (400) before the view runs, whatever the token says;
* no ``Origin`` at all (command-line clients, the test client) falls back to the token alone.

What keeps a forged POST out without a ``Referer``: the token is bound to the session, which lives in a
``SameSite=Lax`` cookie that browsers do not send on a cross-site POST, and another site cannot read a page to
learn the token. A forged request from a sandboxed frame (``Origin: null``) therefore arrives without the
session and fails the token check. ``docs/deployment.md`` ("CSRF without Referer") says the same.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFError

from survey_app.extensions import csrf
from survey_app.security import referrer_policy

#: Methods that change state; the others never need a token.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; ``None`` for what is no origin.

    >>> normalise_origin("HTTPS://Survei.Example.go.id:443")
    'https://survei.example.go.id'
    >>> normalise_origin("http://127.0.0.1:5000/r/abc")
    'http://127.0.0.1:5000'
    >>> normalise_origin("null") is None
    True
    """
    parts = urlsplit(value.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is not None and str(port) != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def allowed_origins() -> set[str]:
    """The origin of this request (after ``ProxyFix``) and that of ``PUBLIC_BASE_URL``."""
    origins = {normalise_origin(f"{request.scheme}://{request.host}")}
    public = current_app.config.get("PUBLIC_BASE_URL")
    if public:
        origins.add(normalise_origin(str(public)))
    return {origin for origin in origins if origin}


def check_origin() -> None:
    """Refuses an unsafe request whose ``Origin`` is another site's (a ``before_request`` hook)."""
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    sent = request.headers.get("Origin")
    if sent is None:
        return
    if sent.strip() == "null":
        if referrer_policy(request.path) == "no-referrer":
            return
        raise CSRFError("The request came from a page without an origin.")
    origin = normalise_origin(sent)
    allowed = allowed_origins()
    if origin in allowed:
        return
    if origin and urlsplit(origin).netloc in {urlsplit(a).netloc for a in allowed}:
        # Same host, other scheme: almost always a proxy that terminates TLS without being trusted.
        current_app.logger.warning(
            "POST refused: the browser's origin is %s but the app sees %s://%s; is TRUSTED_PROXY_COUNT "
            "the number of proxies that set X-Forwarded-Proto?",
            origin,
            request.scheme,
            request.host,
        )
    raise CSRFError("The request came from another site.")


def init_csrf(app: Flask) -> None:
    """Flask-WTF's token check, with the ``Origin`` check in place of its ``Referer`` check."""
    # Before CSRFProtect.init_app, which sets its own default (True); a test may still pass True.
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    app.before_request(check_origin)
    csrf.init_app(app)
    # The pages' <meta name="referrer"> states the header's policy, so the two can never disagree.
    app.jinja_env.globals["referrer_policy"] = referrer_policy
