"""A real SMTP server (aiosmtpd) on a free local port, recording what it receives; a stand-in WhatsApp/SMS
gateway (``http.server`` in a thread) answering as ``docs/delivery.md`` says a gateway does."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient

from scoring.frames import ColumnMapping
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.extensions import db
from tests.apptools import Survey, csrf_of

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is not installed (the test extra)")
from aiosmtpd.controller import Controller  # noqa: E402


@dataclass
class Recorder:
    """Refuses ``refused`` addresses for good (550) and ``flaky`` ones once (451), keeps the rest."""

    refused: set[str] = field(default_factory=set)
    flaky: set[str] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    tried: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.tried[address] = self.tried.get(address, 0) + 1
        if address in self.refused:
            return f"550 5.1.1 <{address}>: user unknown"
        if address in self.flaky and self.tried[address] == 1:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp() -> Iterator[tuple[Recorder, int]]:
    port = free_port()
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    with running_smtp() as server:
        yield server


GATEWAY_TOKEN = "gateway-token-" + "g" * 20


@dataclass
class StandInGateway:
    """Answers each number with the statuses in ``script`` in turn (then 200); ``slow`` numbers wait past the
    client's timeout on their first request. A wrong Bearer token gets 401."""

    url: str = ""
    script: dict[str, list[int]] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    delay: float = 1.5
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    tried: dict[str, int] = field(default_factory=dict)

    def answer(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.headers.append(headers)
        if headers.get("Authorization") != f"Bearer {GATEWAY_TOKEN}":
            return 401, {"error": "bad token"}
        to = str(body.get("to"))
        self.tried[to] = self.tried.get(to, 0) + 1
        if to in self.slow and self.tried[to] == 1:
            time.sleep(self.delay)
        planned = self.script.get(to, [])
        status = planned.pop(0) if planned else 200
        if status == 200:
            self.requests.append(body)
            return 200, {"id": f"msg-{len(self.requests)}", "status": "queued"}
        return status, {"error": f"cannot deliver to {to}" if status < 500 else "upstream down"}

    def to(self, number: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["to"] == number]


@contextmanager
def running_gateway() -> Iterator[StandInGateway]:
    gateway = StandInGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status, answer = gateway.answer(dict(self.headers.items()), body)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (the timeout under test)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gateway.url = f"http://127.0.0.1:{server.server_port}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def gateway_server() -> Iterator[StandInGateway]:
    with running_gateway() as gateway:
        yield gateway


@pytest.fixture
def spi(app: Any) -> Any:
    from questionnaires.bundled import load_bundled_questionnaire
    from tests.admin.admintools import BUNDLED
    from tests.apptools import build_survey

    return build_survey(app, {g: load_bundled_questionnaire(ident) for g, ident in BUNDLED.items()})


LINK = re.compile(r"http://[^\s]+/r/([A-Za-z0-9_\-]+)")
PEOPLE = [f"pegawai{k}@kota.go.id" for k in range(6)]


def link_token(message: object) -> str:
    body = message.get_content()  # type: ignore[attr-defined]
    found = LINK.search(body)
    assert found, body
    return found.group(1)


@pytest.fixture
def mini_campaign(app: Flask, survey: Survey, smtp_server: tuple[Recorder, int]) -> Survey:
    """The small questionnaire's campaign, everybody of :data:`PEOPLE` drawn (its pages are known)."""
    _, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, MAIL_FROM="s@kota.go.id")
    upload_frame(
        survey.campaign,
        ("unit,email\n" + "".join(f"SETDA,{p}\n" for p in PEOPLE)).encode(),
        "daftar.csv",
        ColumnMapping(unit="unit", email="email"),
        group="internal",
        user=None,
    )
    plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [len(PEOPLE)]})
    draw_campaign(survey.campaign, plan, seed=5, user=None)
    db.session.commit()
    return survey


def answer_through_the_pages(client: FlaskClient, link: str) -> None:
    """What a respondent does: the consent page, every page of the small questionnaire, the thank-you."""
    intro = client.get(link)
    assert intro.status_code == 200
    reply = client.post(link, data={"csrf_token": csrf_of(intro.get_data(as_text=True)), "consent": "y"})
    url = reply.headers["Location"]
    for data in ({"q_yes": "tidak"}, {"q_count": "4"}, {}, {"q_why": "Tidak pernah"}):
        page = client.get(url)
        reply = client.post(
            url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", **data}
        )
        assert reply.status_code == 303, reply.get_data(as_text=True)[:1000]
        url = reply.headers["Location"]
    assert url.endswith("/thanks")
