"""Benchmark: a run's published tables (:func:`survey_app.domain.results.rows.shown_tables`, primary and
complementary suppression, the LP audit, the change gate) as a results page reads them, cold and again.

Fills a temporary SQLite database with N synthetic responses over U units (as ``bench/results_load.py``
does, 36 units by default), computes one run, then reads its published tables ``--loads`` times, each in a
fresh database session as one page load would. Before the process-level cache every load paid the audit;
with it the first pays and the others read the cache. Run against another checkout's code with
``PYTHONPATH`` (without :mod:`survey_app.domain.disclosure_cache` every load is cold):

    .venv/bin/python bench/shown_tables.py --responses 3000 --units 36
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import results_load
from flask_migrate import upgrade

from survey_app.domain.campaigns import find_campaign
from survey_app.domain.results.rows import shown_tables
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from survey_app.models import ScoreRun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=3000)
    parser.add_argument("--units", type=int, default=36)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results_load.UNITS = args.units
    with tempfile.TemporaryDirectory() as directory:
        app = results_load._app(f"sqlite:///{directory}/bench.db", directory)
        with app.app_context():
            upgrade()
            results_load.fill(args.responses, args.seed)
            run = compute_run(find_campaign("bench"), "bench")
            db.session.commit()
            run_id = run.id
            db.session.remove()
            cells = 0
            for load in range(args.loads):
                campaign = find_campaign("bench")
                stored = db.session.get(ScoreRun, run_id)
                assert stored is not None
                started = time.perf_counter()
                tables = shown_tables(campaign, stored)
                took = time.perf_counter() - started
                cells = sum(len(t) for t in tables.values())
                withheld = sum(int(t["estimate"].isna().sum()) for t in tables.values() if "estimate" in t)
                print(f"load {load + 1}: {took:.3f} s ({cells} cells, {withheld} without a figure)")
                db.session.remove()


if __name__ == "__main__":
    main()
