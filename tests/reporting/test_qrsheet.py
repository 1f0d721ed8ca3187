"""Printable QR sheets: valid PDFs, right page counts; the codes decode to the links (when zbar is here)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from survey_app.reporting import qrsheet

FIXED = datetime(2024, 5, 1, tzinfo=UTC)


def cards(count: int) -> list[qrsheet.InvitationCard]:
    return [
        qrsheet.InvitationCard(
            url=f"https://survei.example.go.id/r/Zq8{i:04d}xKp2mW7vLr4nT9sB",
            unit="Dinas Kependudukan dan Pencatatan Sipil — Loket Ñ" if i % 2 else "RSUD Kota",
            group="external" if i % 2 else "internal",
            note="Strata: kecamatan" if i % 3 == 0 else None,
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (8, 1), (9, 2), (17, 3)])
def test_invitation_sheet_pages(count: int, pages: int) -> None:
    pdf = qrsheet.invitation_sheet(cards(count), creation_date=FIXED)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert qrsheet.page_count(pdf) == pages == qrsheet.pages_needed(count)


def test_sheet_layout_options_and_determinism() -> None:
    pdf = qrsheet.invitation_sheet(cards(7), columns=3, rows=2, creation_date=FIXED, language="en")
    assert qrsheet.page_count(pdf) == 2
    assert pdf == qrsheet.invitation_sheet(cards(7), columns=3, rows=2, creation_date=FIXED, language="en")
    with pytest.raises(ValueError, match="no invitations"):
        qrsheet.invitation_sheet([])


def test_poster_is_one_page_and_embeds_the_font() -> None:
    pdf = qrsheet.counter_poster(
        "https://survei.example.go.id/o/Ab3dEf9h",
        institution="Pemerintah Kota Bogor",
        unit="Kecamatan Tanah Sareal",
        creation_date=FIXED,
    )
    assert pdf.startswith(b"%PDF-")
    assert qrsheet.page_count(pdf) == 1
    assert b"DejaVu" in pdf


def test_qr_png_is_png() -> None:
    assert qrsheet.qr_png("https://x.example/r/abc").startswith(b"\x89PNG\r\n\x1a\n")


def decode_pdf(pdf: bytes, tmp_path: Path) -> list[str]:
    if not (shutil.which("zbarimg") and shutil.which("gs")):
        pytest.skip("needs zbarimg (zbar-tools) and gs (ghostscript) to decode the printed QR codes")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "gs",
            "-q",
            "-dSAFER",
            "-dBATCH",
            "-dNOPAUSE",
            "-sDEVICE=pnggray",
            "-r200",
            f"-sOutputFile={tmp_path}/page-%02d.png",
            str(source),
        ],
        check=True,
    )
    pages = sorted(str(p) for p in tmp_path.glob("page-*.png"))
    done = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", *pages],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.split()


def test_printed_codes_decode_to_the_links(tmp_path: Path) -> None:
    given = cards(10)
    decoded = decode_pdf(qrsheet.invitation_sheet(given, creation_date=FIXED), tmp_path)
    assert sorted(decoded) == sorted(c.url for c in given)


def test_poster_code_decodes_to_the_open_link(tmp_path: Path) -> None:
    url = "https://survei.example.go.id/o/Ab3dEf9h"
    pdf = qrsheet.counter_poster(url, institution="Pemerintah Kota Bogor", creation_date=FIXED)
    assert decode_pdf(pdf, tmp_path) == [url]
