"""Benchmark: a campaign's responses from the database to the results table (console "compute results").

Fills a fresh database with N synthetic responses of the bundled SPI instruments (templates generated with
:mod:`survey_app.domain.synthetic`, so the skip logic holds, then copied in bulk), then times

* ``loading``: :func:`survey_app.domain.results.runs.responses_frame` (COPY + read_csv on PostgreSQL,
  json_extract + read_sql on SQLite),
* ``compute_run``: loading + ``compute_index`` + ``data_quality`` + the question figures + storing the
  run, and the wall and CPU time of each of those stages (from its progress calls),

and reports the peak resident memory of the process. A child process fills the database, so the peak is
that of loading and computing alone, as in an app server, not of building a million rows first.
``--stages`` then times each stage on its own, and checks that the institution-wide index and the quality
report computed from the unit index's respondent scores (as ``compute_run`` does) equal those computed by
scoring the responses again. ``--keep`` leaves a PostgreSQL database filled for ``--reuse``.

    .venv/bin/python bench/results_load.py --responses 100000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
from scoring.index import compute_index, index_from_scores
from scoring.quality import data_quality
from survey_app import create_app
from survey_app.domain.campaigns import create_campaign, find_campaign
from survey_app.domain.institutions import import_units
from survey_app.domain.questionnaires import campaign_versions, store_questionnaire
from survey_app.domain.results.runs import (
    BY,
    campaign_profile,
    compute_run,
    responses_frame,
    with_campaign_design,
)
from survey_app.domain.synthetic import synthetic_answers
from survey_app.extensions import db
from survey_app.models import Unit

GROUPS = {"internal": ("spi-internal", 0.5), "external": ("spi-external", 0.4), "expert": ("spi-expert", 0.1)}
UNITS = 40
TEMPLATES = 500


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    units_csv = (
        "institution_code,institution_name,unit_code,unit_name,parent_code,population_size\n"
        + "".join(f"BENCH,Bench,U{i:03d},Unit {i},,{int(rng.integers(200, 2000))}\n" for i in range(UNITS))
    )
    import_units(io.StringIO(units_csv))
    questionnaires = {g: load_bundled_questionnaire(ident) for g, (ident, _) in GROUPS.items()}
    versions = {g: store_questionnaire(q, date.today())[0] for g, q in questionnaires.items()}
    campaign = create_campaign(
        institution_code="BENCH",
        title="Bench",
        slug="bench",
        period="2025",
        profile=load_bundled_profile("spi-2024"),
        versions=versions,
        opens_on=date.today(),
        closes_on=date.today() + timedelta(days=30),
    )
    db.session.flush()
    unit_ids = [
        u.id
        for u in db.session.scalars(sa.select(Unit).where(Unit.institution_id == campaign.institution_id))
    ]
    templates = {
        g: [json.dumps(synthetic_answers(q, rng, float(rng.uniform(0.3, 0.8)))) for _ in range(TEMPLATES)]
        for g, q in questionnaires.items()
    }
    group_of = rng.choice(list(GROUPS), size=n, p=[share for _, share in GROUPS.values()])
    rows = [
        (
            uuid.UUID(bytes=rng.bytes(16), version=4),
            campaign.id,
            versions[g].id,
            g,
            unit_ids[int(rng.integers(len(unit_ids)))],
            None,
            1.0,
            False,
            templates[g][int(rng.integers(TEMPLATES))],
            int(rng.integers(200, 1500)),
            date.today(),
        )
        for g in group_of
    ]
    connection = db.session.connection()
    columns = (
        "id, campaign_id, questionnaire_version_id, respondent_group, unit_id, stratum, weight, open_access,"
        " answers, duration_seconds, submitted_on"
    )
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw = connection.connection.driver_connection
        raw.executemany(
            f"INSERT INTO responses ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0].hex, *r[1:10], r[10].isoformat()) for r in rows],
        )
    db.session.commit()


def stages(campaign: object) -> None:
    """Each stage of ``compute_run`` on its own, then the index and quality with the scoring shared."""
    import pandas as pd

    versions = campaign_versions(campaign)  # type: ignore[arg-type]
    questionnaires = [q for _, q in versions]
    profile = campaign_profile(campaign)  # type: ignore[arg-type]
    method = campaign.variance_method  # type: ignore[attr-defined]
    target = campaign.target_index  # type: ignore[attr-defined]
    times: dict[str, float] = {}
    started = time.perf_counter()
    frame, _ = with_campaign_design(responses_frame(campaign), campaign)  # type: ignore[arg-type]
    times["loading + design"] = time.perf_counter() - started
    started = time.perf_counter()
    result = compute_index(frame, questionnaires, profile, by=BY, target=target, method=method)
    times["compute_index by unit"] = time.perf_counter() - started
    started = time.perf_counter()
    overall = compute_index(frame, questionnaires, profile, by=("institution",), target=target, method=method)
    times["compute_index institution"] = time.perf_counter() - started
    started = time.perf_counter()
    quality = data_quality(frame, questionnaires, profile, by=BY)
    times["data_quality"] = time.perf_counter() - started
    started = time.perf_counter()
    shared_overall = index_from_scores(
        result.scored.data,
        profile,
        result.scored.dimensions,
        by=("institution",),
        target=target,
        method=method,
    )[0]
    times["shared: index_from_scores institution"] = time.perf_counter() - started
    started = time.perf_counter()
    shared_quality = data_quality(frame, questionnaires, profile, by=BY, scored=result.scored)
    times["shared: data_quality(scored=)"] = time.perf_counter() - started
    pd.testing.assert_frame_equal(overall.index, shared_overall)
    pd.testing.assert_frame_equal(quality.units, shared_quality.units)
    pd.testing.assert_frame_equal(quality.flags, shared_quality.flags)
    for name, seconds in times.items():
        print(f"  {name}: {seconds:.2f} s")
    print(f"stages: peak RSS {_peak_mb():.0f} MB; shared scoring gives identical tables")


def _own_schema(url: str, *, fresh: bool = True) -> str:
    """A schema ``bench_results`` first on the search path (new unless reused), so nothing else on the server
    is touched."""
    if fresh:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS bench_results CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA bench_results")
        engine.dispose()
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dbench_results"


def _app(url: str, directory: str) -> Flask:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TOKEN_HASH_KEY": "y", "INSTANCE_PATH": directory}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stages", action="store_true", help="also time each stage and shared scoring")
    parser.add_argument("--keep", action="store_true", help="keep the filled database (schema bench_results)")
    parser.add_argument("--reuse", action="store_true", help="compute on the database kept by --keep")
    parser.add_argument("--fill-only", metavar="URL", help=argparse.SUPPRESS)  # the child process that fills
    args = parser.parse_args()
    if args.fill_only:
        with tempfile.TemporaryDirectory() as directory, _app(args.fill_only, directory).app_context():
            upgrade()
            fill(args.responses, args.seed)
        return
    with tempfile.TemporaryDirectory() as directory:
        if args.database_url is None:
            if args.keep or args.reuse:
                parser.error("--keep and --reuse need --database-url")
            url = f"sqlite:///{directory}/bench.db"
        elif args.database_url.startswith("postgresql"):
            url = _own_schema(args.database_url, fresh=not args.reuse)
        else:
            url = args.database_url
        if not args.reuse:
            started = time.perf_counter()
            command = [sys.executable, __file__, "--responses", str(args.responses), "--seed", str(args.seed)]
            subprocess.run([*command, "--fill-only", url], check=True)
            print(
                f"filled {args.responses} responses in {time.perf_counter() - started:.1f} s (child process)"
            )
        app = _app(url, directory)
        with app.app_context():
            campaign = find_campaign("bench")
            before = _peak_mb()
            started = time.perf_counter()
            frame = responses_frame(campaign)
            loading = time.perf_counter() - started
            print(
                f"loading: {loading:.2f} s, frame {frame.shape}, "
                f"peak RSS {_peak_mb():.0f} MB (before {before:.0f})"
            )
            del frame
            marks: list[tuple[str, float, float]] = []
            started, cpu = time.perf_counter(), time.process_time()
            run = compute_run(
                campaign,
                "bench",
                progress=lambda stage, _: marks.append((stage, time.perf_counter(), time.process_time())),
            )
            db.session.commit()
            total = time.perf_counter() - started
            print(
                f"compute_run: {total:.2f} s ({time.process_time() - cpu:.2f} s CPU in this process) for "
                f"{run.responses_read} responses, peak RSS {_peak_mb():.0f} MB"
            )
            # Each stage of the run from its progress calls (wall, and CPU of this process: PostgreSQL's
            # share of the reading is not in it), the figure that survives a machine shared with others.
            ends = [*marks[1:], ("", started + total, time.process_time())]
            for (stage, wall, used), (_, next_wall, next_used) in zip(marks, ends, strict=True):
                print(f"  {stage}: {next_wall - wall:.2f} s, {next_used - used:.2f} s CPU")
            if args.stages:
                stages(campaign)
            db.session.remove()
            db.engine.dispose()
        if url.startswith("postgresql") and not args.keep:
            engine = sa.create_engine(args.database_url)
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA IF EXISTS bench_results CASCADE")
            engine.dispose()


if __name__ == "__main__":
    main()
