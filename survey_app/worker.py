"""The background tasks and how they run: compute jobs (with a heartbeat), message delivery, and the daily
retention and reminder tasks.

A job (:class:`~survey_app.models.score_runs.ComputeJob`) is requested through
:func:`survey_app.domain.results.jobs.request_job` and handed to :func:`start_job`, which submits
:func:`run_compute_job` to the queue (:mod:`survey_app.queue`: RQ and ``flask worker``, or a thread). The
task owns its transactions: progress is written in short commits *before* the score run is added, so no
write lock is held while the (slow) computation runs, on SQLite nor PostgreSQL. A failure is stored as a
message, never raised.

While it runs, a heartbeat thread stamps ``compute_jobs.heartbeat_at`` every ``JOB_HEARTBEAT_SECONDS`` on a
connection of its own. If the process dies (killed, out of memory, the machine restarted) the stamps stop,
and after ``JOB_HEARTBEAT_TIMEOUT`` the job counts as lost: the status page says so, a new "Compute" starts
at once, and ``flask worker`` marks it failed in the database between jobs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import Engine, select, update

from survey_app.database import WRITER_THREAD
from survey_app.domain.accounts import audit
from survey_app.domain.errors import NoResponsesError
from survey_app.domain.release import release_all_due
from survey_app.domain.reminders import DEFAULT_MAX_REMINDERS
from survey_app.domain.results.jobs import FAILED, NO_RESPONSES, reap_lost_jobs
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import Campaign, User
from survey_app.models.score_runs import ComputeJob
from survey_app.models.types import utcnow
from survey_app.queue import submit

if TYPE_CHECKING:
    from survey_app.domain.delivery import Channel, Kind

log = logging.getLogger(__name__)
#: Open-access drafts untouched this long are deleted by the daily retention task.
DRAFT_RETENTION = timedelta(days=30)


def heartbeat_timeout() -> timedelta:
    return timedelta(seconds=int(current_app.config["JOB_HEARTBEAT_TIMEOUT"]))


class Heartbeat:
    """Stamps a running job every ``every`` seconds from a thread, on its own connection, until stopped."""

    def __init__(self, engine: Engine, job_id: int, every: float) -> None:
        self._engine, self._job_id, self._every = engine, job_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self._every + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        update(ComputeJob)
                        .where(ComputeJob.id == self._job_id, ComputeJob.state == "running")
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is not fatal; several in a row make the job count as lost
                log.warning("heartbeat of compute job %s failed", self._job_id, exc_info=True)


def execute_job(job_id: int) -> None:
    """Run job ``job_id`` with ``db.session`` of the current app context; never raises for a failed run."""
    job = db.session.get(ComputeJob, job_id)
    if job is None or job.state != "queued":
        return
    job.state, job.stage, job.progress = "running", "reading responses", 0.0
    job.heartbeat_at, job.worker = utcnow(), f"{socket.gethostname()}:{os.getpid()}"[:100]
    db.session.commit()
    every = float(current_app.config["JOB_HEARTBEAT_SECONDS"])
    with Heartbeat(db.engine, job_id, every):
        _compute(job_id)


def _compute(job_id: int) -> None:
    def progress(stage: str, fraction: float) -> None:
        # Reload the job each time: a commit expires it, and the stage is all that changes.
        current = db.session.get(ComputeJob, job_id)
        if current is not None:
            current.stage, current.progress = stage, min(max(fraction, 0.0), 1.0)
            db.session.commit()

    job = db.session.get(ComputeJob, job_id)
    if job is None:  # deleted with its campaign meanwhile
        return
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


def run_compute_job(job_id: int) -> None:
    """The queued task: :func:`execute_job` in an app context that may write."""
    if has_request_context():  # COMPUTE_IN_BACKGROUND off: run in the request, with its session
        execute_job(job_id)
        return
    if not has_app_context():
        # RQ forks it from `flask worker`, which holds the app context; nothing else should run it.
        raise RuntimeError("run_compute_job runs under `flask worker` (an app context is needed)")
    _after_fork()
    setattr(g, WRITER_THREAD, True)
    try:
        execute_job(job_id)
    finally:
        db.session.remove()


_POOL_PID = os.getpid()


def _after_fork() -> None:
    # RQ runs each job in a forked child of `flask worker`; database connections opened by the parent must
    # not be shared with it (SQLAlchemy's advice for multiprocessing: drop the inherited pool unclosed).
    global _POOL_PID
    if os.getpid() != _POOL_PID:
        db.session.remove()
        db.engine.dispose(close=False)
        _POOL_PID = os.getpid()


def start_job(job: ComputeJob) -> threading.Thread | None:
    """Submit ``job`` to the queue; the thread in ``thread`` mode, else ``None``."""
    return submit(run_compute_job, job.id)


def reap() -> int:
    """Mark lost jobs failed and commit; logged, since it means a process died mid-job."""
    lost = reap_lost_jobs(heartbeat_timeout())
    for job in lost:
        log.warning("compute job %s (worker %s) lost its process; marked failed", job.id, job.worker or "?")
    db.session.commit()
    return len(lost)


def run_retention(today: date) -> tuple[int, int]:
    """The daily retention task: release every held response (``flask responses release --all``), delete
    expired drafts (``flask drafts purge``) and the contacts of campaigns closed more than
    ``CONTACT_RETENTION_DAYS`` ago (with an audit entry each); returns (responses released, drafts
    deleted)."""
    from survey_app.domain.frames import purge_contacts
    from survey_app.respondent.retention import purge_drafts

    setattr(g, WRITER_THREAD, True)
    released = release_all_due(today, everything=True)
    purged = purge_drafts(utcnow(), today, DRAFT_RETENTION)
    contacts = purge_contacts(today, int(current_app.config["CONTACT_RETENTION_DAYS"]))
    db.session.commit()
    total = sum(r.responses for r in released)
    drafts = purged.closed_campaigns + purged.abandoned_open_access
    log.info(
        "retention: %s response(s) released, %s draft(s) deleted, contacts of %s campaign(s) deleted",
        total,
        drafts,
        len(contacts),
    )
    return total, drafts


RETENTION_JOB_ID = "retention"


def retention_task() -> None:
    """The queued daily task (``flask worker``): :func:`run_retention`, then tomorrow's run scheduled."""
    from survey_app.dates import today

    _after_fork()
    try:
        run_retention(today())
    finally:
        db.session.remove()
        schedule_retention(replace=True)


