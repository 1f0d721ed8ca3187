"""The blocks a report is made of (headings, paragraphs, tables, charts, the cover): written once
(:mod:`survey_app.admin.report_text`) and drawn twice, as PDF (:mod:`.report_pdf`) and as HTML
(``templates/admin/report.html``), so the two say the same."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1
    #: Start a new page before this heading (PDF).
    new_page: bool = False


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False
    small: bool = False
    #: Printed in bold before the text ("Recommendation").
    label: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: Relative column widths.
    widths: tuple[float, ...]
    caption: str = ""
    #: Columns aligned right (numbers).
    numeric: frozenset[int] = frozenset()
    #: Rows drawn in bold (a total).
    strong_rows: frozenset[int] = frozenset()
    #: The column that names the row (a header cell in HTML).
    row_header: int = 0


@dataclass(frozen=True)
class Image:
    png: bytes
    alt: str
    #: Share of the text width.
    width: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class Scale:
    """The cover's 0–100 scale: category bands, the index with its interval, the target and the national
    figure as marks."""

    estimate: float
    ci_low: float
    ci_high: float
    bands: tuple[tuple[float, float, str], ...]
    marks: tuple[tuple[float, str], ...]
    caption: str


@dataclass(frozen=True)
class Cover:
    kicker: str
    title: str
    subtitle: str
    figure: str
    figure_caption: str
    scale: Scale | None
    lines: tuple[str, ...] = field(default_factory=tuple)


Block = Heading | Paragraph | Bullets | Table | Image | Cover
