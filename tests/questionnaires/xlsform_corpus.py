"""A corpus of XLSForm workbooks, built with openpyxl: one per feature, and a few realistic forms.

The forms imitate what methodologists bring from KoboToolbox and ODK (the Kobo "service survey" and ODK
"household" templates, a bilingual English/Indonesian survey): metadata rows, a ``settings`` sheet, nested
groups, old spellings, curly quotes, cascading selects. ``python tests/questionnaires/xlsform_corpus.py DIR``
writes them all to DIR (the tests build them in a temporary folder).

Each :class:`Form` says how this product should import it: with which options, whether it is refused, and
which warnings must appear.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

Rows = Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Form:
    name: str
    survey: Rows
    choices: Rows = ()
    settings: Rows = ()
    #: Import options (``language``, ``skip_refused``) this form needs.
    options: dict[str, Any] = field(default_factory=dict)
    #: Fragments that must appear among the import's warnings.
    warnings: tuple[str, ...] = ()
    #: Fragments of the refusals an import without ``skip_refused`` reports (empty: imports as it is).
    refused: tuple[str, ...] = ()
    #: Files uploaded beside the workbook (select_one_from_file).
    attachments: dict[str, bytes] = field(default_factory=dict)
    #: ODK Validate needs the attached files beside the XForm; conversions of such forms skip it.
    odk_validate: bool = True

    def build(self, folder: Path) -> Path:
        path = folder / f"{self.name}.xlsx"
        write_workbook(path, self.survey, self.choices, self.settings)
        for filename, data in self.attachments.items():
            (folder / filename).write_bytes(data)
        return path


def write_workbook(path: Path, survey: Rows, choices: Rows = (), settings: Rows = ()) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            target = workbook.create_sheet(title)
            for row in rows:
                target.append(list(row))
    workbook.save(path)
    return path


YES_NO = [
    ["list_name", "name", "label::English (en)", "label::Indonesian (id)"],
    ["yn", "yes", "Yes", "Ya"],
    ["yn", "no", "No", "Tidak"],
]
BILINGUAL = ["type", "name", "label::English (en)", "label::Indonesian (id)"]

FORMS: list[Form] = [
    Form(
        "bilingual_basic",
        survey=[
            [*BILINGUAL, "hint::English (en)", "hint::Indonesian (id)", "required", "relevant", "constraint"],
            [
                "select_one yn",
                "visited",
                "Did you visit the office?",
                "Apakah Anda datang ke kantor?",
                None,
                None,
                "yes",
            ],
            [
                "integer",
                "visits",
                "How many times?",
                "Berapa kali?",
                "Count them",
                "Hitung",
                "yes",
                "${visited} = 'yes'",
                ". >= 1 and . <= 50",
            ],
            ["text", "comment", "Anything else?", "Ada lagi?"],
        ],
        choices=YES_NO,
        settings=[
            ["form_id", "version", "form_title", "default_language"],
            ["bilingual_basic", "1", "Service survey", "English (en)"],
        ],
        warnings=("no spi_group",),
    ),
    Form(
        # A bare label beside a suffixed one: the bare one is the default language (English), not lost.
        "bare_label_beside_indonesian",
        survey=[
            ["type", "name", "label", "label::Indonesian (id)", "required"],
            ["select_one yn", "asked", "Were you asked for a payment?", "Apakah Anda dimintai uang?", "yes"],
            ["note", "thanks", "Thank you", "Terima kasih"],
        ],
        choices=[
            ["list_name", "name", "label", "label::Indonesian (id)"],
            ["yn", "yes", "Yes", "Ya"],
            ["yn", "no", "No", "Tidak"],
        ],
        settings=[["form_title", "default_language"], ["Payments", "English"]],
    ),
    Form(
        # No language anywhere: the language is asked (here given as the option).
        "no_language_suffix",
        survey=[
            ["type", "name", "label"],
            ["text", "saran", "Saran Anda"],
            ["select_one ok", "puas", "Apakah Anda puas?"],
        ],
        choices=[["list_name", "name", "label"], ["ok", "ya", "Ya"], ["ok", "tidak", "Tidak"]],
        options={"language": "id"},
    ),
    Form(
        "kobo_metadata",
        survey=[
            ["type", "name", "label::English (en)", "required"],
            ["start", "start", None],
            ["end", "end", None],
            ["today", "today", None],
            ["deviceid", "deviceid", None],
            ["username", "username", None],
            ["audit", "audit", None],
            ["integer", "age", "Years in this unit", "yes"],
        ],
        settings=[
            ["form_id", "form_title", "version", "instance_name", "style", "spi_group"],
            ["kobo_meta", "Staff survey", "2024", "concat(${age})", "pages", "internal"],
        ],
        warnings=(
            "'deviceid' (the device id) is not recorded",
            "column 'instance_name' is not imported",
            "column 'style' is not imported",
        ),
    ),
    Form(
        "nested_groups",
        survey=[
            ["type", "name", "label::English (en)", "relevant", "appearance"],
            ["select_one yn", "staff", "Are you staff?"],
            ["begin_group", "work", "Your work", "${staff} = 'yes'", "field-list"],
            ["integer", "years", "Years of service"],
            ["begin_group", "promo", "Promotion", "${years} > 2"],
            ["select_one yn", "paid", "Did anyone ask for money for a promotion?"],
            ["end_group", "promo"],
            ["text", "role", "Your role"],
            ["begin_group", "nolabel", None],
            ["note", "n1", "A note in a group without a label"],
            ["end_group"],
            ["end_group", "work"],
            ["text", "last", "Last words"],
        ],
        choices=[["list_name", "name", "label::English (en)"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        warnings=(
            "appearance 'field-list' is not imported",
            "group 'promo' is inside group 'work'",
            "group 'nolabel' has no label",
        ),
    ),
    Form(
        "old_spellings",
        survey=[
            [
                "type",
                "name",
                "label:English",
                "bind:relevant",
                "constraint message:English",
                "bind:constraint",
            ],
            ["select one yn", "q1", "First?"],
            ["begin group", "g", "Group"],
            [
                "select all that apply fruit",
                "q2",
                "Which?",
                "${q1} = ‘yes’",
                "Not both",
                "not(selected(., 'a') and selected(., 'b'))",
            ],
            ["end group"],
        ],
        choices=[
            ["list name", "name", "label:English"],
            ["yn", "yes", "Yes"],
            ["yn", "no", "No"],
            ["fruit", "a", "Apple"],
            ["fruit", "b", "Banana"],
        ],
        warnings=(
            "'select one' read as 'select_one'",
            "curly quotes in relevant",
            "read as 'label::English'",
        ),
    ),
    Form(
        "or_other",
        survey=[
            ["type", "name", "label::English (en)"],
            ["select_one where or_other", "where", "Where?"],
            ["select_multiple where or_other", "also", "Also where?"],
        ],
        choices=[
            ["list_name", "name", "label::English (en)"],
            ["where", "office", "Office"],
            ["where", "online", "Online"],
        ],
    ),
    Form(
        "appearance_default",
        survey=[
            [
                "type",
                "name",
                "label::English (en)",
                "appearance",
                "default",
                "hint::English (en)",
                "required",
                "required_message::English (en)",
            ],
            ["select_one yn", "a", "Shown as a menu", "minimal", "no", None, "yes", "Please answer"],
            ["text", "b", "Long text", "multiline", None, "Write freely"],
            ["decimal", "c", "Amount", None, "0"],
        ],
        choices=[["list_name", "name", "label::English (en)"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
        warnings=(
            "appearance 'minimal' is not imported",
            "answers are never pre-filled",
        ),
    ),
    Form(
        "choice_names_with_spaces",
        survey=[["type", "name", "label::English (en)"], ["select_one agree", "fair", "Officials are fair"]],
        choices=[
            ["list_name", "name", "label::English (en)"],
            ["agree", "strongly disagree", "Strongly disagree"],
            ["agree", "agree", "Agree"],
        ],
        warnings=("stored as 'strongly_disagree'",),
    ),
    Form(
        "french_english",
        survey=[
            ["type", "name", "label::Français (fr)", "label::English (en)"],
            ["select_one yn", "q", "Êtes-vous satisfait ?", "Are you satisfied?"],
        ],
        choices=[
            ["list_name", "name", "label::Français (fr)", "label::English (en)"],
            ["yn", "oui", "Oui", "Yes"],
            ["yn", "non", "Non", "No"],
        ],
        settings=[
            ["form_id", "default_language", "spi_group", "spi_dont_know_code"],
            ["fr_en", "Français (fr)", "external", "dk"],
        ],
    ),
    Form(
        "select_from_file",
        survey=[
            ["type", "name", "label::English (en)"],
            ["select_one_from_file units.csv", "unit", "Which unit?"],
        ],
        attachments={"units.csv": b"name,label::English (en)\nfin,Finance\nhr,Human resources\n"},
        odk_validate=False,
    ),
    Form(
        "geopoint_refused",
        survey=[
            ["type", "name", "label::English (en)", "relevant"],
            ["geopoint", "where", "Where are you?"],
            ["text", "office", "Which office?"],
            ["image", "photo", "Take a photo"],
        ],
        refused=(
            "'geopoint' is refused: a location would identify the respondent",
            "'image' is refused: a photo",
        ),
    ),
    Form(
        "repeat_refused",
        survey=[
            ["type", "name", "label::English (en)"],
            ["integer", "size", "Household size"],
            ["begin_repeat", "member", "Member"],
            ["text", "member_name", "Name"],
            ["begin_group", "inner", "Inner"],
            ["integer", "age", "Age"],
            ["end_group"],
            ["end_repeat"],
            ["text", "done", "Done?"],
        ],
        refused=("a repeat is refused",),
    ),
    Form(
        "cascading_select",
        survey=[
            ["type", "name", "label::English (en)", "choice_filter", "required"],
            ["select_one province", "province", "Province", None, "yes"],
            ["select_one city", "city", "City in ${province}", "province=${province}", "yes"],
            ["select_multiple district", "district", "Districts", "city=${city} or name='other'"],
            ["text", "street", "Street"],
        ],
        choices=[
            ["list_name", "name", "label::English (en)", "province", "city"],
            ["province", "jb", "Jawa Barat"],
            ["province", "bl", "Bali"],
            ["city", "bogor", "Bogor", "jb"],
            ["city", "denpasar", "Denpasar", "bl"],
            ["district", "tanah_sareal", "Tanah Sareal", None, "bogor"],
            ["district", "kuta", "Kuta", None, "denpasar"],
            ["district", "other", "Other"],
        ],
    ),
    Form(
        "calculate_and_dates",
        survey=[
            ["type", "name", "label::English (en)", "calculation", "constraint", "relevant"],
            ["date", "visit", "When?", None, ". >= date('2020-01-01')"],
            ["time", "at", "At what time?"],
            ["dateTime", "moment", "Date and time?"],
            ["calculate", "days", None, "int(${visit} - date('2020-01-01'))"],
            ["calculate", "twice", None, "2 * 2"],
            ["text", "why", "Why ${days} days?", None, None, "${days} > 100"],
        ],
    ),
    Form(
        "required_message",
        survey=[
            [
                *BILINGUAL,
                "required",
                "required_message::English (en)",
                "required_message::Indonesian (id)",
            ],
            ["select_one yn", "visited", "Visited?", "Pernah?", "yes", "Please answer.", "Mohon dijawab."],
            ["integer", "times", "How many times?", "Berapa kali?", "no", "Ignored.", "Diabaikan."],
        ],
        choices=YES_NO,
        warnings=("required_message is not imported: the question is not required",),
    ),
    # Realistic forms ------------------------------------------------------------------------------------
    Form(
        # In the style of a KoboToolbox service-rating survey, bilingual English/Indonesian.
        "kobo_service_survey",
        survey=[
            [
                "type",
                "name",
                "label::English (en)",
                "label::Indonesian (id)",
                "hint::English (en)",
                "hint::Indonesian (id)",
                "required",
                "relevant",
                "constraint",
                "constraint_message::English (en)",
                "constraint_message::Indonesian (id)",
                "appearance",
                "media::image",
            ],
            ["start", "start"],
            ["end", "end"],
            ["today", "today"],
            ["deviceid", "deviceid"],
            ["note", "welcome", "Welcome to the service survey", "Selamat datang di survei layanan"],
            [
                "begin_group",
                "service",
                "The service",
                "Layanan",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "field-list",
            ],
            [
                "select_one service",
                "which",
                "Which service did you use?",
                "Layanan apa yang Anda gunakan?",
                None,
                None,
                "yes",
                None,
                None,
                None,
                None,
                "minimal",
            ],
            [
                "select_one yn",
                "asked",
                "Were you asked to pay more than the official fee?",
                "Apakah Anda diminta membayar lebih dari tarif resmi?",
                None,
                None,
                "yes",
            ],
            [
                "select_multiple given",
                "given",
                "What was asked for?",
                "Apa yang diminta?",
                "Select all that apply",
                "Pilih semua yang sesuai",
                "yes",
                "${asked} = 'yes'",
                "not(selected(., 'none') and count-selected(.) > 1)",
                "'None' cannot be combined",
                "'Tidak ada' tidak bisa digabung",
            ],
            [
                "decimal",
                "amount",
                "How much (thousand rupiah)?",
                "Berapa (ribu rupiah)?",
                None,
                None,
                "no",
                "selected(${given}, 'money')",
                ". >= 0 and . <= 100000",
                "Between 0 and 100,000",
                "Antara 0 dan 100.000",
            ],
            ["end_group", "service"],
            [
                "begin_group",
                "rating",
                "Your rating",
                "Penilaian Anda",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "field-list",
            ],
            [
                "select_one agree",
                "fair",
                "Officials treated everyone fairly.",
                "Petugas memperlakukan semua orang dengan adil.",
                None,
                None,
                "yes",
            ],
            [
                "select_one agree",
                "clear",
                "Fees were clearly displayed.",
                "Tarif ditampilkan dengan jelas.",
                None,
                None,
                "yes",
                None,
                None,
                None,
                None,
                "likert",
                "fees.png",
            ],
            [
                "text",
                "suggest",
                "Suggestions",
                "Saran",
                None,
                None,
                "no",
                None,
                None,
                None,
                None,
                "multiline",
            ],
            ["end_group", "rating"],
        ],
        choices=[
            ["list_name", "name", "label::English (en)", "label::Indonesian (id)"],
            ["service", "permit", "Business permit", "Izin usaha"],
            ["service", "id_card", "Identity card", "KTP"],
            ["service", "other_service", "Another service", "Layanan lain"],
            ["yn", "yes", "Yes", "Ya"],
            ["yn", "no", "No", "Tidak"],
            ["yn", "dk", "Don't know", "Tidak tahu"],
            ["given", "money", "Money", "Uang"],
            ["given", "goods", "Goods", "Barang"],
            ["given", "none", "None", "Tidak ada"],
            ["agree", "1", "Strongly disagree", "Sangat tidak setuju"],
            ["agree", "2", "Disagree", "Tidak setuju"],
            ["agree", "3", "Agree", "Setuju"],
            ["agree", "4", "Strongly agree", "Sangat setuju"],
        ],
        settings=[
            [
                "form_title",
                "form_id",
                "version",
                "default_language",
                "instance_name",
                "allow_choice_duplicates",
            ],
            ["Service survey 2024", "kobo_service", "2024.3", "English (en)", "concat(${which})", "no"],
        ],
        warnings=("not recorded", "appearance 'likert' is not imported", "images are not shown"),
    ),
    Form(
        # In the style of an ODK household survey: bare labels with default_language, nested groups.
        "odk_household",
        survey=[
            ["type", "name", "label", "hint", "required", "relevant", "constraint", "appearance", "default"],
            ["today", "today"],
            ["begin group", "household", "Household", None, None, None, None, "field-list"],
            ["integer", "members", "How many people live here?", None, "yes", None, ". > 0 and . < 40"],
            ["select_one yesno", "any_child", "Any children under five?", None, "yes"],
            ["begin group", "children", "Children", None, None, "${any_child} = 'yes'"],
            ["integer", "n_children", "How many?", None, "yes", None, ". <= ${members}"],
            ["select_multiple services", "used", "Which services did they use?", "All that apply", "no"],
            ["end group"],
            ["select_one yesno", "water", "Piped water?", None, "yes", None, None, "horizontal", "yes"],
            ["end group"],
            ["begin group", "closing", "Closing"],
            ["text", "remarks", "Remarks", None, "no"],
            ["end group"],
        ],
        choices=[
            ["list_name", "name", "label"],
            ["yesno", "yes", "Yes"],
            ["yesno", "no", "No"],
            ["services", "clinic", "Clinic"],
            ["services", "school", "School"],
            ["services", "posyandu", "Posyandu"],
        ],
        settings=[
            ["form_title", "form_id", "default_language", "spi_group"],
            ["Household survey", "odk_household", "English", "external"],
        ],
        warnings=(
            "'today' (the date) is not recorded",
            "group 'children' is inside group 'household'",
            "answers are never pre-filled",
        ),
    ),
]

BY_NAME: dict[str, Form] = {form.name: form for form in FORMS}


def build_all(folder: Path, select: Callable[[Form], bool] = lambda form: True) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {form.name: form.build(folder) for form in FORMS if select(form)}


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "xlsform-corpus")
    for name, path in build_all(target).items():
        print(f"{name}: {path}")
