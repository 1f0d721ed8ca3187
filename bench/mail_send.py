"""Benchmark: e-mail invitations through the whole sending path to a local SMTP server.

A fresh database (SQLite by default) gets a campaign of the bundled SPI instruments, a population list of
``--messages`` people in one unit, a census draw, then :func:`survey_app.worker.deliver` sends every
invitation to an aiosmtpd server started here: per message a fresh token committed to the database, the
message composed, sent over one reused SMTP connection (throttled at :data:`survey_app.mail.MAX_PER_SECOND`),
and its delivery-log entry committed. Prints messages per second and checks that the server received them
all.

    .venv/bin/python bench/mail_send.py --messages 1000
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
from scoring.frames import ColumnMapping
from survey_app import create_app
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.frames import draw_campaign, upload_frame
from survey_app.domain.institutions import import_units
from survey_app.domain.questionnaires import store_questionnaire
from survey_app.extensions import db
from survey_app.mail import MAX_PER_SECOND
from survey_app.worker import deliver


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += len(envelope.rcpt_tos)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    directory = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{directory}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x" * 32,
            "TOKEN_HASH_KEY": "y" * 32,
            "INSTANCE_PATH": directory,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_STARTTLS": "false",
            "MAIL_FROM": "survei@kota.go.id",
        }
    )
    try:
        with app.app_context():
            upgrade()
            import_units(
                io.StringIO(
                    "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
                    "KOTA,Pemerintah Kota Uji,SETDA,Sekretariat Daerah,,\n"
                )
            )
            today = date.today()
            versions = {
                g: store_questionnaire(load_bundled_questionnaire(f"spi-{g}"), today)[0]
                for g in ("internal", "external", "expert")
            }
            campaign = create_campaign(
                institution_code="KOTA",
                title="SPI Kota Uji",
                organiser="Inspektorat",
                slug="bench-mail",
                period="2025",
                profile=load_bundled_profile("spi-2024"),
                versions=versions,
                opens_on=today - timedelta(days=1),
                closes_on=today + timedelta(days=30),
                status="open",
                allow_open=False,
            )
            rows = "".join(f"SETDA,orang{k}@kota.go.id\n" for k in range(args.messages))
            upload_frame(
                campaign,
                ("unit,email\n" + rows).encode(),
                "bench.csv",
                ColumnMapping(unit="unit", email="email"),
                group="internal",
                user=None,
            )
            plan = pd.DataFrame({"unit": ["SETDA"], "group": ["internal"], "n_invite": [args.messages]})
            draw_campaign(campaign, plan, seed=1, user=None)
            db.session.commit()
            started = time.perf_counter()
            counts = deliver(campaign.id, "invitation")
            elapsed = time.perf_counter() - started
    finally:
        controller.stop()
    rate = counts["sent"] / elapsed
    print(
        f"database {url.split(':', 1)[0]}: {counts['sent']} sent, {counts['failed']} failed, "
        f"{counter.received} received by the server, {elapsed:.2f} s, {rate:.0f} messages/s "
        f"(throttle {MAX_PER_SECOND:.0f}/s)"
    )
    if counter.received != args.messages or counts["failed"]:
        raise SystemExit("not every message arrived")


if __name__ == "__main__":
    main()
