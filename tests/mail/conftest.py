"""A real SMTP server (aiosmtpd) on a free local port, recording what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest

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


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.fixture
def spi(app: Any) -> Any:
    from questionnaires.bundled import load_bundled_questionnaire
    from tests.admin.admintools import BUNDLED
    from tests.apptools import build_survey

    return build_survey(app, {g: load_bundled_questionnaire(ident) for g, ident in BUNDLED.items()})
