"""One response per invitation and nothing lost while app-server workers are killed mid-submit.

A real gunicorn serves real HTTP; a thread kills one of its workers (SIGKILL, as the kernel's out-of-memory
killer would) after every few finished submits, while eight respondents keep submitting. A respondent whose
request died reloads and submits again, as a browser user would. Afterwards every invitation is spent exactly
once and holds exactly one response: the spend and the storing of the answers are one transaction, so a kill
either keeps both or neither.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.models import Draft, HeldResponse, Invitation, Response
from tests.apptools import build_survey, csrf_of, prepared_drafts
from tests.conftest import TEST_SECRETS, make_app

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RESPONDENTS = 40
#: Workers killed in all, one after every KILL_EVERY finished submits.
KILLS = 5
KILL_EVERY = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


def _submit(root: str, token: str) -> str:
    """Load the last page and submit it, again after any lost connection or server error; the outcome."""
    for _attempt in range(40):
        session = requests.Session()
        try:
            page = session.get(f"{root}/r/{token}/p/s2", timeout=20, allow_redirects=False)
            if page.status_code != 200:
                # Spent by an earlier attempt whose reply was lost: the start page says so once acted on.
                return "spent-before" if page.status_code in (302, 303) else f"page {page.status_code}"
            reply = session.post(
                f"{root}/r/{token}/p/s2",
                data={"csrf_token": csrf_of(page.text), "action": "next", "q_name": "Staf"},
                timeout=20,
                allow_redirects=False,
            )
        except requests.RequestException:
            time.sleep(0.2)
            continue
        if reply.status_code == 303 and reply.headers["Location"].endswith("/thanks"):
            return "thanks"
        if reply.status_code >= 500:
            time.sleep(0.2)
            continue
        return f"submit {reply.status_code}"
    return "gave up"


def test_killing_workers_mid_submit_loses_and_doubles_nothing(
    backend: str, committed_database: str, tmp_path: Path, mini: Questionnaire
) -> None:
    if backend != "postgresql":
        # Each kill costs a worker boot; one backend is enough, and it is production's.
        pytest.skip("the killed-worker test runs on PostgreSQL (the production database)")
    app = make_app(committed_database, tmp_path)
    with app.app_context():
        survey = build_survey(app, {"internal": mini})
        tokens = prepared_drafts(survey, RESPONDENTS, {"q_yes": "ya", "q_kind": ["uang"], "q_count": 2})
        db.session.remove()
        db.engine.dispose()

    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN", "FLASK"))},
        **TEST_SECRETS,
        "DATABASE_URL": committed_database,
        "SURVEY_ENV": "development",
        "INVITATION_RATE_LIMIT": "100000/minute",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread",
         "--threads", "4", "--graceful-timeout", "1", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    kills: list[int] = []
    finished: list[str] = []

    def killer() -> None:
        # Kill a worker after every few finished submits, while the other respondents' requests are in
        # flight: each kill lands mid-request, and the workers still get time to boot between kills.
        rng = random.Random(12)
        while not stop.wait(0.05) and len(kills) < KILLS:
            if len(finished) < KILL_EVERY * (len(kills) + 1):
                continue
            workers = _children(server.pid)
            if workers:
                victim = rng.choice(workers)
                try:
                    os.kill(victim, signal.SIGKILL)
                    kills.append(victim)
                except ProcessLookupError:
                    pass

    def respondent(token: str) -> str:
        outcome = _submit(root, token)
        finished.append(outcome)
        return outcome

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{root}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(respondent, tokens))
        stop.set()
        thread.join(5)
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()

    assert len(kills) == KILLS, "the test killed too few workers to mean anything"
    assert set(outcomes) <= {"thanks", "spent-before"}, outcomes
    with app.app_context():
        spent = db.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.state == "spent")
        )
        stored = (db.session.scalar(select(func.count()).select_from(Response)) or 0) + (
            db.session.scalar(select(func.count()).select_from(HeldResponse)) or 0
        )
        drafts = db.session.scalar(select(func.count()).select_from(Draft))
        db.session.remove()
        db.engine.dispose()
    # Every invitation spent, each with one response (an invitation is spent once, with its response).
    assert (spent, stored, drafts) == (RESPONDENTS, RESPONDENTS, 0)
