"""Tiny instruments for the doctests and unit tests of the index pipeline.

The bundled SPI questionnaires are long; examples need something that fits on a screen. These objects are
built with the public model constructors, exactly as the YAML loader would build them, and are not meant for
fieldwork.

>>> q = tiny_questionnaire("internal")
>>> [i.id for i in q.scored_items]
['t1', 't2', 'b1', 'b2']
>>> tiny_profile().group_weights["internal"]
0.5
"""

from __future__ import annotations

from questionnaires.model import (
    Direction,
    Group,
    Item,
    ItemScoring,
    ItemType,
    Missing,
    Option,
    Questionnaire,
    Scale,
    ScaleKind,
    Section,
)
from questionnaires.profile import Category, CorrectionRule, Dimension, ScoringProfile

__all__ = ["tiny_profile", "tiny_questionnaire"]

FREQUENCY = Scale(
    id="frequency",
    kind=ScaleKind.ORDINAL,
    options=(
        Option("1", {"en": "never"}, 1.0),
        Option("2", {"en": "rarely"}, 2.0),
        Option("3", {"en": "sometimes"}, 3.0),
        Option("4", {"en": "often"}, 4.0),
        Option("5", {"en": "always"}, 5.0),
        Option("dk", {"en": "don't know"}, None, Missing.DONT_KNOW),
    ),
)
YES_NO = Scale(
    id="yes_no",
    kind=ScaleKind.NOMINAL,
    options=(
        Option("y", {"en": "yes"}, 1.0),
        Option("n", {"en": "no"}, 0.0),
        Option("dk", {"en": "don't know"}, None, Missing.DONT_KNOW),
        Option("na", {"en": "not applicable"}, None, Missing.NOT_APPLICABLE),
    ),
)


def _item(item_id: str, scale: str, dimension: str, indicator: str, direction: Direction) -> Item:
    return Item(
        id=item_id,
        type=ItemType.SELECT_ONE,
        label={"en": item_id},
        scale=scale,
        scoring=ItemScoring(dimension=dimension, indicator=indicator, direction=direction),
    )


def tiny_questionnaire(group: str = "internal", version: str = "1") -> Questionnaire:
    """A four-item questionnaire: two transparency items, two bribery items.

    ``t1``/``t2`` (frequency 1–5, integrity direction) score ``transparansi/keterbukaan``; ``b1``/``b2``
    (yes/no, risk direction: "did you see a bribe") score ``integritas_pelaksanaan_tugas/suap``. ``t1`` and
    ``t2`` are in one section so that straight-lining can be checked on them; ``note`` stores nothing.
    """
    return Questionnaire(
        id=f"tiny-{group}",
        version=version,
        title={"en": f"Tiny {group} questionnaire"},
        group=Group(group),
        languages=("en",),
        sections=(
            Section(
                id="s1",
                title={"en": "Transparency"},
                items=(
                    Item(id="note", type=ItemType.NOTE, label={"en": "Please answer honestly."}),
                    _item("t1", "frequency", "transparansi", "keterbukaan", Direction.INTEGRITY),
                    _item("t2", "frequency", "transparansi", "keterbukaan", Direction.INTEGRITY),
                ),
            ),
            Section(
                id="s2",
                title={"en": "Bribery"},
                items=(
                    _item("b1", "yes_no", "integritas_pelaksanaan_tugas", "suap", Direction.RISK),
                    _item("b2", "yes_no", "integritas_pelaksanaan_tugas", "suap", Direction.RISK),
                ),
            ),
        ),
        scales={"frequency": FREQUENCY, "yes_no": YES_NO},
        special_codes={"dont_know": "dk", "not_applicable": "na"},
    )


def tiny_profile(min_respondents_per_group: int = 5, min_cell: int = 3) -> ScoringProfile:
    """A profile for :func:`tiny_questionnaire`: group weights 0.5/0.3/0.2, SPI 2024 categories."""
    return ScoringProfile(
        id="tiny",
        version="1",
        title={"en": "Tiny profile"},
        group_weights={Group.INTERNAL: 0.5, Group.EXTERNAL: 0.3, Group.EXPERT: 0.2},
        dimensions=(
            Dimension("transparansi", {"en": "Transparency"}, 1.0),
            Dimension("integritas_pelaksanaan_tugas", {"en": "Integrity in duties"}, 2.0),
        ),
        categories=(
            Category("rentan", {"en": "Vulnerable"}, 0.0, 73.0),
            Category("waspada", {"en": "Alert"}, 73.0, 78.0),
            Category("terjaga", {"en": "Maintained"}, 78.0, 100.0),
        ),
        min_respondents_per_group=min_respondents_per_group,
        min_cell=min_cell,
        min_share_answered=0.5,
        corrections=(
            CorrectionRule("complaints", {"en": "Public complaints"}, 0.5, 3.0),
            CorrectionRule("cases", {"en": "Corruption cases"}, 2.0, None),
        ),
        max_correction=4.0,
    )
