"""Files of results: the results table with the metadata that makes it reproducible, as CSV (with a JSON
sidecar or zipped) and XLSX; every writer refuses a table that shows a suppressed cell."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile
from survey_app.domain.disclosure import check_suppressed
from survey_app.domain.files import _xlsx_writer, escape_formulas


def software_version() -> str:
    try:
        return importlib_metadata.version("integrity-survey")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class ResultsMetadata:
    """What a results table was computed from, so every number can be reproduced."""

    profile_id: str
    profile_version: str
    profile_hash: str
    #: e.g. ``{"internal": "sha256:…"}`` or ``{"spi-internal 2024.1": "sha256:…"}``.
    questionnaire_hashes: Mapping[str, str]
    software_version: str
    computed_at: datetime
    campaign: str | None = None
    min_cell: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        profile: ScoringProfile,
        questionnaires: Iterable[Questionnaire],
        *,
        computed_at: datetime | None = None,
        campaign: str | None = None,
        min_cell: int | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> ResultsMetadata:
        return cls(
            profile_id=profile.id,
            profile_version=profile.version,
            profile_hash=profile.content_hash,
            questionnaire_hashes={
                f"{q.group.value}: {q.id} {q.version}": q.content_hash for q in questionnaires
            },
            software_version=software_version(),
            computed_at=computed_at or datetime.now(UTC),
            campaign=campaign,
            min_cell=profile.min_cell if min_cell is None else min_cell,
            extra=dict(extra or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": {"id": self.profile_id, "version": self.profile_version, "hash": self.profile_hash},
            "questionnaires": dict(self.questionnaire_hashes),
            "software_version": self.software_version,
            "computed_at": self.computed_at.isoformat(),
            "campaign": self.campaign,
            "min_cell": self.min_cell,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultsMetadata:
        return cls(
            profile_id=data["profile"]["id"],
            profile_version=data["profile"]["version"],
            profile_hash=data["profile"]["hash"],
            questionnaire_hashes=dict(data["questionnaires"]),
            software_version=data["software_version"],
            computed_at=datetime.fromisoformat(data["computed_at"]),
            campaign=data.get("campaign"),
            min_cell=data.get("min_cell"),
            extra=dict(data.get("extra") or {}),
        )

    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows for a metadata sheet."""
        out = [
            ("profile_id", self.profile_id),
            ("profile_version", self.profile_version),
            ("profile_hash", self.profile_hash),
            ("software_version", self.software_version),
            ("computed_at", self.computed_at.isoformat()),
            ("campaign", self.campaign or ""),
            ("min_cell", "" if self.min_cell is None else str(self.min_cell)),
        ]
        out += [(f"questionnaire: {k}", v) for k, v in self.questionnaire_hashes.items()]
        out += [(f"extra: {k}", v) for k, v in self.extra.items()]
        return out


def _is_flags(series: pd.Series) -> bool:
    """True/false values (a bool column, or an object column of bools with gaps)."""
    if pd.api.types.is_bool_dtype(series):
        return True
    present = series.dropna()
    return series.dtype == object and len(present) > 0 and all(isinstance(v, bool) for v in present)


def _is_count(column: object) -> bool:
    return column in ("n", "df") or str(column).startswith("n_")


def _results_for_export(results: pd.DataFrame, *, csv: bool = False) -> tuple[pd.DataFrame, bool]:
    """The table as files show it, and whether its index is written.

    Counts (``n``, ``n_*``, ``df``) are integers when every value is whole: a column with a missing value
    would otherwise be floats and print as ``12.0``. In CSV, true/false columns are 0/1, which every tool
    reads as numbers (base R reads ``True``/``False`` as text); XLSX keeps Excel's own true/false cells.
    """
    table = results.copy()
    for column in table.columns:
        series = table[column]
        if _is_count(column) and pd.api.types.is_float_dtype(series):
            present = series.dropna()
            if (present % 1 == 0).all():
                table[column] = series.astype("Int64")
        elif csv and _is_flags(series):
            table[column] = pd.array([pd.NA if pd.isna(v) else int(v) for v in series], dtype="Int8")
    return table, not isinstance(results.index, pd.RangeIndex)


def metadata_sidecar_path(csv_path: str | Path) -> Path:
    """``results.csv`` → ``results.metadata.json``."""
    path = Path(csv_path)
    return path.with_name(path.stem + ".metadata.json")


def write_results_csv(
    results: pd.DataFrame, meta: ResultsMetadata, path: str | Path, *, bom: bool = False
) -> tuple[Path, Path]:
    """The results table as CSV and its metadata as a JSON sidecar next to it; returns both paths.

    A sidecar keeps the CSV a plain rectangular table that every tool reads without options.
    """
    check_suppressed(results, meta.min_cell)
    table, with_index = _results_for_export(results, csv=True)
    path = Path(path)
    escape_formulas(table).to_csv(path, index=with_index, encoding="utf-8-sig" if bom else "utf-8")
    sidecar = metadata_sidecar_path(path)
    sidecar.write_text(json.dumps(meta.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path, sidecar


def results_csv_zip(
    results: pd.DataFrame,
    meta: ResultsMetadata,
    *,
    stem: str = "results",
    bom: bool = False,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> bytes:
    """One download holding ``<stem>.csv``, one ``<stem>-<name>.csv`` per ``extra`` table and
    ``<stem>.metadata.json``."""
    tables = {f"{stem}.csv": results} | {f"{stem}-{name}.csv": t for name, t in (extra or {}).items()}
    files = []
    for name, frame in tables.items():
        check_suppressed(frame, meta.min_cell)
        table, with_index = _results_for_export(frame, csv=True)
        files.append((name, ("\ufeff" if bom else "") + escape_formulas(table).to_csv(index=with_index)))
    files.append((f"{stem}.metadata.json", json.dumps(meta.to_dict(), ensure_ascii=False, indent=2) + "\n"))
    buffer = io.BytesIO()
    stamp = meta.computed_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content.encode("utf-8"))
    return buffer.getvalue()


def write_results_xlsx(
    results: pd.DataFrame,
    meta: ResultsMetadata,
    target: str | Path | IO[bytes],
    *,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """The results table (sheet ``results``), one sheet per ``extra`` table and the metadata (sheet
    ``metadata``: key, value)."""
    sheets = {"results": results, **(extra or {})}
    for frame in sheets.values():
        check_suppressed(frame, meta.min_cell)
    with _xlsx_writer(target) as writer:
        for name, frame in sheets.items():
            table, with_index = _results_for_export(frame)
            table.to_excel(writer, sheet_name=name, index=with_index)
            writer.sheets[name].freeze_panes(1, 0)
        pd.DataFrame(meta.rows(), columns=["key", "value"]).to_excel(
            writer, sheet_name="metadata", index=False
        )
