"""Compute jobs: a requested computation of a campaign's results (:mod:`survey_app.worker` runs them).

The job's state lives in the ``compute_jobs`` table, so the status page (and any app server) can report on it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from survey_app.domain.accounts import audit
from survey_app.extensions import db
from survey_app.models import Campaign, ScoreRun, User
from survey_app.models.score_runs import ComputeJob
from survey_app.models.types import utcnow

ACTIVE = ("queued", "running")
#: A job still queued after this long was lost (nothing took it): a new request replaces it.
STALE_AFTER = timedelta(minutes=30)
#: Messages stored in ``ComputeJob.error`` (English; the status page translates them).
NO_RESPONSES = "There are no responses to compute yet."
FAILED = "The computation failed. Please try again, or ask an administrator to look at the server log."
WORKER_LOST = (
    "The computation stopped: the process running it ended (it was stopped or crashed). Start it again."
)


def is_lost(job: ComputeJob, heartbeat_timeout: timedelta) -> bool:
    """Whether ``job`` is queued or running but nothing runs it any more: a running job whose heartbeat is
    older than ``heartbeat_timeout``, or a job queued for longer than :data:`STALE_AFTER`."""
    now = utcnow()
    if job.state == "running":
        return now - (job.heartbeat_at or job.requested_at) > heartbeat_timeout
    if job.state == "queued":
        return now - job.requested_at > STALE_AFTER
    return False


def fail_lost(job: ComputeJob) -> None:
    """Mark a lost job failed (:func:`is_lost`); the caller commits."""
    job.error = WORKER_LOST if job.state == "running" else FAILED
    job.state, job.finished_at = "failed", utcnow()
    db.session.flush()


def active_job(campaign: Campaign, heartbeat_timeout: timedelta) -> ComputeJob | None:
    """The campaign's queued or running job, if any; a lost one is marked failed on the way."""
    job = db.session.scalar(
        select(ComputeJob)
        .where(ComputeJob.campaign_id == campaign.id, ComputeJob.state.in_(ACTIVE))
        .order_by(ComputeJob.id.desc())
        .limit(1)
    )
    if job is not None and is_lost(job, heartbeat_timeout):
        fail_lost(job)
        return None
    return job


def reap_lost_jobs(heartbeat_timeout: timedelta) -> list[ComputeJob]:
    """Every lost job of every campaign, marked failed (``flask worker`` runs this between jobs)."""
    lost = [
        job
        for job in db.session.scalars(select(ComputeJob).where(ComputeJob.state.in_(ACTIVE)))
        if is_lost(job, heartbeat_timeout)
    ]
    for job in lost:
        fail_lost(job)
    return lost


def request_job(campaign: Campaign, user: User, *, heartbeat_timeout: timedelta) -> tuple[ComputeJob, bool]:
    """A new queued job for ``campaign``, or the one already running; ``(job, created)``. The caller commits
    before the job is started, so the runner's own session sees it."""
    running = active_job(campaign, heartbeat_timeout)
    if running is not None:
        return running, False
    job = ComputeJob(
        campaign_id=campaign.id, requested_by=user.email, requested_at=utcnow(), state="queued", progress=0.0
    )
    db.session.add(job)
    db.session.flush()
    audit("results.compute_requested", f"campaign:{campaign.slug}", user=user, job=job.id)
    return job, True


def latest_job_run(job: ComputeJob) -> ScoreRun | None:
    return db.session.get(ScoreRun, job.score_run_id) if job.score_run_id else None
