"""The columns of an XLSForm sheet: their names (with the spellings ODK tools accept), languages and ours.

The product's own columns carry the prefix ``spi_`` (``spi_dimension``, ``spi_value``...): pyxform 3 and 4
pass such columns through without reading them, ODK Validate accepts what they leave in the XForm, and no
XLSForm column of another tool is read as ours. Import also reads them as ``spi::dimension`` and, from
workbooks this product exported before the prefix existed, under their bare names (where that cannot be
another tool's column: see :func:`legacy_columns`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from babel import Locale

from questionnaires.problems import N_

#: Columns every XLSForm tool knows, on the survey sheet, with the role this importer gives them.
SURVEY_READ = frozenset(
    {
        "type",
        "name",
        "label",
        "hint",
        "required",
        "relevant",
        "constraint",
        "constraint_message",
        "appearance",
        "calculation",
        "choice_filter",
        "required_message",
    }
)
#: Survey columns that are understood but do not reach the questionnaire (each is a warning where used).
SURVEY_IGNORED: Mapping[str, str] = {
    "default": N_("answers are never pre-filled: a pre-filled answer could be submitted unread"),
    "guidance_hint": N_("guidance hints are not shown to respondents"),
    "media::image": N_("images are not shown"),
    "media::audio": N_("audio is not played"),
    "media::video": N_("video is not shown"),
    "media::big-image": N_("images are not shown"),
    "image": N_("images are not shown"),
    "audio": N_("audio is not played"),
    "video": N_("video is not shown"),
    "read_only": N_("a question is either asked or not: read-only questions are asked"),
    "parameters": N_("parameters of a question type are not read"),
    "repeat_count": N_("repeats are not imported"),
    "trigger": N_("triggers are not imported"),
    "note": N_("notes for the form's authors are not kept"),
    "comments": N_("notes for the form's authors are not kept"),
}
SPI_SURVEY = ("dimension", "indicator", "direction", "weight", "min", "max")
SPI_CHOICES = ("value", "missing", "kind")
SPI_SETTINGS = (
    "group",
    "access",
    "dont_know_code",
    "not_applicable_code",
    "title",
    "introduction",
    "consent",
)
CHOICES_READ = frozenset({"list_name", "name", "label"})
CHOICES_IGNORED: Mapping[str, str] = {
    "media::image": N_("images are not shown"),
    "image": N_("images are not shown"),
    "media::audio": N_("audio is not played"),
    "audio": N_("audio is not played"),
    "media::video": N_("video is not shown"),
    "video": N_("video is not shown"),
}
SETTINGS_READ = frozenset({"form_id", "form_title", "version", "default_language"})
#: Settings of ODK and Kobo that say how a form is sent, shown or named on the device.
SETTINGS_IGNORED: Mapping[str, str] = {
    name: N_("the console decides how questionnaires are shown and stored")
    for name in (
        "instance_name",
        "style",
        "submission_url",
        "public_key",
        "allow_choice_duplicates",
        "namespaces",
        "auto_send",
        "auto_delete",
        "clean_text_values",
        "omit_instanceid",
        "instance_xmlns",
        "name",
        "xml_root",
        "form_language",
    )
}
#: Columns that take a language suffix (``label::English (en)``).
TRANSLATABLE = frozenset(
    {"label", "hint", "constraint_message", "required_message", "guidance_hint", "title", "introduction"}
    | {"consent", "media::image", "media::audio", "media::video", "media::big-image", "image", "audio"}
    | {"video"}
)

#: Spellings pyxform accepts for a column, to the name used here (pyxform's ``aliases.py``).
ALIASES: Mapping[str, str] = {
    "list name": "list_name",
    "constraint message": "constraint_message",
    "required message": "required_message",
    "choice filter": "choice_filter",
    "repeat count": "repeat_count",
    "form title": "form_title",
    "form id": "form_id",
    "default language": "default_language",
    "guidance hint": "guidance_hint",
    "caption": "label",
    "bind::required": "required",
    "bind::relevant": "relevant",
    "bind::constraint": "constraint",
    "bind::calculate": "calculation",
    "bind::readonly": "read_only",
    "bind::jr:constraintmsg": "constraint_message",
    "bind::jr:requiredmsg": "required_message",
    "bind::jr:constraintMsg": "constraint_message",
    "control::appearance": "appearance",
    "id_string": "form_id",
    "readonly": "read_only",
}


@dataclass(frozen=True)
class Column:
    """One header cell understood: its 1-based index, canonical name, language suffix and spelling."""

    index: int
    name: str
    #: The language suffix as written (``English (en)``), ``None`` for a column without one.
    suffix: str | None
    header: str
    #: A respelling to suggest (the column was read under an old or alternative spelling).
    respell: str | None = None


def parse_header(index: int, raw: str) -> Column:
    """A header cell: its name (aliases resolved) and language suffix.

    >>> parse_header(3, "label::English (en)")
    Column(index=3, name='label', suffix='English (en)', header='label::English (en)', respell=None)
    >>> parse_header(4, "bind:relevant").name, parse_header(4, "bind:relevant").respell
    ('relevant', 'relevant')
    >>> parse_header(2, "list name").respell
    'list_name'
    >>> parse_header(5, "Label:Indonesian").suffix
    'Indonesian'
    >>> parse_header(6, "spi::value").name
    'spi_value'
    """
    header = raw.strip()
    text = re.sub(r"\s+", " ", header)
    respell = None
    if "::" not in text and ":" in text:  # the old one-colon spellings
        head, _, tail = text.partition(":")
        text = f"{head.strip()}::{tail.strip()}"
        respell = text
    lowered = text.lower()
    if lowered.startswith("spi::"):
        text = "spi_" + text[5:]
        lowered = text.lower()
    if lowered in ALIASES:
        return Column(index, ALIASES[lowered], None, header, ALIASES[lowered])
    if lowered.startswith(("bind::", "control::")):
        name = lowered.partition("::")[2]
        return Column(index, name, None, header, name)
    for media in ("media::image", "media::audio", "media::video", "media::big-image"):
        if lowered == media or lowered.startswith(media + "::"):
            return Column(index, media, text[len(media) + 2 :].strip() or None, header, respell)
    name, _, suffix = text.partition("::")
    key = name.strip().lower()
    canonical = ALIASES.get(key, key)
    if canonical != key:
        respell = canonical + (f"::{suffix.strip()}" if suffix.strip() else "")
    return Column(index, canonical, suffix.strip() or None, header, respell)


@functools.cache
def _language_names() -> dict[str, str]:
    """Language names (English and the language's own name, lower case) to their code, from CLDR (Babel)."""
    names: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        if re.fullmatch(r"[a-z]{2,3}", code):
            names.setdefault(name.lower(), code)
    names.update({"bahasa indonesia": "id", "bahasa": "id", "indonesia": "id", "bahasa inggris": "en"})
    return names


def language_code(suffix: str) -> str | None:
    """The language code in a suffix: ``Name (code)``, a bare code, or a language name CLDR knows.

    >>> [language_code(s) for s in ("English (en)", "Bahasa Indonesia (id)", "fr", "Swahili", "Kiswahili?")]
    ['en', 'id', 'fr', 'sw', None]
    """
    text = suffix.strip()
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$", text)
    if match:
        return match.group(1).lower() if "-" not in match.group(1) else match.group(1)
    if re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", text):
        return text
    return _language_names().get(text.lower())


def language_name(code: str) -> str:
    """The English name of a language code, for ``label::Name (code)`` headers (the code when unknown)."""
    base = code.split("-")[0]
    return {"id": "Bahasa Indonesia"}.get(code) or Locale("en").languages.get(base, code)


def language_header(name: str, code: str) -> str:
    return f"{name}::{language_name(code)} ({code})"
