"""Printable PDFs: a sheet of invitation cards with QR codes, and the counter poster for the open-access link.

Text is set in DejaVu Sans, which matplotlib bundles (``matplotlib.get_data_path()``), so Bahasa Indonesia and
any other Unicode text print without system fonts. QR codes use error-correction level M (15 %), enough for
a slightly creased or smudged print while keeping the modules large.

An invitation sheet holds the invitation links, i.e. the tokens: treat the PDF like the CSV of links (print,
hand out, destroy); the app never keeps a copy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import matplotlib
import numpy as np
import qrcode
import qrcode.constants
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from PIL import Image
from qrcode.image.pure import PyPNGImage

from survey_app.reporting.catalog import LANGUAGES, N_, translate

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"

#: What the cards and the poster say, in English; the catalogs translate them (``messages.po``).
GROUP_TEXTS: Mapping[str, str] = {
    "internal": N_("Employees (internal)"),
    "external": N_("Service users (external)"),
    "expert": N_("Experts"),
}
TEXTS: Mapping[str, str] = {
    "card_scan": N_("Scan the QR code to answer the survey, or open the link:"),
    "card_once": N_("This link is personal and works once."),
    "poster_title": N_("Integrity Assessment Survey"),
    "poster_scan": N_("Scan the QR code with your phone camera"),
    "poster_anonymity": N_(
        "Your answers are anonymous. We do not keep your name, phone number, email address, IP address "
        "or anything else that could identify you. Results are only reported for groups of at least "
        "%(k)s respondents."
    ),
}


def _texts(language: str) -> dict[str, str]:
    lang = language if language in LANGUAGES else "en"
    return {key: translate(lang, message) for key, message in TEXTS.items()}


@dataclass(frozen=True)
class InvitationCard:
    """One printed invitation: the personal link, and for whom it is (unit and respondent group)."""

    url: str
    unit: str
    group: str
    #: A short extra line, e.g. a stratum or a card number; never a person's name.
    note: str | None = None


def qr_image(url: str, *, border: int = 4) -> Image.Image:
    """The QR code of ``url`` as a 1-bit image, one pixel per module (quiet zone of ``border`` modules).

    For the PDFs: fpdf2 scales it without smoothing, and handing it the image skips encoding and decoding a
    PNG per card, most of a sheet's time besides choosing the mask (bench figure in docs/benchmarks.md).
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=border)
    code.add_data(url)
    code.make(fit=True)
    modules = np.array(code.get_matrix(), dtype=bool)
    # Whole pixels per module: a viewer that smooths a scaled image blurs a one-pixel module, never these.
    return Image.fromarray(~modules).convert("1").resize((len(modules) * 4,) * 2, Image.Resampling.NEAREST)


