"""Read a campaign's responses into the scoring engine's wide frame without parsing JSON in Python.

The answers are extracted to columns by the database (``answers->>'q1'`` on PostgreSQL, ``json_extract`` on
SQLite) in one statement per questionnaire version. On PostgreSQL the result is streamed with
``COPY (SELECT ...) TO STDOUT WITH CSV`` through psycopg and parsed by ``pandas.read_csv`` (C parser); the
issue measured this at about 9 s and 0.4 GB for 1,000,000 × 60 answers, against 60–79 s and 8 GB for
``read_sql`` + ``json_normalize``. SQLite has no COPY; ``read_sql`` of the already extracted columns is its
fast path (the rows are plain scalars, no JSON decoding per row in Python).

Every column comes back as text, as ``python -m scoring index`` reads its CSV: option codes such as ``"05"``
must not turn into numbers; the pipeline converts design columns itself. The answers of single-choice items
are ``category`` columns (the option codes as strings, one byte per answer), everything else ``string``: a
million responses × 111 columns of ``string`` take about 0.9 GB in object pointers alone, the same answers as
categories about 0.1 GB (bench/results_load.py). PostgreSQL's COPY output is parsed while it streams in, so
the CSV text is never held whole (about 0.3 GB for a million responses).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Connection, text

from questionnaires.model import ItemType, Questionnaire
from survey_app.respondent.questions import export_items

if TYPE_CHECKING:
    import psycopg

DESIGN_COLUMNS = (
    "group",
    "unit",
    "stratum",
    "weight",
    "open_access",
    "questionnaire_hash",
    "duration_seconds",
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _item_expression(dialect: str, item_id: str, multiple: bool) -> str:
    key = _literal(item_id)
    if dialect == "postgresql":
        if multiple:
            return f"(SELECT string_agg(v, ' ') FROM jsonb_array_elements_text(r.answers -> {key}) AS v)"  # noqa: S608
        return f"r.answers ->> {key}"
    path = _literal(f'$."{item_id}"')
    if multiple:
        return f"(SELECT group_concat(value, ' ') FROM json_each(r.answers, {path}))"  # noqa: S608
    return f"json_extract(r.answers, {path})"


def select_statement(dialect: str, campaign_id: int, version_id: int, questionnaire: Questionnaire) -> str:
    """The SELECT of one version's responses, answers as columns in export order.

    Ids are integers from our own rows and item ids come from a validated questionnaire; they are still
    quoted, because COPY cannot take bound parameters.
    """
    columns = [
        'r.respondent_group AS "group"',
        "COALESCE(u.code, '') AS unit",
        "r.stratum AS stratum",
        "r.weight AS weight",
        "r.open_access AS open_access",
        "qv.content_hash AS questionnaire_hash",
        "r.duration_seconds AS duration_seconds",
    ]
    for item in export_items(questionnaire):
        expr = _item_expression(dialect, item.id, item.type is ItemType.SELECT_MULTIPLE)
        columns.append(f"{expr} AS {_identifier(item.id)}")
    return (
        "SELECT " + ", ".join(columns) + " FROM responses AS r"  # noqa: S608 (quoted above; COPY binds nothing)
        " JOIN questionnaire_versions AS qv ON qv.id = r.questionnaire_version_id"
        " LEFT JOIN units AS u ON u.id = r.unit_id"
        f" WHERE r.campaign_id = {int(campaign_id)} AND r.questionnaire_version_id = {int(version_id)}"
    )


class _ChunkStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks (psycopg's COPY), for ``read_csv``.

    psycopg's ``Copy`` yields chunks but is not a file object, and ``read_csv`` wants one; this adapter is the
    few lines between them (``io.BufferedReader`` does the buffering).
    """

    def __init__(self, chunks: Iterator[bytes | bytearray | memoryview]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def column_dtypes(questionnaire: Questionnaire) -> dict[str, str]:
    """The dtype of each column :func:`read_version` returns: ``category`` for single-choice answers."""
    dtypes = dict.fromkeys(DESIGN_COLUMNS, "string")
    for item in export_items(questionnaire):
        dtypes[item.id] = "category" if item.type is ItemType.SELECT_ONE else "string"
    return dtypes


def read_version(
    connection: Connection, campaign_id: int, version_id: int, questionnaire: Questionnaire
) -> pd.DataFrame:
    """One questionnaire version's responses of a campaign, typed as :func:`column_dtypes` says."""
    dialect = connection.dialect.name
    sql = select_statement(dialect, campaign_id, version_id, questionnaire)
    dtypes = column_dtypes(questionnaire)
    if dialect == "postgresql":
        # SQLAlchemy types the driver's own connection as ``Any | None`` (it depends on the driver); the
        # PostgreSQL driver here is psycopg 3 (``postgresql+psycopg://``), whose COPY this reads.
        raw = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            stream = io.BufferedReader(_ChunkStream(iter(copy)), buffer_size=1 << 20)
            # An empty text answer and a missing one both become NA, as in the CSV export.
            frame = pd.read_csv(stream, dtype=dtypes, keep_default_na=False, na_values=[""])
        return frame
    return pd.read_sql_query(text(sql), connection).astype(dtypes)


def _text_categories(piece: pd.Series | int) -> pd.Categorical:
    """The piece with its categories as text (an all-missing column reads with empty float categories);
    an int gives that many missing values."""
    if isinstance(piece, int):
        return pd.Categorical.from_codes(
            np.full(piece, -1, dtype=np.int8), categories=pd.Index([], dtype=object)
        )
    values: pd.Categorical = piece.array
    if values.categories.dtype == object:
        return values
    # pandas takes a list-like of new categories; pandas-stubs types only a mapping or a callable.
    return values.rename_categories(values.categories.astype(str).astype(object))  # type: ignore[arg-type]


def _combined(pieces: list[pd.Series | int]) -> pd.Series:
    """One column of several versions' frames, in order; an int stands for that many rows without it.

    ``pd.concat`` would turn categories that differ between the pieces (or a piece without the column) into
    object columns, which is the memory this module avoids.
    """
    present = [p for p in pieces if not isinstance(p, int)]
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in present):
        return pd.Series(union_categoricals([_text_categories(p) for p in pieces]), copy=False)
    strings = [
        pd.Series(pd.array([pd.NA] * p, dtype="string")) if isinstance(p, int) else p.astype("string")
        for p in pieces
    ]
    return pd.concat(strings, ignore_index=True)


def read_responses(
    connection: Connection,
    campaign_id: int,
    institution: str,
    versions: list[tuple[int, Questionnaire]],
) -> pd.DataFrame:
    """All responses of the campaign, one row each: ``institution``, the design columns, then the items."""
    frames = [read_version(connection, campaign_id, vid, q) for vid, q in versions]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["institution", *DESIGN_COLUMNS], dtype="string")
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    frame = pd.DataFrame(
        {c: _combined([f[c] if c in f.columns else len(f) for f in frames]) for c in columns}, copy=False
    )
    frame.insert(0, "institution", pd.Series([institution] * len(frame), index=frame.index, dtype="string"))
    return frame
