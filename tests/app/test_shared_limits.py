"""Two app servers share their rate limits through Redis (``RATELIMIT_STORAGE_URI``), as deployed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.apptools import csrf_of
from tests.conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parents[2]
STORAGE = "redis://127.0.0.1:6379/13"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[str]]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(STORAGE)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {STORAGE}: {exc}")
    client.flushdb()
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {
        **os.environ,
        **TEST_SECRETS,
        "DATABASE_URL": database,
        "RATELIMIT_STORAGE_URI": STORAGE,
        "LOGIN_RATE_LIMIT": "3/minute",
        "SURVEY_ENV": "development",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "survey_app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    roots = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for root in roots:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{root}/healthz", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{root} did not start")
                time.sleep(0.2)
        yield roots
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
        client.flushdb()


def test_two_servers_count_login_attempts_together(two_servers: list[str]) -> None:
    session = requests.Session()
    token = csrf_of(session.get(f"{two_servers[0]}/admin/login", timeout=10).text)
    statuses = []
    for attempt in range(4):
        root = two_servers[attempt % 2]  # alternate, as a balancer would
        reply = session.post(
            f"{root}/admin/login",
            data={"csrf_token": token, "email": "nobody@example.org", "password": "not the password"},
            timeout=20,
            allow_redirects=False,
        )
        statuses.append(reply.status_code)
    # Each server alone has seen two attempts; together they have used up the limit of three.
    assert statuses == [401, 401, 401, 429]
