"""``deploy/nginx/integrity-survey.conf`` run by Debian's nginx: TLS, two app servers from the systemd unit,
Chromium answering a questionnaire through it, and logs that hold no token and no respondent time of day.

The site file is used as shipped; only what a test cannot have is moved: ports (non-privileged), the
certificate (made here), the log directory, the upstream ports and the checkout's path. The surrounding
``nginx.conf`` stands in for Debian's, including its http-level ``access_log`` in the combined format,
which the site's servers must override.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.deploy.servers import (
    DEPLOY,
    ROOT,
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

SITE = DEPLOY / "nginx" / "integrity-survey.conf"
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_OPTOUT_TOKEN = "OptOutToken_abcdefghijklmn"


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip("Debian's nginx is not installed (apt-get install -y nginx)")
    return found


class Nginx:
    """The site rendered into ``directory`` with its own nginx.conf, pid, logs and temp paths."""

    def __init__(self, directory: Path, certificate: Path, key: Path, app_ports: tuple[int, int]) -> None:
        self.directory = directory
        self.http_port, self.https_port = free_port(), free_port()
        self.logs = directory / "log"
        for sub in ("log", "temp", "acme"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        moved = {
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "server 127.0.0.1:8001 ": f"server 127.0.0.1:{app_ports[0]} ",
            "server 127.0.0.1:8002 ": f"server 127.0.0.1:{app_ports[1]} ",
            "/etc/letsencrypt/live/survey.example.go.id/fullchain.pem": str(certificate),
            "/etc/letsencrypt/live/survey.example.go.id/privkey.pem": str(key),
            "/var/log/nginx/": f"{self.logs}/",
            "/var/www/letsencrypt": str(directory / "acme"),
            "/srv/integrity-survey/": f"{ROOT}/",
        }
        site = SITE.read_text(encoding="utf-8")
        for old, new in moved.items():
            assert old in site, f"{SITE.name} no longer has {old!r}; update the test's rendering"
            site = site.replace(old, new)
        assert not re.search(r"^\s*http2\s+on;", site, re.M), "Debian 12's nginx 1.22 rejects `http2 on;`"
        (directory / "integrity-survey.conf").write_text(site, encoding="utf-8")
        temp = directory / "temp"
        # As root, nginx's workers would run as nobody, who cannot enter pytest's private temp directory.
        user = "user root;" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {self.logs}/nginx-main.error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    # Debian's nginx.conf logs every server without an access_log of its own like this.
    access_log {self.logs}/debian-default.access.log combined;
    include {directory}/integrity-survey.conf;
}}
""",
            encoding="utf-8",
        )

    def command(self, *extra: str) -> list[str]:
        return [_nginx(), "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"), *extra]

    def log_texts(self) -> dict[str, str]:
        return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in self.logs.iterdir()}


def _get(url: str, verify: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=15, verify=verify, **kwargs)


