"""XLSForm export that pyxform (4.x, and 3.0 as KoboToolbox pins it) converts and ODK Validate accepts.

What ODK has no column for travels so that nothing is lost and an import gives back the same questionnaire
(same content hash):

* the title in every language, the introduction and the consent: a first group ``spi_welcome`` with notes
  ``spi_introduction`` and ``spi_consent`` (respondents of ODK and Kobo see them on the first page);
* a section's description: a note ``spi_description_<section>`` at the top of its group (pyxform drops a
  group's hint);
* bounds: a constraint (``. >= 1 and . <= 50``, before the item's own constraint), and
  ``spi_min``/``spi_max``;
* scoring, option values, "don't know" markers, scale kinds, group and access: ``spi_`` columns, which
  pyxform passes through without reading;
* calculations, dates and times, ``choice_filter`` (the options' attributes as columns of the choices
  sheet, named as the filter names them) and ``required_message``: XLSForm's own columns.

:func:`export_xlsform` returns the warnings of the export: per item, what ODK and Kobo will not do with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import openpyxl

from questionnaires.model import ItemType, Questionnaire
from questionnaires.xlsform.columns import language_header, language_name
from questionnaires.xlsform.sheets import (
    CONSENT_NOTE,
    DESCRIPTION_PREFIX,
    INTRODUCTION_NOTE,
    TITLE_NOTE,
    WELCOME_GROUP,
    bounds_clause,
)


def export_xlsform(q: Questionnaire, target: str | os.PathLike[str]) -> list[str]:
    """Write ``q`` as an XLSForm workbook; the warnings say what ODK or Kobo will not apply."""
    warnings: list[str] = []
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    langs = list(q.languages)

    def texts(values: Mapping[str, str]) -> list[str | None]:
        return [values.get(lang) for lang in langs]

    survey.append(
        ["type", "name"]
        + [language_header("label", c) for c in langs]
        + [language_header("hint", c) for c in langs]
        + ["required", "relevant", "constraint"]
        + [language_header("constraint_message", c) for c in langs]
        + ["calculation", "choice_filter"]
        + [language_header("required_message", c) for c in langs]
        + [
            "appearance",
            "spi_min",
            "spi_max",
            "spi_dimension",
            "spi_indicator",
            "spi_direction",
            "spi_weight",
        ]
    )
    blank = [None] * len(langs)
    survey.append(["begin_group", WELCOME_GROUP, *texts(q.title)])
    if q.introduction:
        survey.append(["note", INTRODUCTION_NOTE, *texts(q.introduction)])
    if q.consent:
        survey.append(["note", CONSENT_NOTE, *texts(q.consent)])
    if not q.introduction and not q.consent:
        # An empty group is refused by nothing but shown as a blank page; a note says whose survey it is.
        survey.append(["note", TITLE_NOTE, *texts(q.title)])
    survey.append(["end_group", WELCOME_GROUP])
    for section in q.sections:
        survey.append(["begin_group", section.id, *texts(section.title), *blank, None, section.relevant])
        if section.description:
            survey.append(["note", f"{DESCRIPTION_PREFIX}{section.id}", *texts(section.description)])
        for item in section.items:
            item_type = item.type.value
            appearance = None
            if item.type.is_choice:
                item_type = f"{item.type.value} {item.scale}"
            elif item.type is ItemType.LONG_TEXT:
                item_type, appearance = "text", "multiline"
            constraint = item.constraint
            clause = bounds_clause(item.minimum, item.maximum)
            if clause:
                constraint = f"{clause} and ({constraint})" if constraint else clause
            scoring = item.scoring
            if scoring is not None:
                warnings.append(
                    f"item '{item.id}': its scoring ({scoring.dimension}/{scoring.indicator}) travels in "
                    "spi_ columns, which ODK and Kobo keep in the workbook but do not use"
                )
            survey.append(
                [item_type, item.id, *texts(item.label), *texts(item.hint)]
                + [
                    ("yes" if item.required else "no")
                    if item.type.is_shown and item.type is not ItemType.NOTE
                    else None
                ]
                + [item.relevant, constraint]
                + texts(item.constraint_message)
                + [item.calculation, item.choice_filter]
                + texts(item.required_message)
                + [appearance, item.minimum, item.maximum]
                + (
                    [scoring.dimension, scoring.indicator, scoring.direction.value, scoring.weight]
                    if scoring
                    else [None, None, None, None]
                )
            )
        survey.append(["end_group", section.id])
    choices = workbook.create_sheet("choices")
    # What choice filters read: the options' attributes, each a column named as the filters name it.
    attributes = sorted({k for s in q.scales.values() for o in s.options for k in o.attributes})
    choices.append(
        [
            "list_name",
            "name",
            *[language_header("label", c) for c in langs],
            "spi_value",
            "spi_missing",
            "spi_kind",
            *attributes,
        ]
    )
    for scale in q.scales.values():
        for option in scale.options:
            choices.append(
                [
                    scale.id,
                    option.code,
                    *texts(option.label),
                    option.value,
                    option.missing.value if option.missing else None,
                    scale.kind.value,
                    *[option.attributes.get(k) for k in attributes],
                ]
            )
    settings = workbook.create_sheet("settings")
    settings.append(
        [
            "form_id",
            "version",
            "form_title",
            "default_language",
            "spi_group",
            "spi_access",
            "spi_dont_know_code",
            "spi_not_applicable_code",
        ]
    )
    settings.append(
        [
            q.id,
            q.version,
            q.title.get(q.default_language),
            f"{language_name(q.default_language)} ({q.default_language})",
            q.group.value,
            " ".join(m.value for m in q.access_modes),
            q.special_codes.get("dont_know"),
            q.special_codes.get("not_applicable"),
        ]
    )
    workbook.save(target)
    return warnings
