"""Every message of the app has a Bahasa Indonesia translation, and the compiled catalog matches it.

Bahasa Indonesia is the respondents' default language and the console's too: a string added without a
translation would show in English to everyone. ``make translations`` extracts, updates and compiles.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "survey_app" / "translations" / "id" / "LC_MESSAGES"


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "survey_app"), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])  # plural: the singular id
    return found


def test_every_message_has_an_indonesian_translation() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        po = read_po(handle)
    untranslated = sorted(
        m for m in _extracted() if (entry := po.get(m)) is None or not entry.string or entry.fuzzy
    )
    assert not untranslated, (
        f"run `make translations` and translate in {CATALOG / 'messages.po'}: {untranslated}"
    )


def _key(value: object) -> object:
    # Plural messages have a sequence of ids and of strings.
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalog_matches_the_po_file() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        po = {_key(m.id): _key(m.string) for m in read_po(handle) if m.id and not m.fuzzy}
    catalog = read_mo(io.BytesIO((CATALOG / "messages.mo").read_bytes()))
    mo = {_key(m.id): _key(m.string) for m in catalog if m.id}
    assert mo == po, "messages.mo is out of date: run `make translations` (pybabel compile)"
