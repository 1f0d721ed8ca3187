"""Bounds on what reading an uploaded questionnaire may cost, so no upload can take a server down.

An XLSForm workbook is a zip of XML files: a 5 KB file can declare a sheet of 17 billion cells (one value at
``XFD1048576``) and a 1 MB zip can inflate to gigabytes. YAML can do the same with aliases ("billion laughs":
ten anchors, each naming the previous one ten times). Every reader of uploaded definitions checks these limits
*before* the expensive step and refuses with a message that names the limit, never by running out of memory
or time. The defaults are far above any real questionnaire (a 275-question form with a 5,000-row choices
sheet uses a few percent of them) and far below what would hurt a web worker.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from questionnaires.problems import N_, Label, Msg


@dataclass(frozen=True)
class ReadLimits:
    """The limits one reading of an uploaded file obeys (all of them per file)."""

    #: Size of the uploaded file itself.
    max_file_bytes: int = 20_000_000
    #: Sum of the uncompressed sizes of the workbook's zip members.
    max_uncompressed_bytes: int = 100_000_000
    #: Uncompressed over compressed size of any member larger than ``ratio_floor_bytes``; spreadsheets
    #: compress 5-30 times, a zip bomb thousands of times.
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1_000_000
    max_zip_members: int = 500
    #: Rows and columns a sheet may use (the place of any cell that holds a value).
    max_rows: int = 100_000
    max_columns: int = 300
    #: Cells holding a value, over all sheets.
    max_cells: int = 1_000_000
    #: Wall-clock seconds for reading the sheets.
    max_seconds: float = 10.0
    #: YAML: alias uses (``*name``) and the size of the document with every alias expanded, in nodes.
    max_yaml_aliases: int = 100
    max_yaml_nodes: int = 200_000


DEFAULT_LIMITS = ReadLimits()


class LimitExceeded(Exception):  # noqa: N818 - reads as what happened: "limit exceeded"
    """An upload is over one of the limits; the message says which and how to fix the file."""

    def __init__(self, message: Label) -> None:
        #: The message to translate (``str()`` of the exception is its English text).
        self.text = message
        super().__init__(str(message))


def check_file_size(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise LimitExceeded(
            Msg(
                N_("the file is %(size)s MB; questionnaire files may be at most %(limits)s MB"),
                size=format(size / 1e6, ".1f"),
                limits=format(limits.max_file_bytes / 1e6, ".0f"),
            )
        )


def check_zip(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose zip members would inflate beyond the limits, before anything inflates them.

    The sizes checked are those the zip's central directory declares; Python's zipfile never returns more
    than the declared size of a member (and fails its CRC check when the data holds more), so a lying header
    cannot get past this check either.
    """
    check_file_size(path, limits)
    # A file that is no zip at all raises zipfile.BadZipFile: not over a limit, just not a workbook.
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise LimitExceeded(
            Msg(
                N_(
                    "the workbook holds %(members)s files; an XLSForm needs a dozen (at "
                    "most %(max_zip_members)s are read)"
                ),
                members=len(members),
                max_zip_members=limits.max_zip_members,
            )
        )
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.ratio_floor_bytes:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise LimitExceeded(
                    Msg(
                        N_(
                            "the workbook's part %(filename)s inflates %(ratio)s times (to "
                            "%(member)s MB): this looks like a zip bomb, not a spreadsheet"
                        ),
                        filename=member.filename,
                        ratio=format(ratio, ",.0f"),
                        member=format(member.file_size / 1e6, ",.0f"),
                    )
                )
    if total > limits.max_uncompressed_bytes:
        raise LimitExceeded(
            Msg(
                N_("the workbook inflates to %(total)s MB; at most %(limits)s MB are read"),
                total=format(total / 1e6, ",.0f"),
                limits=format(limits.max_uncompressed_bytes / 1e6, ",.0f"),
            )
        )


class Deadline:
    """Wall-clock budget for one reading; :meth:`check` raises once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._end:
            raise LimitExceeded(
                Msg(
                    N_(
                        "reading the workbook took more than %(seconds)s s; the file is far "
                        "larger than a questionnaire"
                    ),
                    seconds=format(self.seconds, "g"),
                )
            )
