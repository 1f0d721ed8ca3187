"""Through the real app: a cascading select offers the options of the province answered before (and refuses
another one posted by hand), dates and times are asked with the browser's inputs and stored as ISO text,
a calculation is computed on the server and stored, never shown, a required item says the questionnaire's
own message, and labels show earlier answers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from questionnaires.model import Questionnaire
from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion, Response
from survey_app.respondent.display import QuestionnaireView, for_answers
from survey_app.respondent.pages import Plan
from tests.admin.admintools import login, make_user
from tests.apptools import Survey, build_survey, csrf_of, post_form
from tests.respondent.features_form import FEATURES_YAML, features


@pytest.fixture
def feature_survey(app: Flask) -> Survey:
    return build_survey(app, {"internal": features()})


def _post(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    page = client.get(url, **kwargs)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    token = csrf_of(page.get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "action": "next", **data}, **kwargs)


def _shown(client: FlaskClient, reply: Any, **kwargs: Any) -> str:
    assert reply.status_code == 303, reply.get_data(as_text=True)[:500]
    return str(client.get(reply.headers["Location"], **kwargs).get_data(as_text=True))


def test_cascading_select_dates_calculation_and_piping(client: FlaskClient, feature_survey: Survey) -> None:
    token = feature_survey.token()
    first = post_form(client, f"/r/{token}", {"consent": "y"}).headers["Location"]
    html = client.get(first).get_data(as_text=True)
    assert "Provinsi?" in html
    assert "Kota di" not in html  # the filtered select waits for its province, on a page of its own

    html = _shown(client, _post(client, first, {}))
    assert "Pilih provinsi Anda dulu." in html  # the questionnaire's own required message
    reply = _post(client, first, {"province": "jb"})
    city_url = reply.headers["Location"]
    html = _shown(client, reply)
    assert "Kota di Jawa Barat?" in html
    assert 'value="bogor"' in html
    assert 'value="bandung"' in html
    assert 'value="denpasar"' not in html
    assert 'value="dk"' in html  # "don't know" is always offered
    assert 'id="city" name="city" value="bogor"' in html  # the first option shown carries the item id

    # An option of another province, posted by hand, is refused.
    html = _shown(client, _post(client, city_url, {"city": "denpasar"}))
    assert "Pilih di antara pilihan yang tersedia." in html
    reply = _post(client, city_url, {"city": "bogor"})
    when_url = reply.headers["Location"]
    html = _shown(client, reply)
    assert 'type="date"' in html
    assert 'type="time"' in html
    assert 'type="datetime-local"' in html
    assert "days" not in html.replace("data-", "")  # the calculation is not shown

    html = _shown(client, _post(client, when_url, {"visit": "kemarin", "at": "25:00", "moment": "x"}))
    assert "Masukkan tanggal sebagai hari/bulan/tahun, misalnya 17/08/2024." in html
    assert "Masukkan jam sebagai jam:menit, misalnya 14:30." in html
    assert "Masukkan tanggal dan jam, misalnya 17/08/2024 14:30." in html
    html = _shown(client, _post(client, when_url, {"visit": "2019-12-31"}))
    assert "Sejak 2020 saja." in html  # . >= date('2020-01-01')

    # A browser without a date picker sends what was typed: day/month/year is read as well.
    reply = _post(client, when_url, {"visit": "01/05/2020", "at": "14:30", "moment": "2024-08-17T09:05"})
    later_url = reply.headers["Location"]
    html = _shown(client, reply)
    assert "Mengapa 121 hari, di Bogor?" in html  # the calculation and a choice's label, inserted

    html = _shown(client, _post(client, later_url, {}), headers={"Accept-Language": "en"})
    (response,) = db.session.scalars(select(Response))
    assert response.answers == {
        "province": "jb",
        "city": "bogor",
        "visit": "2020-05-01",
        "at": "14:30",
        "moment": "2024-08-17T09:05",
        "days": "121",
    }


def test_messages_in_english(client: FlaskClient, feature_survey: Survey) -> None:
    token = feature_survey.token()
    english = {"Accept-Language": "en"}
    first = post_form(client, f"/r/{token}?lang=en", {"consent": "y"}).headers["Location"]
    html = _shown(client, _post(client, first, {}, headers=english))
    assert "Choose your province first." in html
    reply = _post(client, first, {"province": "bl"})
    html = _shown(client, reply)
    assert "City in Bali?" in html
    assert 'value="denpasar"' in html
    assert 'value="bogor"' not in html
    when_url = _post(client, reply.headers["Location"], {"city": "denpasar"}).headers["Location"]
    html = _shown(client, _post(client, when_url, {"visit": "31/02/2021"}))
    assert "Enter a date as day/month/year, for example 17/08/2024." in html


def test_changing_the_province_drops_a_city_it_no_longer_offers() -> None:
    plan = Plan(features())
    kept = plan.clean({"province": "bl", "city": "bogor", "visit": "2020-01-05"})
    assert "city" not in kept
    assert kept["days"] == "4"
    assert plan.clean({"province": "bl", "city": "dk"})["city"] == "dk"
    # The later section is shown by the calculation.
    assert [p.key for p in plan.visible_pages(kept)] == ["place", "place~2", "when"]


def test_an_inserted_answer_is_text_never_markup() -> None:
    questionnaire: Questionnaire = features()
    view = QuestionnaireView(questionnaire, "en")
    item = questionnaire.item("why")
    shown = for_answers(view.items["why"], item, questionnaire, {"days": "[x](http://evil) *b*"}, "en")
    assert "<a" not in str(shown.label)
    assert "<em>" not in str(shown.label)
    assert "[x](http://evil) *b*" in str(shown.label)


def test_console_upload_and_preview_of_the_features(client: FlaskClient, app: Flask) -> None:
    make_user("admin")
    login(client, "admin@example.org")
    client.get("/admin/?lang=en")
    url = "/admin/questionnaires/"
    token = csrf_of(client.get(url).get_data(as_text=True))
    reply = client.post(
        url + "upload",
        data={"csrf_token": token, "definition": (io.BytesIO(FEATURES_YAML.encode()), "features.yaml")},
        content_type="multipart/form-data",
    )
    assert reply.status_code in (200, 303), reply.get_data(as_text=True)[-2000:]
    version_id = db.session.scalar(
        select(QuestionnaireVersion.id).where(QuestionnaireVersion.questionnaire_id == "features")
    )
    assert version_id is not None
    page = client.get(f"{url}{version_id}/preview?qlang=en").get_data(as_text=True)
    assert 'type="date"' in page
    assert 'type="datetime-local"' in page
    assert "Computed, not shown" in page
    assert "int(${visit} - date(&#39;2020-01-01&#39;))" in page
    assert "Options offered where" in page
    assert "province = ${province}" in page
