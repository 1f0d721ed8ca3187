"""The sample in the console: the plan's allocation choices (Neyman from the last campaign's results), the
draw method, both recorded with the draw; and monitoring of the drawn sample per unit and group."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from scoring.sampling import expected_moe, plan_sample
from survey_app.domain.delivery import (
    assign_optout_hashes,
    opt_out,
    optout_token,
    record_delivery,
    record_status,
)
from survey_app.domain.frames import plan_priors, sample_plan, upload_frame
from survey_app.domain.lifecycle import duplicate_campaign
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import AuditEntry, Draft, Invitation
from survey_app.models.frames import FrameContact, SampleDraw
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.admin.test_frames import MAPPING, frame_csv
from tests.apptools import Survey, csrf_of


def _cells(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr")[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


def _draw(client: FlaskClient, slug: str, **fields: str) -> str:
    base = f"/admin/campaigns/{slug}/frames"
    page = client.get(f"{base}/plan", query_string={"lang": "en", **fields})
    assert page.status_code == 200, page.get_data(as_text=True)
    done = client.post(
        f"{base}/draw?lang=en",
        data={"csrf_token": csrf_of(page.get_data(as_text=True)), **fields},
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert "The sample has been drawn with seed" in html, html
    return html


PLAN = {
    "allocation": "per_unit",
    "moe": "0.1",
    "confidence": "0.95",
    "response_rate": "0.5",
    "minimum": "0",
    "census_below": "0",
    "method": "srs",
    "seed": "5",
}


def _invitations(spi: Survey, unit: str, group: str) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.campaign_id == spi.campaign.id, Invitation.stratum == f"{unit}|{group}")
            .order_by(Invitation.id)
        )
    )


def _contact_of(invitation: Invitation) -> int:
    contact = db.session.scalar(select(FrameContact.id).where(FrameContact.invitation_id == invitation.id))
    assert contact is not None
    return contact


def test_monitoring_shows_the_drawn_sample_per_unit_and_group(client: FlaskClient, spi: Survey) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    _draw(client, spi.campaign.slug, **PLAN)
    plan = sample_plan(spi.campaign, moe=0.1, response_rate=0.5).set_index(["unit", "group"])
    setda = _invitations(spi, "SETDA", "internal")
    external = _invitations(spi, "DINKES", "external")
    assert len(setda) == plan.loc[("SETDA", "internal"), "n_invite"]
    # Delivery: all SETDA invitations but two went out, one of those two on a second try; one failed for
    # good; three reminders went out.
    for inv in setda[2:]:
        record_delivery(spi.campaign, _contact_of(inv), "invitation", True, 1, "")
    record_delivery(spi.campaign, _contact_of(setda[2]), "invitation", False, 3, "421 busy")
    record_delivery(spi.campaign, _contact_of(setda[0]), "invitation", False, 3, "550 no such user")
    record_delivery(spi.campaign, _contact_of(setda[1]), "invitation", False, 1, "550 no such user")
    for inv in setda[3:6]:
        record_delivery(spi.campaign, _contact_of(inv), "reminder", True, 1, "")
    # Ten finished, four started and still answering; in DINKES external all but two were revoked.
    for inv in setda[:10]:
        inv.state = "spent"
    link = next(q for q in spi.campaign.questionnaires if q.respondent_group == "internal")
    now = datetime.now(UTC)
    for inv in setda[10:14]:
        db.session.add(
            Draft(
                key=inv.token_hash,
                campaign_id=spi.campaign.id,
                questionnaire_version_id=link.questionnaire_version_id,
                respondent_group="internal",
                answers={},
                current_page="s1",
                started_at=now,
                updated_at=now,
            )
        )
    for inv in external[2:]:
        inv.state = "revoked"
    external[0].state = "spent"
    db.session.commit()

    html = client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=en").get_data(as_text=True)
    rows = {(r[0].split(" ")[0], r[1]): r for r in _cells(html, "sample-monitoring")}
    assert set(rows) == {
        ("DINKES", "Employees (internal)"),
        ("DINKES", "Service users (external)"),
        ("SETDA", "Employees (internal)"),
    }
    r = rows[("SETDA", "Employees (internal)")]
    n = len(setda)
    #        population, sample, delivered, failed, bounced, opted out, started, finished
    assert r[2:10] == ["40", str(n), str(n - 2), "2", "0", "0", "14", "10"]
    rate = 10 / n
    assert r[10] == f"{round(100 * rate)}% (50%)"
    moe = float(expected_moe([40], [10])[0])
    assert r[11] == f"±{100 * moe:.1f} % (±10.0 %)"
    assert r[12] == "3"
    # DINKES external: one finished and one outstanding can never make the minimum of 5; DINKES internal has
    # no answer after its first day: at this pace it will not make it either.
    notice = html.split('class="sample-warnings"', 1)[1].split("</ul>", 1)[0]
    assert "DINKES · Service users (external): cannot reach it" in re.sub(r"\s+", " ", notice)
    assert "DINKES · Employees (internal): will not reach it at the current pace" in re.sub(
        r"\s+", " ", notice
    )
    assert "SETDA" not in notice
    # The refreshed fragment carries the same table; no contact appears anywhere.
    fragment = client.get(f"/admin/campaigns/{spi.campaign.slug}/monitoring?lang=en").get_data(as_text=True)
    assert _cells(fragment, "sample-monitoring") == _cells(html, "sample-monitoring")
    assert "@kota.go.id" not in html
    in_indonesian = client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=id").get_data(as_text=True)
    assert "Sampel terpilih per unit dan kelompok" in in_indonesian
    assert "tidak dapat mencapainya" in in_indonesian


def test_monitoring_counts_bounced_and_opted_out_people_once(client: FlaskClient, spi: Survey) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    _draw(client, spi.campaign.slug, **PLAN)
    setda = [_contact_of(inv) for inv in _invitations(spi, "SETDA", "internal")]
    dinkes = [_contact_of(inv) for inv in _invitations(spi, "DINKES", "internal")]
    assert len(setda) >= 8
    assert len(dinkes) >= 2
    references = iter(f"ref-{k}" for k in range(100))

    def sent(contact: int, kind: str = "invitation") -> str:
        reference = next(references)
        record_delivery(spi.campaign, contact, kind, True, 1, "", channel="gateway", reference=reference)  # type: ignore[arg-type]
        return reference

    # SETDA: eight invitations out. Two of them bounce (the gateway's report); one more person's reminder
    # bounces after a delivered invitation, and a second report on it changes nothing: three people bounced,
    # each once. Another's reminder is reported delivered.
    refs = [sent(c) for c in setda[:8]]
    record_status(refs[0], "bounced", "no such number")
    record_status(refs[1], "undeliverable")
    reminder = sent(setda[2], "reminder")
    record_status(reminder, "failed")
    record_status(reminder, "bounced")
    record_status(sent(setda[3], "reminder"), "delivered")
    # DINKES internal: one invitation failed for good, one bounced after a failed first attempt.
    record_delivery(spi.campaign, dinkes[0], "invitation", False, 3, "550 no such user")
    record_delivery(spi.campaign, dinkes[1], "invitation", False, 3, "421 busy")
    record_status(sent(dinkes[1]), "bounced")
    # Two SETDA people opt out through the link of their message (one of them twice), one in DINKES.
    assign_optout_hashes([*setda[4:6], dinkes[0]])
    for contact_id in (setda[4], setda[5], setda[5], dinkes[0]):
        contact = db.session.get(FrameContact, contact_id)
        assert contact is not None
        assert opt_out(optout_token(contact)) is not None
    db.session.commit()

    html = client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=en").get_data(as_text=True)
    rows = {(r[0].split(" ")[0], r[1]): r for r in _cells(html, "sample-monitoring")}
    #                                        delivered, failed, bounced, opted out
    assert rows[("SETDA", "Employees (internal)")][4:8] == ["5", "0", "3", "2"]
    assert rows[("DINKES", "Employees (internal)")][4:8] == ["0", "1", "1", "1"]
    assert rows[("DINKES", "Service users (external)")][4:8] == ["0", "0", "0", "0"]
    headers = html.split('id="sample-monitoring"', 1)[1].split("</thead>", 1)[0]
    assert headers.index("Bounced") < headers.index("Opted out") < headers.index("Started")
    # The phone layout labels the new figure like the others.
    assert 'data-label="Opted out"' in html
    in_indonesian = client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=id").get_data(as_text=True)
    assert 'data-label="Opted out"' not in in_indonesian
    assert 'data-label="Menolak pesan"' in in_indonesian


def test_no_sample_table_without_a_population_list(client: FlaskClient, spi: Survey) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    html = client.get(f"/admin/campaigns/{spi.campaign.slug}?lang=en").get_data(as_text=True)
    assert 'id="sample-monitoring"' not in html


def test_the_plan_offers_allocations_and_the_draw_records_them(client: FlaskClient, spi: Survey) -> None:
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    base = f"/admin/campaigns/{spi.campaign.slug}/frames/plan"
    html = client.get(f"{base}?lang=en").get_data(as_text=True)
    for label in ("Proportional to the units", "Equal per unit", "Neyman", "Confidence level", "census"):
        assert label in html
    # No earlier campaign: Neyman is offered with the reason it cannot be used, and refused if chosen.
    assert "Neyman allocation is not available: there is no earlier campaign of this institution" in html
    refused = client.get(base, query_string={"lang": "en", **PLAN, "allocation": "neyman"})
    assert refused.status_code == 400
    assert "Neyman allocation is not available" in refused.get_data(as_text=True)
    # Equal allocation of each group's sample over its units, the small external list taken whole.
    fields = {**PLAN, "allocation": "equal", "census_below": "30", "confidence": "0.9"}
    page = client.get(base, query_string={"lang": "en", **fields}).get_data(as_text=True)
    # The console names the groups in its language ("Employees (internal)"), never the stored value.
    shown = {(r[0], r[1].split("(")[-1].rstrip(")")): r for r in _cells(page, "sample-plan")}
    internal = plan_sample(
        pd.DataFrame({"unit": ["DINKES", "SETDA"], "group": "internal", "N": [90, 40]}),
        allocation="equal",
        moe=0.1,
        confidence=0.9,
        response_rate=0.5,
        census_below=30,
    )
    assert [shown[("DINKES", "internal")][3], shown[("SETDA", "internal")][3]] == [
        str(v) for v in internal["n"]
    ]
    assert abs(int(internal["n"].iloc[0]) - int(internal["n"].iloc[1])) <= 1
    assert shown[("DINKES", "external")][2:4] == ["25", "25"]
    _draw(client, spi.campaign.slug, **{**fields, "method": "systematic"})
    draw = db.session.scalars(select(SampleDraw)).one()
    assert draw.record["method"] == "systematic"
    assert draw.record["plan"] == {
        "allocation": "equal",
        "moe": 0.1,
        "confidence": 0.9,
        "response_rate": 0.5,
        "minimum": 0,
        "census_below": 30,
        "p": 0.5,
    }
    sizes = {tuple(s["stratum"]): s["n_h"] for s in draw.record["sizes"]}
    assert sizes[("DINKES", "external")] == 25
    assert sizes[("SETDA", "internal")] == int(internal["n_invite"].iloc[1])
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "frames.draw")).one()
    assert entry.details["method"] == "systematic"
    assert entry.details["plan"]["allocation"] == "equal"
    assert entry.details["plan"]["census_below"] == 30


def test_neyman_takes_the_sds_and_the_response_rate_from_the_last_campaign(
    client: FlaskClient, spi: Survey
) -> None:
    # The earlier round: six of ten invitations used, and computed results.
    earlier = spi.campaign
    spi.issue(10)
    for inv in db.session.scalars(select(Invitation).where(Invitation.campaign_id == earlier.id)).all()[:6]:
        inv.state = "spent"
    add_campaign_responses(earlier, {"SETDA": 12, "DINKES": 12})
    compute_run(earlier, "analyst@example.org")
    db.session.commit()
    later = duplicate_campaign(
        earlier,
        slug="kota-2026",
        title="SPI Kota Uji 2026",
        period="2026",
        opens_on=earlier.opens_on + timedelta(days=365),
        closes_on=earlier.closes_on + timedelta(days=365),
    )
    db.session.commit()
    upload_frame(later, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    priors = plan_priors(later)
    assert priors.previous == earlier.slug
    assert priors.response_rate == 0.6
    assert priors.sd is not None
    assert {("SETDA", "internal"), ("DINKES", "internal"), ("DINKES", "external")} <= set(priors.sd)
    make_user("admin", ["KOTA"], email="boss@example.org")
    login(client, "boss@example.org")
    base = "/admin/campaigns/kota-2026/frames/plan"
    html = client.get(f"{base}?lang=en").get_data(as_text=True)
    assert "Neyman allocation is not available" not in html
    assert 'value="0.60"' in html  # the expected response rate defaults to the last campaign's
    page = client.get(base, query_string={"lang": "en", **PLAN, "allocation": "neyman"})
    assert page.status_code == 200, page.get_data(as_text=True)
    cells = _cells(page.get_data(as_text=True), "sample-plan")
    shown = {(r[0], r[1].split("(")[-1].rstrip(")")): int(r[3]) for r in cells}
    table = sample_plan(later, moe=0.1, response_rate=0.5, allocation="neyman", priors=priors)
    expected = {(r.unit, r.group): int(r.n) for r in table.itertuples()}
    assert shown == expected
    # Neyman: within a group, n_h in proportion to N_h S_h (up to rounding).
    internal = table[table["group"] == "internal"].set_index("unit")
    share = internal["N"] * internal["sd"]
    total = internal["n"].sum()
    assert abs(internal.loc["SETDA", "n"] - total * share["SETDA"] / share.sum()) <= 1
    _draw(client, "kota-2026", **{**PLAN, "allocation": "neyman"})
    draw = db.session.scalar(select(SampleDraw).where(SampleDraw.campaign_id == later.id))
    assert draw is not None
    assert draw.record["plan"]["allocation"] == "neyman"
    assert draw.record["method"] == "srs"


def test_cli_plan_and_draw_take_the_allocation(runner: FlaskCliRunner, spi: Survey) -> None:
    upload_frame(spi.campaign, frame_csv(), "daftar.csv", MAPPING, user=None)
    db.session.commit()
    args = ["--campaign", spi.campaign.slug, "--moe", "0.1", "--allocation", "proportional"]
    result = runner.invoke(args=["frames", "plan", *args, "--census-below", "30"])
    assert result.exit_code == 0, result.output
    rows = {tuple(line.split(",")[:2]): line.split(",") for line in result.output.splitlines()[1:]}
    assert rows[("DINKES", "external")][3] == "25"  # taken whole
    result = runner.invoke(args=["frames", "draw", *args, "--seed", "3", "--method", "systematic"])
    assert result.exit_code == 0, result.output
    draw = db.session.scalars(select(SampleDraw)).one()
    assert draw.record["plan"]["allocation"] == "proportional"
    assert draw.record["method"] == "systematic"
