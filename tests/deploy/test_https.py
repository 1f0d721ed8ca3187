"""Over real TLS (gunicorn with a certificate made here), Chromium answers a questionnaire and logs into the
console: every POST on the way (consent, each page, the final submit, the login) passes the CSRF checks
without a ``Referer``, which browsers do not send from respondent pages (``Referrer-Policy: no-referrer``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.deploy.servers import (
    answer_in_browser,
    app_server_command,
    database_url,
    free_port,
    log_in_in_browser,
    make_certificate,
    prepare_survey,
    running,
    server_environment,
    wait_until_serving,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_questionnaire_and_console_login_over_https(browser: Any, tmp_path: Path) -> None:
    certificate, key = make_certificate(tmp_path)
    prepared = prepare_survey(database_url(tmp_path, "https"), tmp_path)
    port = free_port()
    command = [*app_server_command(port, tmp_path / "run"), "--certfile", str(certificate)]
    command += ["--keyfile", str(key)]
    base = f"https://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    # Started as gunicorn starts it (production): the keys and the public address are required.
    with running(command, server_environment(prepared.database_url, PUBLIC_BASE_URL=base), log) as server:
        wait_until_serving(f"{base}/readyz", server, log, verify=str(certificate))
        context = browser.new_context(ignore_https_errors=True, locale="id-ID")
        try:
            answer_in_browser(context, f"{base}/r/{prepared.tokens[0]}")
            log_in_in_browser(context, base)
            cookies = {c["name"]: c for c in context.cookies()}
            assert cookies["session"]["secure"], "the session cookie over HTTPS must be Secure"
        finally:
            context.close()
        # Another site's form, posted with the respondent's own session and token, is refused.
        session, verify = requests.Session(), str(certificate)
        link = f"{base}/r/{prepared.tokens[1]}"
        form = session.get(link, timeout=10, verify=verify).text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"csrf_token": token, "consent": "y"}
        evil = {"Origin": "https://evil.example"}
        forged = session.post(link, data=data, headers=evil, timeout=10, verify=verify)
        assert forged.status_code == 400
        real = session.post(
            link, data=data, headers={"Origin": "null"}, timeout=10, verify=verify, allow_redirects=False
        )
        assert real.status_code == 303
    engine = sa.create_engine(prepared.database_url)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM responses")) == 1
        assert connection.scalar(sa.text("SELECT count(*) FROM drafts")) == 1  # the second link's consent
    engine.dispose()
