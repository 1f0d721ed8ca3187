"""Where background work runs: ``JOB_QUEUE=rq`` (Redis, executed by ``flask worker``) or ``thread``.

RQ rather than Dramatiq or Celery: it needs nothing but the Redis the rate limits use already, a job is a
plain function call (our tasks take one id and read everything else from the database), its worker forks a
process per job, so a computation that needs a gigabyte gives it back when it ends, and ``rq`` ships the
worker registry and heartbeats that ``flask worker``'s health check reads. Dramatiq would add a broker
abstraction and actors declared at import time for no gain here.

``thread`` is the default without ``REDIS_URL``, so ``make run`` stays one command: the job runs in a thread
of the web process. Under ``TESTING`` (or ``COMPUTE_IN_BACKGROUND = False``) it runs in the request.

Whatever runs it, a job's state lives in the database (``compute_jobs``): a running job writes a heartbeat,
and one whose heartbeat stops is marked failed (:func:`survey_app.domain.results.jobs.active_job`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, current_app, g

from survey_app.database import WRITER_THREAD
from survey_app.extensions import db

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

#: The RQ queue's name; tests set ``JOB_QUEUE_NAME`` to keep theirs apart.
QUEUE_NAME = "integrity-survey"
#: A computation that runs longer than this is stopped by RQ (and marked failed by its heartbeat).
JOB_TIMEOUT_SECONDS = 3600


def redis_connection() -> Redis:
    """The app's Redis client (one connection pool per app)."""
    from redis import Redis

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("redis_client")
    if client is None:
        client = Redis.from_url(str(app.config["REDIS_URL"]), socket_timeout=5, socket_connect_timeout=5)
        app.extensions["redis_client"] = client
    return client  # type: ignore[no-any-return]


def queue_name() -> str:
    return str(current_app.config.get("JOB_QUEUE_NAME") or QUEUE_NAME)


def rq_queue() -> Queue:
    from rq import Queue

    return Queue(queue_name(), connection=redis_connection())


def submit(task: Callable[[int], None], job_id: int) -> threading.Thread | None:
    """Run ``task(job_id)`` where the configuration says; returns the thread in ``thread`` mode."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("COMPUTE_IN_BACKGROUND", not app.testing):
        task(job_id)
        return None
    if app.config["JOB_QUEUE"] == "rq":
        rq_queue().enqueue(
            task,
            job_id,
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=0,
            failure_ttl=7 * 24 * 3600,
            description=f"{task.__name__}({job_id})",
        )
        return None
    thread = threading.Thread(target=_in_thread, args=(app, task, job_id), name=f"{task.__name__}-{job_id}")
    thread.daemon = True
    thread.start()
    return thread


def _in_thread(app: Flask, task: Callable[[int], None], job_id: int) -> None:
    with app.app_context():
        setattr(g, WRITER_THREAD, True)
        try:
            task(job_id)
        finally:
            db.session.remove()


def workers_listening() -> int | None:
    """How many ``flask worker`` processes listen to the queue (``None`` in ``thread`` mode or when Redis
    cannot say)."""
    if current_app.config.get("JOB_QUEUE") != "rq":
        return None
    from rq import Worker

    try:
        return int(Worker.count(connection=redis_connection(), queue=rq_queue()))
    except Exception:  # Redis down: the page says nothing about workers rather than failing
        current_app.logger.warning("cannot count the queue's workers", exc_info=True)
        return None