def schedule_retention(*, replace: bool = False) -> datetime | None:
    """Schedule :func:`retention_task` for the next 02:00 in ``SURVEY_TIMEZONE`` unless it is scheduled
    already (one id for every worker, so two workers do not run it twice); the time, or ``None``."""
    return _schedule_daily(RETENTION_JOB_ID, retention_task, 2, replace=replace)


def _schedule_daily(name: str, task: Callable[[], None], hour: int, *, replace: bool) -> datetime | None:
    from rq.job import Job

    from survey_app.queue import queue_name, redis_connection, rq_queue

    job_id = f"{queue_name()}-{name}"
    connection = redis_connection()
    if not replace and Job.exists(job_id, connection=connection):
        return None
    when = next_retention(utcnow(), str(current_app.config["SURVEY_TIMEZONE"]), hour)
    rq_queue().enqueue_at(when, task, job_id=job_id, result_ttl=0, failure_ttl=7 * 24 * 3600)
    return when


def next_retention(now: datetime, zone: str, hour: int = 2) -> datetime:
    """The next ``hour`` o'clock in ``zone`` after ``now`` (aware): when the daily task runs.

    >>> from datetime import UTC
    >>> next_retention(datetime(2026, 12, 1, 18, 0, tzinfo=UTC), "Asia/Jakarta").isoformat()
    '2026-12-02T02:00:00+07:00'
    """
    local = now.astimezone(ZoneInfo(zone))
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return target if target > local else target + timedelta(days=1)


REMINDERS_JOB_ID = "reminders"


def run_due_reminders(today: date, now: datetime) -> dict[str, int]:
    """The daily reminder task: every open campaign with a reminder rule (:mod:`survey_app.domain.reminders`)
    reminds the people whose last message is old enough; returns the reminders sent per campaign id."""
    from survey_app.domain.reminders import due_campaigns

    sent: dict[str, int] = {}
    channels = channels_configured(current_app.config)
    due = due_campaigns(today, now)
    if due and not channels:
        log.warning(
            "scheduled reminders for %s campaign(s) not sent: no SMTP_HOST or SMS_GATEWAY_URL", len(due)
        )
        return sent
    for rule in due:
        counts = deliver(
            rule.campaign_id,
            "reminder",
            max_reminders=rule.schedule.max_reminders,
            sent_before=rule.sent_before,
        )
        sent[str(rule.campaign_id)] = counts["sent"]
    return sent


def reminders_task() -> None:
    """The queued daily task (``flask worker``): :func:`run_due_reminders` at ``REMINDER_HOUR`` local time,
    then tomorrow's run scheduled."""
    from survey_app.dates import today

    _after_fork()
    setattr(g, WRITER_THREAD, True)
    try:
        run_due_reminders(today(), utcnow())
    finally:
        db.session.remove()
        schedule_reminders(replace=True)


def schedule_reminders(*, replace: bool = False) -> datetime | None:
    """Schedule :func:`reminders_task` for the next ``REMINDER_HOUR`` o'clock (default 9) in
    ``SURVEY_TIMEZONE`` unless it is scheduled already; the time, or ``None``."""
    return _schedule_daily(
        REMINDERS_JOB_ID, reminders_task, int(current_app.config["REMINDER_HOUR"]), replace=replace
    )


