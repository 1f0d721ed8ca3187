"""XLSForm (ODK / KoboToolbox) import: the forms people write, into this product's questionnaire document.

The ``survey``, ``choices`` and ``settings`` sheets become a document in the YAML format, which is then loaded
through the same validator as a hand-written file, so both paths obey one set of rules; the validator's
problems are mapped back to the cells they came from. What the import does with each part of a form is in
docs/questionnaire-format.md (section "XLSForm"):

* kept: questions of the supported types, groups (nested ones flattened into pages, relevance combined),
  choices, relevance, constraints, languages (``label::Any name (code)``), ``or_other``,
  ``select_one_from_file`` with the CSV attached;
* imported with a warning: what does not change what a respondent answers (appearances, settings, metadata,
  defaults, media, old spellings, curly quotes in expressions);
* refused, naming the rows: what would identify the respondent (a location, a photo, a recording), repeats,
  and the types this product cannot ask yet. ``skip_refused=True`` imports the rest, each left-out row a
  warning.

The importer is in parts: :mod:`.sheets` (the tables of types and the sheet reader), :mod:`.questions` (the
choices' lists and a question's row) and this module (the workbook, settings, languages and the survey's
groups).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from questionnaires.limits import LimitExceeded
from questionnaires.problems import N_, Label, Msg
from questionnaires.xlsform import columns as cols
from questionnaires.xlsform import features
from questionnaires.xlsform.columns import language_code
from questionnaires.xlsform.findings import Place
from questionnaires.xlsform.questions import _QuestionReader
from questionnaires.xlsform.sheets import (
    _CANONICAL,
    ANONYMITY,
    CONSENT_NOTE,
    DESCRIPTION_PREFIX,
    INTRODUCTION_NOTE,
    METADATA,
    NOT_YET,
    TITLE_NOTE,
    WELCOME_GROUP,
    Record,
    _Group,
    _SheetReader,
    _split_type,
)
from questionnaires.xlsform.workbook import read_workbook


class Importer(_QuestionReader):
    # Reading ---------------------------------------------------------------------------------------------

    def read(self, path: Path) -> dict[str, Any] | None:
        try:
            workbook = read_workbook(path, self.options.limits)
        except LimitExceeded as exc:
            self.findings.error(Place(""), Msg(N_("refused: %(exc)s"), exc=exc.text))
            return None
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
            reason = str(exc) or type(exc).__name__
            self.findings.error(
                Place(""),
                Msg(N_("cannot read the workbook: %(reason)s (expected an .xlsx file)"), reason=reason),
            )
            return None
        sheets = workbook.sheets
        for name, sheet in sheets.items():
            if name not in ("survey", "choices", "settings") and sheet.rows:
                self.findings.warn(
                    Place(sheet.title),
                    Msg(
                        N_("sheet '%(title)s' is not an XLSForm sheet; it is not imported"), title=sheet.title
                    ),
                )
        if "survey" not in sheets:
            self.findings.error(Place(""), Msg(N_("the workbook has no 'survey' sheet")))
            return None
        survey = _SheetReader(self, sheets["survey"], cols.SURVEY_READ, cols.SURVEY_IGNORED, cols.SPI_SURVEY)
        self.survey = survey
        self.filter_columns = features.filter_columns(survey.records())  # the choices' own, kept
        read = cols.CHOICES_READ | self.filter_columns
        choices = (
            _SheetReader(self, sheets["choices"], read, cols.CHOICES_IGNORED, cols.SPI_CHOICES)
            if "choices" in sheets
            else None
        )
        settings = (
            _SheetReader(
                self, sheets["settings"], cols.SETTINGS_READ, cols.SETTINGS_IGNORED, cols.SPI_SETTINGS
            )
            if "settings" in sheets
            else None
        )
        return self._document(survey, choices, settings)

    def _document(
        self, survey: _SheetReader, choices: _SheetReader | None, settings: _SheetReader | None
    ) -> dict[str, Any] | None:
        setting: Record = {}
        setting_row = 2
        if settings is not None:
            records = [(row, rec) for row, rec, _ in settings.records() if rec]
            if records:
                setting_row, setting = records[0]
            for row, _ in records[1:]:
                self.findings.warn(
                    Place(settings.title, row), Msg(N_("only the first row of 'settings' is read"))
                )
            self.origins.settings = Place(settings.title, setting_row)
        languages = self._languages(survey, choices, settings, setting, setting_row)
        if languages is None:
            return None
        self.languages = languages
        doc: dict[str, Any] = {"kind": "questionnaire"}

        def one(name: str) -> str | None:
            values = setting.get(name)
            return values.get(None, next(iter(values.values()))).text if values else None

        form_id = one("form_id") or Path(self.filename).stem
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", form_id):
            cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", form_id).strip("-_.") or "form"
            self.findings.warn(
                settings.place(setting_row, "form_id", setting) if settings else Place(""),
                Msg(N_("form id '%(form_id)s' is stored as '%(cleaned)s'"), form_id=form_id, cleaned=cleaned),
            )
            form_id = cleaned
        doc["id"] = form_id
        doc["version"] = one("version") or "1"
        group = one("spi_group")
        if group is None:
            self.findings.warn(
                Place(settings.title if settings else "settings"),
                Msg(
                    N_(
                        "no spi_group in settings: imported as a questionnaire for the "
                        "'external' group (service users); add spi_group (internal, external "
                        "or expert) to choose"
                    )
                ),
            )
        doc["group"] = group or "external"
        access = one("spi_access")
        if access:
            doc["access"] = access.split()
        doc["languages"] = list(self.languages)
        plain_title = one("form_title") or form_id
        doc["title"] = {lang: plain_title for lang in self.languages}
        if "spi_title" in setting:
            doc["title"] = self.text(setting["spi_title"])
        for key in ("introduction", "consent"):
            if f"spi_{key}" in setting:
                doc[key] = self.text(setting[f"spi_{key}"])
        scales, missing_codes = self._scales(choices, setting)
        doc["missing_codes"] = missing_codes
        self.scales = scales
        sections = self._sections(survey, doc)
        doc["scales"] = list(self.scales.values())
        doc["sections"] = sections
        if not doc.get("missing_codes"):
            del doc["missing_codes"]
        return doc

    # Languages -------------------------------------------------------------------------------------------

    def _languages(
        self,
        survey: _SheetReader,
        choices: _SheetReader | None,
        settings: _SheetReader | None,
        setting: Record,
        setting_row: int,
    ) -> tuple[str, ...] | None:
        """The declared languages; ``self.codes`` maps each suffix as written (``None``: none) to a code."""
        self.codes = {}
        found: list[str] = []
        problems = False
        for sheet in (survey, choices, settings):
            for column in sheet.columns.values() if sheet else []:
                if column.suffix is None or column.suffix in self.codes:
                    continue
                if column.suffix.lower() == "default":
                    continue
                code = language_code(column.suffix)
                if code is None:
                    self.findings.error(
                        Place(sheet.title, sheet.header_row, column.index, column.header),  # type: ignore[union-attr]
                        Msg(
                            N_(
                                "cannot tell the language of '%(suffix)s'; write it as "
                                "'%(name)s::%(suffix)s (xx)' with its two-letter code"
                            ),
                            suffix=column.suffix,
                            name=column.name,
                        ),
                    )
                    problems = True
                    continue
                self.codes[column.suffix] = code
                if code not in found:
                    found.append(code)
        bare = any(
            column.suffix is None or column.suffix.lower() == "default"
            for sheet in (survey, choices)
            for column in (sheet.columns.values() if sheet else [])
            if column.name in ("label", "hint", "constraint_message")
        )
        default: str | None = None
        default_raw = (setting.get("default_language") or {}).get(None)
        if default_raw is not None:
            default = self.codes.get(default_raw.text) or language_code(default_raw.text)
            if default is None:
                self.findings.error(
                    settings.place(setting_row, "default_language", setting) if settings else Place(""),
                    Msg(
                        N_(
                            "cannot tell the language of '%(text)s'; write it as 'Name (xx)' with "
                            "its two-letter code, as in the label columns"
                        ),
                        text=default_raw.text,
                    ),
                )
                problems = True
        chosen = None
        if self.options.language is not None:
            chosen = language_code(self.options.language)
            if chosen is None:
                self.findings.error(
                    Place(""),
                    Msg(
                        N_("'%(language)s' is not a language code such as 'id' or 'en'"),
                        language=self.options.language,
                    ),
                )
                return None
        if bare or not found:
            language = chosen or default
            if language is None:
                beside: Label = (
                    Msg(N_(" (beside the columns in %(languages)s)"), languages=", ".join(found))
                    if found
                    else ""
                )
                self.findings.error(
                    Place(""),
                    Msg(
                        N_(
                            "the form's columns without a language suffix (label, "
                            "hint...)%(beside)s do not say which language they are in: choose the "
                            "language when uploading (or give --language), or add default_language "
                            "to the settings sheet"
                        ),
                        beside=beside,
                    ),
                )
                return None
            if language in found:
                label = next(
                    (c for c in survey.columns.values() if c.name == "label" and c.suffix is None), None
                )
                self.findings.error(
                    Place(survey.title, survey.header_row, label.index if label else 0, "label"),
                    Msg(
                        N_(
                            "the columns without a language suffix are in '%(language)s', and so "
                            "are those headed '…::…(%(language)s)': keep one of them, or give the "
                            "unsuffixed ones their language"
                        ),
                        language=language,
                    ),
                )
                return None
            self.codes[None] = language
            self.codes["default"] = language
            self.codes["Default"] = language
            found.insert(0, language)
        elif default is not None:
            if default in found:
                found = [default] + [lang for lang in found if lang != default]
            else:
                self.findings.warn(
                    settings.place(setting_row, "default_language", setting) if settings else Place(""),
                    Msg(
                        N_("default_language '%(default)s' is not the language of any column; ignored"),
                        default=default,
                    ),
                )
        if problems:
            return None
        return tuple(found)

    # Survey ----------------------------------------------------------------------------------------------

    def _sections(self, survey: _SheetReader, doc: dict[str, Any]) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        stack: list[_Group] = []
        current: dict[str, Any] | None = None
        implicit = 0
        skip_depth = 0  # inside a refused repeat
        skip_start: Place | None = None
        welcome = False
        rows = list(survey.records())
        for row, record, _values in rows:
            raw_type = (record.get("type") or {}).get(None)
            type_text = re.sub(r"\s+", " ", raw_type.text.strip()) if raw_type else ""
            kind, rest = _split_type(type_text)
            name_value = (record.get("name") or {}).get(None)
            name = name_value.text if name_value else ""
            type_place = survey.place(row, "type", record)
            if skip_depth:
                if kind == "begin_repeat":
                    skip_depth += 1
                elif kind == "end_repeat":
                    skip_depth -= 1
                if name:
                    self.dropped[name] = (skip_start or type_place, Msg(N_("inside a refused repeat")))
                continue
            if not record:
                continue
            written = type_text[: len(type_text) - len(rest)].strip().lower() if rest else type_text.lower()
            if raw_type and written != kind and kind in _CANONICAL:
                self.findings.warn(
                    type_place,
                    Msg(N_("'%(written)s' read as '%(kind)s'"), written=written, kind=kind),
                    kind="respell-type",
                )
            if kind == "begin_group":
                if name == WELCOME_GROUP and not sections and not stack:
                    welcome = True
                    if "label" in record:
                        doc["title"] = self.text(record["label"])
                    continue
                group = _Group(
                    name=name or f"group_{row}",
                    row=row,
                    title=self.text(record["label"]) if "label" in record else None,
                    description=self.text(record["hint"]) if "hint" in record else None,
                    relevant=self._expression(survey, row, record, "relevant"),
                )
                if not name:
                    self.findings.warn(
                        type_place,
                        Msg(N_("a group without a name; its page is called '%(name)s'"), name=group.name),
                    )
                for other in ("required", "constraint", "spi_dimension"):
                    if other in record:
                        self.findings.warn(
                            survey.place(row, other, record),
                            Msg(N_("'%(other)s' on a group is not imported"), other=other),
                        )
                self._appearance(survey, row, record, group=True)
                stack.append(group)
                current = None
                continue
            if kind == "end_group":
                if welcome and not stack:
                    welcome = False
                    continue
                if not stack:
                    self.findings.error(type_place, Msg(N_("end_group without a matching begin_group")))
                    continue
                closed = stack.pop()
                self._leftover(survey, row, record, ("type", "name"), "end_group")
                if closed.pages == 0:
                    self.findings.warn(
                        Place(survey.title, closed.row),
                        Msg(N_("group '%(name)s' has no questions; no page"), name=closed.name),
                    )
                current = None
                continue
            if kind == "end_repeat":
                self.findings.error(type_place, Msg(N_("end_repeat without a matching begin_repeat")))
                continue
            if not raw_type:
                self.findings.error(type_place, Msg(N_("the row has content but no type")), kind="no-type")
                continue
            if welcome and not stack and kind == "note" and name == TITLE_NOTE:
                continue
            if welcome and not stack and kind == "note" and name in (INTRODUCTION_NOTE, CONSENT_NOTE):
                key = "introduction" if name == INTRODUCTION_NOTE else "consent"
                if "label" in record:
                    doc[key] = self.text(record["label"])
                continue
            if (
                kind == "note"
                and name.startswith(DESCRIPTION_PREFIX)
                and stack
                and current is None
                and "label" in record
                and stack[-1].pages == 0
            ):
                stack[-1].description = self.text(record["label"])
                continue
            if kind in METADATA:
                reason = Msg(
                    N_("a location would identify the respondent")
                    if "geopoint" in kind
                    else N_("an anonymous survey keeps no device ids, user names or times")
                )
                self.findings.warn(
                    type_place,
                    Msg(
                        N_("'%(kind)s' (%(meaning)s) is not recorded: %(reason)s"),
                        kind=kind,
                        meaning=Msg(METADATA[kind]),
                        reason=reason,
                    ),
                )
                if name:
                    self.dropped[name] = (
                        type_place,
                        Msg(N_("'%(kind)s' metadata, which is not recorded"), kind=kind),
                    )
                continue
            refusal = ANONYMITY.get(kind) or NOT_YET.get(kind)
            what: Label = f"'{kind}'" if kind != "begin_repeat" else Msg(N_("a repeat"))
            if refusal is not None:
                message = Msg(N_("%(what)s is refused: %(refusal)s"), what=what, refusal=Msg(refusal))
                if self.options.skip_refused:
                    extent: Label = (
                        Msg(N_(" (the whole repeat is left out)")) if kind == "begin_repeat" else ""
                    )
                    self.findings.warn(
                        type_place, Msg(N_("left out%(extent)s: %(message)s"), extent=extent, message=message)
                    )
                else:
                    self.findings.refuse(
                        type_place,
                        Msg(
                            N_("%(message)s; import without the refused rows to keep the rest"),
                            message=message,
                        ),
                    )
                if name:
                    self.dropped[name] = (
                        type_place,
                        Msg(N_("%(what)s, which is refused"), what=what)
                        if not self.options.skip_refused
                        else Msg(N_("%(what)s, which was left out"), what=what),
                    )
                if kind == "begin_repeat":
                    skip_depth = 1
                    skip_start = type_place
                continue
            items = self._item(survey, row, record, kind, rest, name)
            if items is None:
                if name:
                    self.failed.add(name)
                continue
            if current is None:
                if stack:
                    group = stack[-1]
                    group.pages += 1
                    title = next((g.title for g in reversed(stack) if g.title), None)
                    if group.title is None and group.pages == 1:
                        shown = Msg(
                            N_("the form's title")
                            if title is None
                            else N_("the title of the group around it")
                        )
                        self.findings.warn(
                            Place(survey.title, group.row),
                            Msg(
                                N_("group '%(name)s' has no label; its page shows %(shown)s"),
                                name=group.name,
                                shown=shown,
                            ),
                            kind="group-label",
                        )
                    if title is None:
                        title = dict(doc["title"])
                    section_id = group.name if group.pages == 1 else f"{group.name}_{group.pages}"
                    if len(stack) > 1 and group.pages == 1:
                        self.findings.warn(
                            Place(survey.title, group.row),
                            Msg(
                                N_(
                                    "group '%(name)s' is inside group '%(outer)s': it becomes a page of "
                                    "its own, shown when both groups are relevant"
                                ),
                                name=group.name,
                                outer=stack[-2].name,
                            ),
                            kind="nested",
                        )
                    current = {"id": section_id, "title": title}
                    if group.description and group.pages == 1:
                        current["description"] = group.description
                    relevants = [g.relevant for g in stack if g.relevant]
                    if len(relevants) == 1:
                        current["relevant"] = relevants[0]
                    elif relevants:
                        current["relevant"] = " and ".join(f"({r})" for r in relevants)
                    self.origins.sections.append(Place(survey.title, group.row))
                else:
                    implicit += 1
                    current = {"id": f"section_{implicit}", "title": dict(doc["title"])}
                    self.origins.sections.append(Place(survey.title, row))
                current["items"] = []
                sections.append(current)
            for item in items:
                current["items"].append(item)
                self.origins.items.append((row, record))
            if name:
                self.names.setdefault(name, type_place)
        if skip_depth and skip_start is not None:
            self.findings.error(skip_start, Msg(N_("the repeat has no end_repeat")))
        for group in stack:
            self.findings.error(
                Place(survey.title, group.row, survey.place(group.row, "type").column, "type"),
                Msg(N_("group '%(name)s' has no end_group"), name=group.name),
            )
        return sections