def qr_png(url: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """The QR code of ``url`` as PNG bytes (black on white, quiet zone of ``border`` modules)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(url)
    code.make(fit=True)
    buffer = BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


def _pdf(title: str, creation_date: datetime | None) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_title(title)
    pdf.set_creator("integrity-survey")
    # A fixed date makes the file reproducible; the default is now.
    pdf.set_creation_date(creation_date or datetime.now(UTC))
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 10, 10)
    return pdf


def _group_label(group: str, language: str) -> str:
    message = GROUP_TEXTS.get(group)
    return translate(language if language in LANGUAGES else "en", message) if message else group


def invitation_sheet(
    cards: Sequence[InvitationCard],
    *,
    language: str = "id",
    columns: int = 2,
    rows: int = 4,
    title: str = "Undangan survei",
    creation_date: datetime | None = None,
) -> bytes:
    """A4 pages of ``columns`` × ``rows`` invitation cards with dashed cut lines; returns the PDF bytes."""
    if not cards:
        raise ValueError("invitation_sheet: no invitations to print")
    if columns < 1 or rows < 1:
        raise ValueError("invitation_sheet: columns and rows must be at least 1")
    texts = _texts(language)
    pdf = _pdf(title, creation_date)
    margin = 10.0
    cell_w = (pdf.w - 2 * margin) / columns
    cell_h = (pdf.h - 2 * margin) / rows
    per_page = columns * rows
    pad = 4.0
    qr_size = min(cell_h - 2 * pad, cell_w * 0.48)
    for start in range(0, len(cards), per_page):
        pdf.add_page()
        _cut_lines(pdf, margin, cell_w, cell_h, columns, rows)
        for k, card in enumerate(cards[start : start + per_page]):
            x = margin + (k % columns) * cell_w
            y = margin + (k // columns) * cell_h
            pdf.image(qr_image(card.url), x=x + pad, y=y + (cell_h - qr_size) / 2, w=qr_size, h=qr_size)
            tx = x + pad + qr_size + 3
            tw = cell_w - (tx - x) - pad
            pdf.set_y(y + pad + 1)
            _para(pdf, tx, tw, 4.6, card.unit, "B", 10)
            _para(pdf, tx, tw, 4.0, _group_label(card.group, language), "", 8.5)
            if card.note:
                _para(pdf, tx, tw, 4.0, card.note, "", 8.5)
            pdf.set_y(pdf.get_y() + 2)
            _para(pdf, tx, tw, 3.2, texts["card_scan"], "", 7)
            _para(pdf, tx, tw, 3.0, card.url, "", 6.5, wrap=WrapMode.CHAR)
            _para(pdf, tx, tw, 3.0, texts["card_once"], "I", 6.5)
    return bytes(pdf.output())


def _para(
    pdf: FPDF,
    x: float,
    width: float,
    height: float,
    text: str,
    style: str,
    size: float,
    wrap: WrapMode = WrapMode.WORD,
) -> None:
    """A left-aligned paragraph at ``x`` below the current position (fpdf2's default is justified)."""
    pdf.set_font(FONT, style, size)
    pdf.set_x(x)
    pdf.multi_cell(width, height, text, align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT, wrapmode=wrap)


def _cut_lines(pdf: FPDF, margin: float, cell_w: float, cell_h: float, columns: int, rows: int) -> None:
    pdf.set_draw_color(140, 140, 140)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    right = margin + columns * cell_w
    bottom = margin + rows * cell_h
    for r in range(rows + 1):
        pdf.line(margin, margin + r * cell_h, right, margin + r * cell_h)
    for c in range(columns + 1):
        pdf.line(margin + c * cell_w, margin, margin + c * cell_w, bottom)
    pdf.set_dash_pattern()
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(110, 110, 110)
    for r in range(rows + 1):
        pdf.text(margin - 6.5, margin + r * cell_h + 1.2, "✂")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)


def counter_poster(
    url: str,
    *,
    institution: str,
    unit: str | None = None,
    min_cell: int = 5,
    texts: Mapping[str, Mapping[str, str]] | None = None,
    creation_date: datetime | None = None,
) -> bytes:
    """A one-page A4 poster for the open-access link: bilingual title, a large QR code, the anonymity promise.

    ``texts`` overrides entries of :data:`TEXTS` per language (``{"id": {"poster_title": ...}}``).
    """
    id_texts = {**_texts("id"), **(texts or {}).get("id", {})}
    en_texts = {**_texts("en"), **(texts or {}).get("en", {})}
    pdf = _pdf(f"{id_texts['poster_title']} — {institution}", creation_date)
    pdf.add_page()
    width = pdf.w - 2 * 18
    pdf.set_margins(18, 16, 18)
    pdf.set_xy(18, 18)
    pdf.set_font(FONT, "B", 26)
    pdf.multi_cell(width, 11, id_texts["poster_title"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "I", 16)
    pdf.set_text_color(70, 70, 70)
    pdf.multi_cell(width, 8, en_texts["poster_title"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(width, 7, institution, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if unit:
        pdf.set_font(FONT, "", 13)
        pdf.multi_cell(width, 6.5, unit, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)
    size = 125.0
    top = pdf.get_y()
    pdf.image(BytesIO(qr_png(url, box_size=12)), x=(pdf.w - size) / 2, y=top, w=size, h=size)
    pdf.set_y(top + size + 3)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(width, 6.5, id_texts["poster_scan"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "I", 11)
    pdf.multi_cell(width, 5.5, en_texts["poster_scan"], align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1.5)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(width, 5, url, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
    pdf.ln(5)
    box_top = pdf.get_y()
    promise_x, promise_w = 24.0, width - 12
    pdf.set_y(box_top)
    _para(pdf, promise_x, promise_w, 5.2, id_texts["poster_anonymity"] % {"k": min_cell}, "B", 10.5)
    pdf.set_y(pdf.get_y() + 1.5)
    _para(pdf, promise_x, promise_w, 4.8, en_texts["poster_anonymity"] % {"k": min_cell}, "I", 9.5)
    box_bottom = pdf.get_y() + 3
    pdf.set_draw_color(0, 114, 178)
    pdf.set_line_width(0.8)
    pdf.rect(18, box_top - 4, width, box_bottom - box_top + 4)
    if box_bottom > pdf.h - 8:
        raise ValueError(
            "counter_poster: the texts do not fit on one page; shorten the institution or unit name"
        )
    return bytes(pdf.output())


def page_count(pdf: bytes) -> int:
    """Pages in an fpdf2 PDF (counts page objects; fpdf2 writes no object streams)."""

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def pages_needed(cards: int, columns: int = 2, rows: int = 4) -> int:
    return math.ceil(cards / (columns * rows))
