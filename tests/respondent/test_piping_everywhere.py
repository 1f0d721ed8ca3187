"""``${id}`` beyond item labels: a section's title and description, an option's label, and constraint and
required messages show the earlier answer, as text; the validator refuses a reference to an unknown or
later item in each of them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from questionnaires.loader import load_questionnaire_text
from questionnaires.problems import QuestionnaireInvalid
from tests.apptools import Survey, build_survey, csrf_of, post_form

PIPING_YAML = """
kind: questionnaire
id: piping
version: "1"
title: {id: Survei sisipan, en: Piping survey}
group: internal
languages: [id, en]
scales:
  - id: office
    kind: nominal
    options:
      - {code: a, label: {id: Kantor pusat, en: Head office}}
      - {code: b, label: {id: Kantor cabang, en: Branch office}}
  - id: again
    kind: nominal
    options:
      - {code: y, label: {id: "Ya, di ${office}", en: "Yes, at the ${office}"}}
      - {code: n, label: {id: Tidak, en: "No"}}
sections:
  - id: first
    title: {id: Kantor, en: Office}
    items:
      - id: office
        type: select_one
        scale: office
        label: {id: Kantor mana?, en: Which office?}
      - id: visits
        type: integer
        label: {id: Berapa kali?, en: How many times?}
        min: 0
        max: 50
  - id: second
    title: {id: "Tentang ${office}", en: "About the ${office}"}
    description: {id: "Anda datang **${visits}** kali.", en: "You came **${visits}** times."}
    items:
      - id: back
        type: select_one
        scale: again
        label: {id: Akan kembali?, en: Would you come back?}
        required_message: {id: "Jawab untuk ${office}.", en: "Answer for the ${office}."}
      - id: paid
        type: integer
        label: {id: Berapa kali membayar?, en: How many times did you pay?}
        constraint: . <= ${visits}
        constraint_message: {id: "Paling banyak ${visits}.", en: "At most ${visits}."}
        min: 0
        max: 50
"""


@pytest.fixture
def piping_survey(app: Flask) -> Survey:
    return build_survey(app, {"internal": load_questionnaire_text(PIPING_YAML, "piping.yaml")})


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(
        url, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "action": "next", **data}
    )


def test_titles_descriptions_options_and_messages_show_earlier_answers(
    client: FlaskClient, piping_survey: Survey
) -> None:
    first = post_form(client, f"/r/{piping_survey.token()}", {"consent": "y"}).headers["Location"]
    reply = _post(client, first, {"office": "b", "visits": "3"})
    assert reply.status_code == 303
    second = reply.headers["Location"]
    html = client.get(second).get_data(as_text=True)
    assert "<h1>Tentang Kantor cabang" in html
    assert "Anda datang <strong>3</strong> kali." in html
    assert "Ya, di Kantor cabang" in html
    assert "${" not in html

    refused = _post(client, second, {"paid": "7"})
    html = (
        client.get(refused.headers["Location"]).get_data(as_text=True)
        if refused.status_code == 303
        else (refused.get_data(as_text=True))
    )
    assert "Jawab untuk Kantor cabang." in html
    assert "Paling banyak 3." in html
    assert "${" not in html

    english = client.get(second, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "About the Branch office" in english
    assert "Yes, at the Branch office" in english


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'title: {id: "Tentang ${office}"',
            'title: {id: "Tentang ${ofice}"',
            "refers to unknown item ${ofice}",
        ),
        ("Anda datang **${visits}** kali.", "Anda datang **${paid}** kali.", "which comes later"),
        ('label: {id: "Ya, di ${office}"', 'label: {id: "Ya, di ${back}"', "which comes later"),
        ('"Paling banyak ${visits}."', '"Paling banyak ${visit}."', "refers to unknown item ${visit}"),
    ],
)
def test_the_validator_checks_every_piped_text(old: str, new: str, expected: str) -> None:
    assert old in PIPING_YAML
    with pytest.raises(QuestionnaireInvalid) as refused:
        load_questionnaire_text(PIPING_YAML.replace(old, new), "piping.yaml")
    assert expected in str(refused.value)
