"""The bundled instruments and profiles load, validate and meet the content rules of the issue."""

from __future__ import annotations

import pytest

from questionnaires import validate_file
from questionnaires.bundled import (
    load_bundled_profile,
    load_bundled_questionnaire,
    profile_paths,
    questionnaire_paths,
)
from questionnaires.expressions import compile_expression
from questionnaires.model import Group, ItemType, Missing, Questionnaire

QUESTIONNAIRES = [p.stem for p in questionnaire_paths()]
PROFILES = [p.stem for p in profile_paths()]


def test_bundled_files_are_found() -> None:
    assert "spi-internal" in QUESTIONNAIRES
    assert "spi-2024" in PROFILES


@pytest.mark.parametrize("path", questionnaire_paths() + profile_paths(), ids=lambda p: p.stem)
def test_bundled_file_is_valid(path: object) -> None:
    assert validate_file(path) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("qid", QUESTIONNAIRES)
@pytest.mark.parametrize("pid", PROFILES)
def test_bundled_questionnaire_dimensions_are_known_to_every_profile(qid: str, pid: str) -> None:
    path = next(p for p in questionnaire_paths() if p.stem == qid)
    profile = load_bundled_profile(pid)
    assert validate_file(path, profile=profile) == []


@pytest.fixture(params=QUESTIONNAIRES)
def instrument(request: pytest.FixtureRequest) -> Questionnaire:
    return load_bundled_questionnaire(request.param)


def test_instrument_size_and_languages(instrument: Questionnaire) -> None:
    answerable = [i for i in instrument.items if i.type is not ItemType.NOTE]
    assert 30 <= len(answerable) <= 60
    assert instrument.languages == ("id", "en")
    assert instrument.id == next(p.stem for p in questionnaire_paths() if p.stem == instrument.id)
    for lang in instrument.languages:
        # The promise of docs/anonymity.md ("What respondents are told"), in each language.
        assert "Apa yang disimpan dan siapa yang melihatnya" in instrument.introduction["id"]
        assert "What is stored and who sees it" in instrument.introduction["en"]
        assert instrument.introduction[lang].strip()


def test_every_question_about_the_institution_offers_dont_know(instrument: Questionnaire) -> None:
    # Scored items and follow-ups; questions about the respondent (capacity, field) need no "don't know".
    for item in instrument.items:
        if item.type.is_choice and (item.scoring is not None or item.relevant):
            scale = instrument.scale_of(item)
            assert scale is not None
            assert any(o.missing is Missing.DONT_KNOW and o.code == "dk" for o in scale.options), item.id


def test_follow_ups_come_right_after_their_trigger(instrument: Questionnaire) -> None:
    for section in instrument.sections:
        seen: list[str] = []
        for item in section.items:
            if item.relevant:
                refs = compile_expression(item.relevant).references
                # Follow-ups refer to an item of the same section that comes before them.
                assert refs <= set(seen), (item.id, refs)
            seen.append(item.id)


def test_experience_items_have_follow_ups(instrument: Questionnaire) -> None:
    triggers = {
        ref
        for item in instrument.items
        if item.relevant
        for ref in compile_expression(item.relevant).references
    }
    assert len(triggers) >= 3
    for trigger in triggers:
        assert instrument.item(trigger).scale == "ya_tidak"


def test_profile_acrc_2017_numbers() -> None:
    profile = load_bundled_profile("acrc-2017")
    assert dict(profile.group_weights) == {Group.EXTERNAL: 0.763, Group.INTERNAL: 0.237}
    assert profile.display_scale == 10
    assert profile.categories == ()
    assert [(c.id, c.points_per_case) for c in profile.corrections] == [("kasus_korupsi", 2.0)]


def test_each_group_has_its_instrument() -> None:
    groups = {load_bundled_questionnaire(q).group for q in QUESTIONNAIRES}
    assert groups == set(Group)


def test_profile_spi_2024_numbers() -> None:
    profile = load_bundled_profile("spi-2024")
    assert dict(profile.group_weights) == {Group.INTERNAL: 0.45, Group.EXTERNAL: 0.45, Group.EXPERT: 0.10}
    assert [(c.id, c.lower, c.upper) for c in profile.categories] == [
        ("rentan", 0, 73),
        ("waspada", 73, 78),
        ("terjaga", 78, 100),
    ]
    assert profile.category_of(72.99).id == "rentan"  # type: ignore[union-attr]
    assert profile.category_of(100).id == "terjaga"  # type: ignore[union-attr]
    assert profile.min_cell == 5
    assert "UNCONFIRMED" in profile.source["en"]
    assert {c.id for c in profile.corrections} == {
        "pengaduan_masyarakat",
        "ketidakpatuhan_lhkpn",
        "kasus_korupsi",
        "responden_diarahkan",
    }
    assert profile.max_correction == 10


def test_canonical_json_round_trip(instrument: Questionnaire) -> None:
    again = Questionnaire.from_json(instrument.canonical_json())
    assert again == instrument
    assert again.content_hash == instrument.content_hash
