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
#: A job queued or running for longer than this was lost (the process ended): a new request replaces it.
STALE_AFTER = timedelta(minutes=30)
#: Messages stored in ``ComputeJob.error`` (English; the status page translates them).
NO_RESPONSES = "There are no responses to compute yet."
FAILED = "The computation failed. Please try again, or ask an administrator to look at the server log."


def active_job(campaign: Campaign) -> ComputeJob | None:
    """The campaign's queued or running job, if any; a stale one is marked failed on the way."""
    job = db.session.scalar(
        select(ComputeJob)
        .where(ComputeJob.campaign_id == campaign.id, ComputeJob.state.in_(ACTIVE))
        .order_by(ComputeJob.id.desc())
        .limit(1)
    )
    if job is not None and utcnow() - job.requested_at > STALE_AFTER:
        job.state, job.error, job.finished_at = "failed", FAILED, utcnow()
        db.session.flush()
        return None
    return job


def request_job(campaign: Campaign, user: User) -> tuple[ComputeJob, bool]:
    """A new queued job for ``campaign``, or the one already running; ``(job, created)``. The caller commits
    before the job is started, so the runner's own session sees it."""
    running = active_job(campaign)
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