#: Reminders a person gets at most where the campaign set no rule (:mod:`survey_app.domain.reminders`).
MAX_REMINDERS = DEFAULT_MAX_REMINDERS


def channels_configured(config: Any) -> tuple[Channel, ...]:
    """The channels the configuration sends on: ``email`` with ``SMTP_HOST``, ``gateway`` with
    ``SMS_GATEWAY_URL``."""
    found: list[Channel] = []
    if config.get("SMTP_HOST"):
        found.append("email")
    if config.get("SMS_GATEWAY_URL"):
        found.append("gateway")
    return tuple(found)


def deliver(
    campaign_id: int,
    kind: str,
    *,
    max_reminders: int | None = None,
    sent_before: datetime | None = None,
) -> dict[str, int]:
    """Send the campaign's due invitations (``kind="invitation"``) or reminders by e-mail and through the
    WhatsApp/SMS gateway, whichever are configured, and log each outcome; returns ``{"sent": ...,
    "failed": ...}``. Reminders go at most ``max_reminders`` times per person (default: the campaign's rule)
    and, with ``sent_before``, only to people whose last message is no newer. Each fresh token is committed
    before its message goes out (see :mod:`survey_app.domain.delivery`); no log line names a contact or
    holds a token."""
    from survey_app.domain.delivery import (
        assign_optout_hashes,
        campaign_templates,
        pending_contacts,
        prepare_message,
        record_delivery,
    )
    from survey_app.domain.reminders import schedule_of
    from survey_app.gateway import Gateway
    from survey_app.links import invitation_link, optout_link, public_root
    from survey_app.mail import Mailer

    if kind not in ("invitation", "reminder"):
        raise ValueError(f"kind must be invitation or reminder, not {kind!r}")
    what: Kind = "invitation" if kind == "invitation" else "reminder"
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise ValueError(f"no campaign {campaign_id}")
    config = current_app.config
    channels = channels_configured(config)
    if not channels:
        raise RuntimeError(
            "SMTP_HOST is not set and SMS_GATEWAY_URL is not set: the system sends no e-mail, WhatsApp or "
            "SMS message"
        )
    root = public_root("http://127.0.0.1:5000")
    callback = f"{root}/api/gateway/status" if config.get("SMS_CALLBACK_TOKEN") else ""
    templates = campaign_templates(campaign)
    counts = {"sent": 0, "failed": 0}
    with contextlib.ExitStack() as stack:
        mailer = stack.enter_context(Mailer(config)) if "email" in channels else None
        gateway = stack.enter_context(Gateway(config, callback)) if "gateway" in channels else None
        if max_reminders is None:
            max_reminders = schedule_of(campaign).max_reminders
        due = pending_contacts(campaign, what, max_reminders, channels, sent_before)
        assign_optout_hashes(due)
        db.session.commit()
        for contact_id in due:
            message = prepare_message(
                campaign,
                contact_id,
                what,
                lambda token: invitation_link(root, token),
                lambda token: optout_link(root, token),
                channels,
                templates,
            )
            if message is None:
                continue
            db.session.commit()
            if message.channel == "email":
                assert mailer is not None
                outcome = mailer.send(message.to, message.subject, message.body)
            else:
                assert gateway is not None
                assert message.reference is not None
                text = f"{message.subject}\n\n{message.body}"
                outcome = gateway.send(message.to, text, message.reference)
            record_delivery(
                campaign,
                contact_id,
                what,
                outcome.sent,
                outcome.attempts,
                outcome.reason,
                message.channel,
                message.reference,
            )
            db.session.commit()
            counts["sent" if outcome.sent else "failed"] += 1
    log.info(
        "delivery of %ss for campaign %s: %s sent, %s failed",
        kind,
        campaign.slug,
        counts["sent"],
        counts["failed"],
    )
    return counts


def _deliver_task(campaign_id: int, kind: str) -> None:
    if has_request_context() or getattr(g, WRITER_THREAD, False):
        # Inline (tests, COMPUTE_IN_BACKGROUND off) or in the queue's thread, which cleans up itself.
        deliver(campaign_id, kind)
        return
    _after_fork()  # RQ: a forked child of `flask worker`
    setattr(g, WRITER_THREAD, True)
    try:
        deliver(campaign_id, kind)
    finally:
        db.session.remove()


def send_invitations_task(campaign_id: int) -> None:
    """The queued task (``queue.submit``): send the drawn, not yet invited people their invitation."""
    _deliver_task(campaign_id, "invitation")


def send_reminders_task(campaign_id: int) -> None:
    """The queued task: remind the invited people who have not finished, at most :data:`MAX_REMINDERS`."""
    _deliver_task(campaign_id, "reminder")
