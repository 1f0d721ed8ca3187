"""The real job queue: ``flask worker`` on Redis runs computations; a worker killed mid-job fails its job
within a minute, the page says so, and "Compute" starts a new one at once."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from questionnaires.bundled import load_bundled_questionnaire
from survey_app.extensions import db
from survey_app.models.score_runs import ComputeJob
from tests.admin.admintools import BUNDLED, add_campaign_responses, login, make_user
from tests.apptools import build_survey, csrf_of
from tests.conftest import TEST_SECRETS, make_app

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"
QUEUE_SETTINGS = {"JOB_HEARTBEAT_SECONDS": 1, "JOB_HEARTBEAT_TIMEOUT": 4}


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue name of this test's own on the local Redis; its keys are deleted afterwards."""
    redis = pytest.importorskip("redis")
    pytest.importorskip("rq")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    name = f"test-{secrets.token_hex(4)}"
    yield name
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


def _worker(database: str, queue: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        **TEST_SECRETS,
        "DATABASE_URL": database,
        "REDIS_URL": REDIS_URL,
        "JOB_QUEUE": "rq",
        "JOB_QUEUE_NAME": queue,
        "JOB_HEARTBEAT_SECONDS": "1",
        "JOB_HEARTBEAT_TIMEOUT": "4",
    }
    # Its own process group: killing the group kills the worker and the forked process running the job.
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "survey_app", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _setup(app: Flask) -> str:
    with app.app_context():
        survey = build_survey(app, {g: load_bundled_questionnaire(i) for g, i in BUNDLED.items()})
        add_campaign_responses(survey.campaign, {"SETDA": 8, "DINKES": 6})
        make_user("analyst", ["KOTA"])
        slug = survey.campaign.slug
        db.session.remove()
    return slug


def _compute(client: FlaskClient, slug: str) -> str:
    page = client.get(f"/admin/campaigns/{slug}/results/").get_data(as_text=True)
    reply = client.post(f"/admin/campaigns/{slug}/results/compute", data={"csrf_token": csrf_of(page)})
    assert reply.status_code == 302
    return str(reply.headers["Location"])


def _requested(database: str, tmp_path: Path, queue: str) -> tuple[Flask, FlaskClient, str, str, int]:
    """An app on the RQ queue ``queue``, a campaign with responses, and a computation requested by an
    analyst through the console: (app, the analyst's client, slug, job page, job id)."""
    app = make_app(
        database,
        tmp_path,
        JOB_QUEUE="rq",
        REDIS_URL=REDIS_URL,
        JOB_QUEUE_NAME=queue,
        COMPUTE_IN_BACKGROUND=True,
        **QUEUE_SETTINGS,
    )
    slug = _setup(app)
    client = app.test_client()
    login(client, "analyst@example.org")
    location = _compute(client, slug)
    return app, client, slug, location, int(location.rsplit("/", 1)[1])


def _job(app: Flask, job_id: int) -> ComputeJob:
    with app.app_context():
        job = db.session.get(ComputeJob, job_id)
        assert job is not None
        db.session.expunge(job)
        db.session.remove()
        return job


