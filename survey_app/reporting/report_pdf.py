"""The institution report as an A4 PDF (fpdf2), drawn from :func:`.report_document.compose`'s blocks.

DejaVu Sans (bundled with matplotlib) so that every character of Bahasa Indonesia and English prints without
system fonts; charts are the results page's own PNGs; the cover's scale is drawn as vectors. Output is
deterministic for the same input (fixed creation date: the run's publication).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image as PILImage

from survey_app.reporting.qrsheet import FONT, FONT_DIR
from survey_app.reporting.report_blocks import (
    Block,
    Bullets,
    Cover,
    Heading,
    Image,
    Paragraph,
    Scale,
    Table,
)

#: Ink and tints (the charts' Okabe–Ito family, light tints for the category bands).
INK = (33, 37, 41)
MUTED = (90, 96, 104)
ACCENT = (0, 90, 140)
RULE = (200, 205, 210)
HEAD_FILL = (230, 238, 244)
BAND_FILLS = ((250, 214, 200), (253, 236, 190), (207, 233, 214), (220, 230, 245))


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.page_label = page_label
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))

    def footer(self) -> None:
        if self.page_no() == 1:
            return  # the cover carries no footer
        self.set_y(-12)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, self.page_label.format(page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(*INK)


def _text_width(pdf: FPDF) -> float:
    return float(pdf.w - pdf.l_margin - pdf.r_margin)


def _scale(pdf: FPDF, scale: Scale) -> None:
    x0, width = pdf.l_margin, _text_width(pdf)
    rows = len(scale.marks)
    # Marks' labels on rows above the scale (so that their lines never cross the band names below it).
    y = pdf.get_y() + 4 + rows * 4.5 + 5
    height = 9.0

    def at(value: float) -> float:
        return float(x0 + width * max(0.0, min(100.0, value)) / 100.0)

    for row, (value, label) in enumerate(sorted(scale.marks)):
        label_y = y - 5 - (rows - row) * 4.5
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, "", 7.5)
        label_width = pdf.get_string_width(label) + 2
        left = min(max(at(value) - label_width / 2, x0), x0 + width - label_width)
        pdf.set_xy(left, label_y)
        pdf.cell(label_width, 4, label, align="C")
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.35)
        with pdf.local_context():
            pdf.set_dash_pattern(dash=1.2, gap=0.8)
            pdf.line(at(value), label_y + 4, at(value), y + height)
    for i, (lower, upper, label) in enumerate(scale.bands):
        pdf.set_fill_color(*BAND_FILLS[i % len(BAND_FILLS)])
        pdf.rect(at(lower), y, at(upper) - at(lower), height, style="F")
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(at(lower), y + height + 0.8)
        pdf.cell(at(upper) - at(lower), 4, label, align="C")
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.rect(x0, y, width, height)
    # ticks every 10 points, their numbers just above the scale
    pdf.set_font(FONT, "", 6.5)
    for tick in range(0, 101, 10):
        pdf.line(at(tick), y + height, at(tick), y + height + 0.8)
        pdf.set_xy(at(tick) - 5, y - 4.2)
        pdf.cell(10, 3.5, str(tick), align="C")
    # the interval and the estimate, drawn last so that nothing covers them
    mid = y + height / 2
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.9)
    pdf.line(at(scale.ci_low), mid, at(scale.ci_high), mid)
    pdf.set_line_width(0.4)
    for end in (scale.ci_low, scale.ci_high):
        pdf.line(at(end), mid - 2, at(end), mid + 2)
    pdf.set_fill_color(*ACCENT)
    pdf.ellipse(at(scale.estimate) - 1.8, mid - 1.8, 3.6, 3.6, style="F")
    pdf.set_line_width(0.2)
    pdf.set_y(y + height + 7)
    pdf.set_font(FONT, "I", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 4, scale.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*INK)


def _cover(pdf: FPDF, cover: Cover) -> None:
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 8, style="F")
    pdf.set_y(34)
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 6, cover.kicker.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 24)
    pdf.multi_cell(0, 11, cover.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font(FONT, "", 12)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 6.5, cover.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*INK)
    pdf.ln(18)
    pdf.set_font(FONT, "B", 54)
    pdf.cell(0, 22, cover.figure, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(0, 6, cover.figure_caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(6)
    if cover.scale is not None:
        _scale(pdf, cover.scale)
    pdf.ln(8)
    pdf.set_font(FONT, "", 11)
    for line in cover.lines:
        pdf.multi_cell(0, 6.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def _heading(pdf: FPDF, block: Heading) -> None:
    if block.new_page:
        pdf.add_page()
    elif pdf.get_y() > pdf.h - 50:
        pdf.add_page()  # a heading never sits alone at the foot of a page
    else:
        pdf.ln(4 if block.level == 1 else 3)
    size = 16 if block.level == 1 else 12.5
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*(ACCENT if block.level == 1 else INK))
    pdf.multi_cell(0, size * 0.55, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_text_color(*INK)
    if block.level == 1:
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + 30, pdf.get_y() + 1)
        pdf.set_line_width(0.2)
        pdf.ln(4)
    else:
        pdf.ln(1.5)


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    size = 8.5 if block.small else 10
    if block.label:
        # A bold label, then the text in the same line flow.
        pdf.set_font(FONT, "B", size)
        pdf.write(size * 0.5, block.label + ": ")
        pdf.set_font(FONT, "", size)
        pdf.write(size * 0.5, block.text)
        pdf.ln(size * 0.5)
    else:
        pdf.set_font(FONT, "B" if block.emphasis else "", size)
        pdf.multi_cell(0, size * 0.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)


def _bullets(pdf: FPDF, block: Bullets) -> None:
    pdf.set_font(FONT, "", 10)
    for item in block.items:
        pdf.set_x(pdf.l_margin)
        pdf.cell(5, 5.2, "•")
        pdf.multi_cell(0, 5.2, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.ln(1.2)
    pdf.ln(1)


def _table(pdf: FPDF, block: Table) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    if block.caption:
        pdf.set_font(FONT, "B", 9.5)
        pdf.multi_cell(0, 5, block.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
        pdf.ln(0.5)
    columns = len(block.header)
    size = 8 if columns <= 6 else 7
    pdf.set_font(FONT, "", size)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)
    align = tuple("RIGHT" if i in block.numeric else "LEFT" for i in range(columns))
    with pdf.table(
        col_widths=block.widths,
        text_align=align,
        line_height=size * 0.5,
        padding=1.1,
        borders_layout="HORIZONTAL_LINES",
        headings_style=FontFace(emphasis="BOLD", fill_color=HEAD_FILL, size_pt=size - 0.5),
        repeat_headings=1,
        first_row_as_headings=True,
        cell_fill_mode=TableCellFillMode.NONE,
    ) as table:
        table.row(block.header)
        for i, row in enumerate(block.rows):
            style = FontFace(emphasis="BOLD") if i in block.strong_rows else None
            table.row(row, style=style)
    pdf.ln(4)


def _image(pdf: FPDF, block: Image) -> None:
    width = _text_width(pdf) * block.width
    with PILImage.open(io.BytesIO(block.png)) as picture:
        pixels_wide, pixels_high = picture.size
    height = width * pixels_high / pixels_wide
    if pdf.get_y() + height > pdf.h - pdf.b_margin:
        pdf.add_page()
    left = pdf.l_margin + (_text_width(pdf) - width) / 2
    pdf.image(io.BytesIO(block.png), x=left, w=width, alt_text=block.alt)
    pdf.ln(3)


def render_pdf(
    blocks: Sequence[Block], *, title: str, footer: str, page_label: str, language: str, created: datetime
) -> bytes:
    """The blocks as PDF bytes; ``page_label`` is a pattern with ``{page}`` and ``{pages}``."""
    pdf = _ReportPDF(footer, page_label)
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.set_creator("integrity-survey")
    pdf.set_creation_date(created)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_text_color(*INK)
    for block in blocks:
        if isinstance(block, Cover):
            _cover(pdf, block)
        elif isinstance(block, Heading):
            _heading(pdf, block)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Bullets):
            _bullets(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Image):
            _image(pdf, block)
    return bytes(pdf.output())