def test_two_app_servers_behind_nginx_with_tls(browser: Any, tmp_path: Path) -> None:
    _nginx()
    certificate, key = make_certificate(tmp_path)
    prepared = prepare_survey(database_url(tmp_path, "nginx"), tmp_path)
    app_ports = (free_port(), free_port())
    nginx = Nginx(tmp_path / "nginx", certificate, key, app_ports)
    base = f"https://127.0.0.1:{nginx.https_port}"
    environment = server_environment(prepared.database_url, TRUSTED_PROXY_COUNT="1", PUBLIC_BASE_URL=base)
    verify = str(certificate)
    checked = subprocess.run(nginx.command("-t"), capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr

    first_log, second_log = tmp_path / "app1.log", tmp_path / "app2.log"
    first_run, second_run = tmp_path / "run1", tmp_path / "run2"
    with (
        running(app_server_command(app_ports[0], first_run), environment, first_log) as first,
        running(app_server_command(app_ports[1], second_run), environment, second_log) as second,
        running(nginx.command(), os.environ, tmp_path / "nginx.out") as proxy,
    ):
        wait_until_serving(f"http://127.0.0.1:{app_ports[0]}/admin/login", first, first_log)
        wait_until_serving(f"http://127.0.0.1:{app_ports[1]}/admin/login", second, second_log)
        wait_until_serving(f"{base}/admin/login", proxy, tmp_path / "nginx.out", verify=verify)
        # gunicorn >= 25.1 opens a control socket; each server has its own, none shares a default one.
        assert (first_run / "gunicorn.ctl").is_socket()
        assert (second_run / "gunicorn.ctl").is_socket()

        # A link typed without https:// is redirected (and logged without its token, see below).
        plain = requests.get(
            f"http://127.0.0.1:{nginx.http_port}/r/{prepared.tokens[0]}", timeout=15, allow_redirects=False
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://127.0.0.1/r/{prepared.tokens[0]}"

        context = browser.new_context(ignore_https_errors=True, locale="id-ID")
        try:
            # Round robin: the respondent's requests land on both servers and the session holds.
            answer_in_browser(context, f"{base}/r/{prepared.tokens[0]}")
            log_in_in_browser(context, base)
        finally:
            context.close()

        # One server down: nginx passes the requests to the other (and must not log the token doing so).
        second.terminate()
        second.wait(60)
        waiting = f"{base}/r/{prepared.tokens[1]}"
        assert all(_get(waiting, verify).status_code == 200 for _ in range(4))
        # An opt-out link (docs/delivery.md) is logged without its token as well.
        assert _get(f"{base}/o/{_OPTOUT_TOKEN}", verify).status_code == 404
        # Both down: 502 (nginx's error log at `error` would print the request line with the token).
        first.terminate()
        first.wait(60)
        assert _get(waiting, verify).status_code == 502
        assert _get(f"{waiting}/p/s1?lang=en", verify).status_code == 502
        time.sleep(0.5)  # nginx writes its logs unbuffered; give the worker a moment

    logs = nginx.log_texts()
    assert logs, "nginx wrote no log at all"
    for name, text in logs.items():
        for token in prepared.tokens:
            assert token not in text, f"{name} holds an invitation token:\n{text}"
        assert _OPTOUT_TOKEN not in text, f"{name} holds an opt-out token:\n{text}"
    assert logs["debian-default.access.log"] == "", "a request was logged in Debian's default format"
    respondent = logs["integrity-survey.respondent.log"]
    assert respondent.count('"GET /r/[redacted]') >= 6
    assert '"POST /r/[redacted]/p/' in respondent
    assert '"GET /o/[redacted]"' in respondent
    assert '"GET /thanks' in respondent
    today = time.strftime("%Y-%m-%d")  # nginx logs local time
    for name in ("integrity-survey.respondent.log", "integrity-survey.redirect.log"):
        lines = logs[name].splitlines()
        assert lines, f"{name} is empty"
        for line in lines:
            assert line.startswith(today), line
            assert not _TIME_OF_DAY.search(line), f"{name} has a time of day: {line}"
    console = logs["integrity-survey.access.log"]
    assert '"POST /admin/login"' in console
    assert "/r/" not in console
    assert "/thanks" not in console
    assert "127.0.0.1" not in console + respondent, "a client address was logged"


def test_error_log_at_crit_is_what_keeps_the_token_out(tmp_path: Path) -> None:
    """The control: the same site with `error_log ... error` writes the token when no app server answers,
    so the test above would notice a weaker level."""
    _nginx()
    certificate, key = make_certificate(tmp_path)
    token = "ControlToken_abcdefghijklmnop"
    nginx = Nginx(tmp_path / "nginx", certificate, key, (free_port(), free_port()))
    site = nginx.directory / "integrity-survey.conf"
    site.write_text(site.read_text(encoding="utf-8").replace(".error.log crit;", ".error.log error;"))
    with running(nginx.command(), os.environ, tmp_path / "nginx.out") as proxy:
        url = f"https://127.0.0.1:{nginx.https_port}/r/{token}"
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _get(url, str(certificate)).status_code == 502
                break
            except requests.ConnectionError:
                assert proxy.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.2)
        time.sleep(0.5)
    assert token in (nginx.logs / "integrity-survey.error.log").read_text(encoding="utf-8")
