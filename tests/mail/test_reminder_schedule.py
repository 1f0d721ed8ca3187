"""Scheduled reminders through a real SMTP server: the rule set in the console, the daily task reminding only
people whose last message is old enough and who have not finished, at most the rule's number of times, and
nothing for a campaign without a rule or once it has closed."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from survey_app.dates import today
from survey_app.domain.reminders import save_schedule, schedule_of
from survey_app.extensions import db
from survey_app.models import AuditEntry, Campaign
from survey_app.models.frames import DeliveryEntry
from survey_app.models.types import utcnow
from survey_app.worker import deliver, run_due_reminders
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, csrf_of
from tests.mail.conftest import PEOPLE, Recorder, answer_through_the_pages, link_token


def _age_messages(days: float) -> None:
    """Move every logged message back by ``days``: the task is run as it would be that much later."""
    for entry in db.session.scalars(select(DeliveryEntry)):
        entry.at = entry.at - timedelta(days=days)
    db.session.commit()


def test_the_daily_task_reminds_non_finishers_when_their_last_message_is_old_enough(
    app: Flask, mini_campaign: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, _ = smtp_server
    campaign = mini_campaign.campaign
    deliver(campaign.id, "invitation")
    answer_through_the_pages(app.test_client(), f"/r/{link_token(recorder.to(PEOPLE[0])[0])}")
    recorder.messages.clear()

    # No rule: the daily task sends nothing (reminders only on demand, as before).
    assert run_due_reminders(today(), utcnow()) == {}
    save_schedule(campaign, 3, 1, None)
    db.session.commit()

    # A day after the invitations: too early.
    _age_messages(1)
    assert run_due_reminders(today(), utcnow()) == {str(campaign.id): 0}
    assert recorder.messages == []

    # Three days after: everybody but the finisher, once.
    _age_messages(2)
    assert run_due_reminders(today(), utcnow()) == {str(campaign.id): len(PEOPLE) - 1}
    assert {m["To"] for m in recorder.messages} == set(PEOPLE) - {PEOPLE[0]}
    assert all(m["Subject"].startswith("Pengingat") for m in recorder.messages)

    # At most one reminder per person under this rule, however long one waits.
    _age_messages(10)
    assert run_due_reminders(today(), utcnow()) == {str(campaign.id): 0}
    assert len(recorder.messages) == len(PEOPLE) - 1

    # On demand follows the campaign's rule too.
    assert deliver(campaign.id, "reminder") == {"sent": 0, "failed": 0}


def test_a_closed_campaign_is_not_reminded(
    app: Flask, mini_campaign: Survey, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, _ = smtp_server
    campaign = mini_campaign.campaign
    deliver(campaign.id, "invitation")
    save_schedule(campaign, 2, 2, None)
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status="closed"))
    db.session.commit()
    recorder.messages.clear()
    _age_messages(5)
    assert run_due_reminders(today(), utcnow()) == {}
    assert recorder.messages == []


def test_the_console_stores_the_rule_and_refuses_out_of_range_values(
    app: Flask, mini_campaign: Survey
) -> None:
    admin = make_user("admin")
    db.session.commit()
    client = app.test_client()
    login(client, admin.email)
    url = f"/admin/campaigns/{mini_campaign.campaign.slug}/messages/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="every_days"' in html

    refused = client.post(
        url + "reminders", data={"csrf_token": csrf_of(html), "every_days": "400", "max_reminders": "2"}
    )
    assert refused.status_code == 400
    assert "every_days" in refused.get_data(as_text=True)
    assert not schedule_of(mini_campaign.campaign).automatic

    stored = client.post(
        url + "reminders", data={"csrf_token": csrf_of(html), "every_days": "4", "max_reminders": "3"}
    )
    assert stored.status_code == 302
    rule = schedule_of(mini_campaign.campaign)
    assert (rule.every_days, rule.max_reminders) == (4, 3)
    shown = client.get(url).get_data(as_text=True)
    assert 'value="4"' in shown
    assert 'value="3"' in shown
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "messages.reminder_schedule")
    ).one()
    assert entry.details["every_days"] == 4
