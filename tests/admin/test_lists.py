"""Long lists in the console (a city's 36 units, years of campaigns): search and pages."""

from __future__ import annotations

import io
from datetime import date, timedelta

from flask.testing import FlaskClient

from questionnaires.bundled import load_bundled_profile
from survey_app.domain.campaigns import create_campaign
from survey_app.domain.institutions import import_units
from survey_app.extensions import db
from tests.admin.admintools import login, make_user
from tests.apptools import Survey


def _admin(client: FlaskClient) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")


def test_campaigns_are_searched_and_paged(client: FlaskClient, spi: Survey) -> None:
    versions = {q.respondent_group: q.questionnaire_version for q in spi.campaign.questionnaires}
    today = date.today()
    for year in range(2000, 2030):
        create_campaign(
            institution_code="KOTA",
            title=f"SPI Kota Uji {year}",
            slug=f"kota-uji-{year}",
            period=str(year),
            profile=load_bundled_profile("spi-2024"),
            versions=versions,
            opens_on=today - timedelta(days=3000 - year),
            closes_on=today,
        )
    db.session.commit()
    _admin(client)
    first = client.get("/admin/").get_data(as_text=True)
    assert first.count('<th scope="row">') == 25
    assert "Page 1 of 2 (31 in all)" in first
    second = client.get("/admin/?page=2").get_data(as_text=True)
    assert second.count('<th scope="row">') == 6
    found = client.get("/admin/?q=2017").get_data(as_text=True)
    assert found.count('<th scope="row">') == 1
    assert "SPI Kota Uji 2017" in found
    assert "1 found." in found
    assert "No campaign matches." in client.get("/admin/?q=nothing-like-this").get_data(as_text=True)


def test_units_are_searched_and_paged(client: FlaskClient, spi: Survey) -> None:
    rows = "".join(f"KOTA,Pemerintah Kota Uji,OPD{n:02d},Dinas Nomor {n},SETDA,{n}\n" for n in range(60))
    import_units(
        io.StringIO(
            "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n" + rows
        )
    )
    db.session.commit()
    _admin(client)
    page = client.get("/admin/institutions/KOTA").get_data(as_text=True)
    assert page.count('<th scope="row">') == 50
    assert "Page 1 of 2 (62 in all)" in page
    assert (
        client.get("/admin/institutions/KOTA?page=2").get_data(as_text=True).count('<th scope="row">') == 12
    )
    found = client.get("/admin/institutions/KOTA?q=nomor 4").get_data(as_text=True)
    assert found.count('<th scope="row">') == 11  # 4 and 40–49
    assert "— " not in found.split("<tbody>", 1)[1]  # matches are listed flat