def _wait(predicate: Any, seconds: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_flask_worker_runs_a_queued_computation(
    committed_database: str, tmp_path: Path, redis_queue: str
) -> None:
    app, client, _slug, location, job_id = _requested(committed_database, tmp_path, redis_queue)
    assert _job(app, job_id).state == "queued"
    # Nothing listens yet: the page says so instead of waiting silently.
    status = client.get(f"{location}.json?lang=en").get_json()
    assert status["state"] == "queued"
    assert "No worker is running" in status["waiting"]
    worker = _worker(committed_database, redis_queue, "--burst")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    job = _job(app, job_id)
    assert (job.state, job.error) == ("done", ""), output
    assert job.score_run_id is not None
    assert job.worker  # host:pid of the process that ran it


@pytest.mark.postgres
def test_a_killed_worker_fails_its_job_within_a_minute_and_compute_starts_again(
    committed_database: str, tmp_path: Path, redis_queue: str
) -> None:
    if not committed_database.startswith("postgresql"):
        pytest.skip("the job is held mid-run by a PostgreSQL table lock; SQLite's WAL lets readers through")
    app, client, slug, location, job_id = _requested(committed_database, tmp_path, redis_queue)

    # Hold the job after it has started: it marks itself running, then waits to read the responses.
    url = make_url(committed_database)
    schema = str(url.query["options"]).removeprefix("-csearch_path=")
    lock = psycopg.connect(url.set(drivername="postgresql", query={}).render_as_string(hide_password=False))
    lock.execute(f'LOCK TABLE "{schema}".responses IN ACCESS EXCLUSIVE MODE')
    worker = _worker(committed_database, redis_queue)
    try:
        _wait(lambda: _job(app, job_id).state == "running", 60, "the worker starts the job")
        first = _job(app, job_id).heartbeat_at
        _wait(lambda: _job(app, job_id).heartbeat_at != first, 10, "the running job beats")
        # RQ runs the job in a forked child in a session of its own (recorded as host:pid): kill both, as
        # an out-of-memory kill or a lost machine would.
        job_process = int(_job(app, job_id).worker.rsplit(":", 1)[1])
        assert job_process != worker.pid
        os.kill(job_process, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        killed = time.monotonic()
    except AssertionError:
        os.killpg(worker.pid, signal.SIGKILL)
        raise AssertionError(worker.communicate(timeout=10)[0]) from None
    finally:
        lock.rollback()
        lock.close()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)

    # The status page reports the failure once the heartbeat is stale ...
    def failed() -> bool:
        return client.get(f"{location}.json?lang=en").get_json()["state"] == "failed"

    _wait(failed, 60, "the page reports the dead job")
    assert time.monotonic() - killed < 60
    status = client.get(f"{location}.json?lang=en").get_json()
    assert status["error"].startswith("The computation stopped: the process running it ended")
    page = client.get(f"{location}?lang=en").get_data(as_text=True)
    assert "The computation stopped" in page

    # ... and "Compute" starts a new job at once instead of joining the dead one.
    second = _compute(client, slug)
    assert second != location
    job = _job(app, job_id)
    assert (job.state, job.error.startswith("The computation stopped")) == ("failed", True)
    worker = _worker(committed_database, redis_queue, "--burst")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    assert _job(app, int(second.rsplit("/", 1)[1])).state == "done", output


def test_worker_refuses_without_a_queue(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JOB_QUEUE")}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "survey_app", "worker"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "flask worker needs JOB_QUEUE=rq and REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_worker_schedules_the_daily_retention_and_reminders_once(app: Flask, redis_queue: str) -> None:
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from survey_app.worker import schedule_reminders, schedule_retention

    app.config.update(JOB_QUEUE="rq", REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=redis_queue)
    app.extensions.pop("redis_client", None)
    when = schedule_retention()
    assert when is not None
    assert (when.hour, when.minute) == (2, 0)
    assert str(when.tzinfo) == app.config["SURVEY_TIMEZONE"]
    assert schedule_retention() is None  # a second worker does not schedule it again
    reminders = schedule_reminders()
    assert reminders is not None
    assert (reminders.hour, reminders.minute) == (app.config["REMINDER_HOUR"], 0) == (9, 0)
    assert schedule_reminders() is None
    from survey_app.queue import redis_connection

    registry = ScheduledJobRegistry(queue=Queue(redis_queue, connection=redis_connection()))
    assert sorted(registry.get_job_ids()) == [f"{redis_queue}-reminders", f"{redis_queue}-retention"]
    app.extensions.pop("redis_client", None)


def test_the_retention_task_purges_what_the_daily_commands_would(app: Flask, survey: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from survey_app.models import Draft
    from survey_app.worker import run_retention
    from tests.apptools import add_draft

    add_draft(survey, "abandoned-open-access", datetime.now(UTC) - timedelta(days=40))
    db.session.commit()
    released, purged = run_retention(survey.campaign.closes_on + timedelta(days=1))
    assert (released, purged) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
