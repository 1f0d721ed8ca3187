"""Runs compute jobs outside the request that asked for them, and owns their transactions.

A job (:class:`~survey_app.models.score_runs.ComputeJob`) is requested through
:func:`survey_app.domain.results.jobs.request_job`; :func:`start_job` runs it in a background thread of the
web process. The thread pushes its own app context, so Flask-SQLAlchemy gives it its own session from the
app's engine; progress is written in short commits of that session *before* the score run is added, so no
write lock is held while the (slow) computation runs, on SQLite nor PostgreSQL. A failure is stored as a
message, never raised.

``COMPUTE_IN_BACKGROUND`` (default: on, off under ``TESTING``) runs the job in the request instead, so tests
are deterministic; one test runs it in a real thread.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, g
from sqlalchemy import select

from survey_app.database import WRITER_THREAD
from survey_app.domain.accounts import audit
from survey_app.domain.errors import NoResponsesError
from survey_app.domain.results.jobs import FAILED, NO_RESPONSES
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import Campaign, User
from survey_app.models.score_runs import ComputeJob
from survey_app.models.types import utcnow

log = logging.getLogger(__name__)


def execute_job(job_id: int) -> None:
    """Run job ``job_id`` with ``db.session`` of the current app context; never raises for a failed run."""
    job = db.session.get(ComputeJob, job_id)
    if job is None or job.state != "queued":
        return
    job.state, job.stage, job.progress = "running", "reading responses", 0.0
    db.session.commit()

    def progress(stage: str, fraction: float) -> None:
        # Reload the job each time: a commit expires it, and the stage is all that changes.
        current = db.session.get(ComputeJob, job_id)
        if current is not None:
            current.stage, current.progress = stage, min(max(fraction, 0.0), 1.0)
            db.session.commit()

    campaign = db.session.get(Campaign, job.campaign_id)
    user = db.session.scalar(select(User).where(User.email == job.requested_by))
    try:
        if campaign is None:
            raise NoResponsesError("campaign deleted")
        run = compute_run(campaign, job.requested_by, progress=progress)
        audit(
            "results.compute",
            f"campaign:{campaign.slug}",
            user=user,
            run=run.id,
            responses=run.responses_read,
            job=job_id,
        )
        job = db.session.get(ComputeJob, job_id) or job
        job.state, job.stage, job.progress = "done", "done", 1.0
        job.score_run_id, job.finished_at = run.id, utcnow()
        db.session.commit()
    except Exception as exc:  # any failure must reach the user as a message, never as a traceback
        db.session.rollback()
        if not isinstance(exc, NoResponsesError):
            log.exception("compute job %s failed", job_id)
        failed = db.session.get(ComputeJob, job_id)
        if failed is not None:
            failed.state, failed.finished_at = "failed", utcnow()
            failed.error = NO_RESPONSES if isinstance(exc, NoResponsesError) else FAILED
            db.session.commit()


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        setattr(g, WRITER_THREAD, True)
        try:
            execute_job(job_id)
        finally:
            db.session.remove()


def start_job(job: ComputeJob) -> threading.Thread | None:
    """Run ``job`` in a background thread (returned), or now when ``COMPUTE_IN_BACKGROUND`` is off."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("COMPUTE_IN_BACKGROUND", not app.testing):
        execute_job(job.id)
        return None
    thread = threading.Thread(target=_run_in_thread, args=(app, job.id), name=f"compute-job-{job.id}")
    thread.daemon = True
    thread.start()
    return thread
