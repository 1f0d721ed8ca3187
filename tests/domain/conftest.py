"""A small bilingual questionnaire and responses in the export layout, with the awkward cases in them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from questionnaires.model import (
    Group,
    Item,
    ItemType,
    Missing,
    Option,
    Questionnaire,
    Scale,
    ScaleKind,
    Section,
)

LONG_ID = "berapa_kali_anda_diminta_imbalan_di_luar_ketentuan_resmi"
LONG_LABEL = (
    "Dalam 12 bulan terakhir, seberapa sering Anda mendengar pegawai di unit ini menerima gratifikasi, "
    "suap atau pemerasan terkait layanan yang diberikan?"
)


def _scale(sid: str, kind: ScaleKind, options: list[tuple[str, str, str, Missing | None]]) -> Scale:
    return Scale(
        id=sid,
        kind=kind,
        options=tuple(
            Option(code=c, label={"id": li, "en": le}, value=None if m else float(i), missing=m)
            for i, (c, li, le, m) in enumerate(options)
        ),
    )


@pytest.fixture
def questionnaire() -> Questionnaire:
    scales = {
        "frekuensi": _scale(
            "frekuensi",
            ScaleKind.ORDINAL,
            [
                ("1", "Tidak pernah", "Never", None),
                ("2", "Jarang", "Rarely", None),
                ("3", "Kadang-kadang", "Sometimes", None),
                ("4", "Sering", "Often", None),
                ("9", "Tidak tahu", "Don't know", Missing.DONT_KNOW),
            ],
        ),
        "ya_tidak": _scale(
            "ya_tidak",
            ScaleKind.NOMINAL,
            [
                ("ya", "Ya", "Yes", None),
                ("tidak", "Tidak", "No", None),
                ("dk", "Tidak tahu", "Don't know", Missing.DONT_KNOW),
            ],
        ),
        "jenis": _scale(
            "jenis",
            ScaleKind.NOMINAL,
            [
                ("uang", "Uang", "Money", None),
                ("barang", "Barang (parsel, hadiah)", "Goods (parcels, gifts)", None),
                ("lain-lain", "Lain-lain", "Other", None),
                ("dk", "Tidak tahu", "Don't know", Missing.DONT_KNOW),
            ],
        ),
    }
    items = (
        Item(
            "q_frek",
            ItemType.SELECT_ONE,
            {"id": "Seberapa sering pungutan liar terjadi?", "en": "How often?"},
            scale="frekuensi",
        ),
        Item(
            "q_lihat",
            ItemType.SELECT_ONE,
            {"id": "Apakah Anda melihat suap?", "en": "Did you see a bribe?"},
            scale="ya_tidak",
        ),
        Item(
            "q_jenis",
            ItemType.SELECT_MULTIPLE,
            {"id": "Apa yang diberikan?", "en": "What was given?"},
            scale="jenis",
        ),
        Item(
            LONG_ID,
            ItemType.SELECT_ONE,
            {"id": LONG_LABEL, "en": "How often did you hear of gratuities?"},
            scale="frekuensi",
        ),
        Item("catatan", ItemType.NOTE, {"id": "Terima kasih.", "en": "Thank you."}),
        Item("long", ItemType.INTEGER, {"id": "Lama bekerja (tahun)", "en": "Years of service"}),
        Item("biaya", ItemType.DECIMAL, {"id": "Biaya tambahan (juta Rp)", "en": "Extra cost (million IDR)"}),
        Item("saran", ItemType.LONG_TEXT, {"id": "Saran perbaikan", "en": "Suggestions"}, required=False),
    )
    return Questionnaire(
        id="spi-eksternal",
        version="2024.1",
        title={
            "id": "Survei Penilaian Integritas — eksternal",
            "en": "Integrity Assessment Survey — external",
        },
        group=Group.EXTERNAL,
        languages=("id", "en"),
        sections=(
            Section("pengalaman", {"id": "Pengalaman", "en": "Experience"}, items[:5]),
            Section("lain", {"id": "Lain-lain", "en": "Other"}, items[5:]),
        ),
        scales=scales,
        special_codes={"dont_know": "dk"},
    )


@pytest.fixture
def responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": ["r-7f3a", "r-09bc", "r-55d1", "r-c2e0", "r-a911", "r-3b4f"],
            "campaign": ["spi-2024-bogor"] * 6,
            "group": ["external"] * 6,
            "unit": [
                "Dinas Kependudukan – Loket Ñ",
                "RSUD Kota",
                "RSUD Kota",
                "Kecamatan Bogor Selatan",
                "=Kecamatan jahat",
                "RSUD Kota",
            ],
            "stratum": ["kota", "kota", "kota", "kecamatan", "kecamatan", None],
            "weight": [1.5, 2.25, 2.25, 0.75, 1.0, 2.25],
            "open_access": [False, False, True, False, True, False],
            "questionnaire_hash": ["sha256:abc"] * 6,
            "submitted_on": [
                "2024-05-01",
                "2024-05-01",
                "2024-05-02",
                "2024-05-03",
                "2024-05-03",
                "2024-05-04",
            ],
            "duration_seconds": [312.0, 95.0, 604.0, np.nan, 120.0, 333.0],
            "q_frek": ["1", "4", "9", None, "2", "3"],
            "q_lihat": ["ya", "tidak", "dk", "ya", None, "tidak"],
            "q_jenis": ["uang barang", None, "dk", "lain-lain", "", "barang"],
            LONG_ID: ["2", None, "1", "1", "4", "9"],
            "long": [3.0, 12.0, np.nan, 1.0, 30.0, 0.0],
            "biaya": [0.5, np.nan, 1.25, 0.0, 10.0, 2.75],
            "saran": [
                "Pelayanan sudah baik, tingkatkan transparansi biaya — terima kasih!",
                '=HYPERLINK("http://contoh.id","klik")',
                "-3",
                "+62 812 3456 7890",
                None,
                "@SUM(A1:A2)\ndan\tbaris baru",
            ],
        }
    )
