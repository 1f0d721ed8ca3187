"""Benchmark: the question-level answer shares a score run now computes (issue 17), on N synthetic responses
of the three bundled instruments over 40 units (random answers; the design of a campaign: weights, a stratum
per unit).

    .venv/bin/python bench/question_shares.py 1000000

Prints the number of unit and institution rows and the seconds taken by
:func:`survey_app.domain.results.questions.question_tables` (both domain partitions, every group).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from questionnaires.bundled import load_bundled_profile, load_bundled_questionnaire
from survey_app.domain.results.questions import choice_items, question_tables


def main(n: int) -> None:
    questionnaires = [load_bundled_questionnaire(i) for i in ("spi-internal", "spi-external", "spi-expert")]
    profile = load_bundled_profile("spi-2024")
    rng = np.random.default_rng(1)
    parts = []
    for q in questionnaires:
        rows = n // 3
        data: dict[str, object] = {
            "institution": "K",
            "unit": rng.choice([f"u{i}" for i in range(40)], rows),
            "group": q.group.value,
            "weight": 2.0,
        }
        for item, codes in choice_items(q).items():
            data[item] = pd.Categorical(rng.choice(codes, rows), categories=codes)
        parts.append(pd.DataFrame(data))
    frame = pd.concat(parts, ignore_index=True)
    frame["stratum"] = frame["unit"].astype(str) + "|"
    start = time.perf_counter()
    units, overall = question_tables(frame, questionnaires, profile)
    print(
        f"{n} responses: {len(units)} unit rows, {len(overall)} institution rows, "
        f"{time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
