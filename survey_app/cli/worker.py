"""``flask worker``: runs the queued background tasks (``JOB_QUEUE=rq``) until stopped."""

from __future__ import annotations

import socket
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.extensions import db
from survey_app.logs import worker_logging


@click.command(
    "worker",
    help="Run queued jobs: results computations, message sending, the daily retention and reminder tasks.",
)
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (scripts and tests).")
@with_appcontext
def worker(burst: bool) -> None:
    """Works the RQ queue in ``REDIS_URL``; each job runs in a forked process. Marks jobs whose process died
    failed every ``JOB_HEARTBEAT_SECONDS``, and schedules the daily retention task (02:00 local time) and the
    daily reminder task (``REMINDER_HOUR``)."""
    from rq import Worker

    from survey_app.queue import queue_name, redis_connection, rq_queue
    from survey_app.worker import reap, schedule_reminders, schedule_retention

    config = current_app.config
    if config["JOB_QUEUE"] != "rq":
        raise click.ClickException(
            "flask worker needs JOB_QUEUE=rq and REDIS_URL; with JOB_QUEUE=thread jobs run in the web process"
        )
    worker_logging(str(config["LOG_FORMAT"]))
    try:
        redis_connection().ping()
    except Exception as exc:  # the message names the setting; the traceback would not help
        raise click.ClickException(f"REDIS_URL does not answer: {exc}") from None
    reap()
    if not burst:
        when = schedule_retention()
        if when is not None:
            click.echo(f"retention task scheduled for {when.isoformat()}")
        when = schedule_reminders()
        if when is not None:
            click.echo(f"reminder task scheduled for {when.isoformat()}")
    stop = threading.Event()
    reaper = threading.Thread(target=_reap_every, args=(current_app._get_current_object(), stop), daemon=True)  # type: ignore[attr-defined]
    reaper.start()
    try:
        Worker(
            [rq_queue()],
            connection=redis_connection(),
            name=f"{socket.gethostname()}:{queue_name()}:{id(stop):x}",
        ).work(burst=burst, with_scheduler=not burst, logging_level="INFO")
    finally:
        stop.set()


def _reap_every(app: object, stop: threading.Event) -> None:
    from survey_app.worker import reap

    every = float(app.config["JOB_HEARTBEAT_SECONDS"])  # type: ignore[attr-defined]
    while not stop.wait(every):
        with app.app_context():  # type: ignore[attr-defined]
            try:
                reap()
            except Exception:  # the database may be away for a moment; try again next time
                app.logger.warning("reaping lost jobs failed", exc_info=True)  # type: ignore[attr-defined]
                db.session.rollback()
            finally:
                db.session.remove()
