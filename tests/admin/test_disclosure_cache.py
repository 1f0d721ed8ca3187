"""The published tables of a run are cached per process under everything they depend on: a second results
page does not run the audit again; a stricter minimum, a publish or a new run does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from flask.testing import FlaskClient

import survey_app.domain.disclosure as disclosure
from survey_app.domain import disclosure_cache
from survey_app.domain.results.runs import compute_run
from survey_app.extensions import db
from tests.admin.admintools import add_campaign_responses, login, make_user
from tests.admin.test_results import add_unit
from tests.apptools import Survey


@pytest.fixture
def audits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Calls of the audit (:func:`survey_app.domain.disclosure_audit.exposures`), from a cold cache."""
    calls: list[int] = []
    real = disclosure.exposures

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(disclosure, "exposures", counted)
    disclosure_cache.clear()
    yield calls
    disclosure_cache.clear()


def test_a_second_page_load_does_not_run_the_audit(
    client: FlaskClient, spi: Survey, audits: list[int]
) -> None:
    add_unit()
    add_campaign_responses(spi.campaign, {"SETDA": 40, "INSP": 20, "DINKES": 3})
    run = compute_run(spi.campaign, "fixture")
    db.session.commit()
    make_user("analyst", ["KOTA"])
    login(client, "analyst@example.org")
    page = f"/admin/campaigns/{spi.campaign.slug}/results/?lang=en"

    assert client.get(page).status_code == 200
    first = len(audits)
    assert first > 0
    assert client.get(page).status_code == 200
    assert client.get(f"{page}&unit=SETDA").status_code == 200
    assert len(audits) == first  # answered from the cache

    # A stricter minimum cell size: other cells are withheld, so the audit runs again.
    spi.campaign.min_cell = 8
    db.session.commit()
    assert client.get(page).status_code == 200
    after_min_cell = len(audits)
    assert after_min_cell > first
    assert client.get(page).status_code == 200
    assert len(audits) == after_min_cell

    # A publish is part of the key.
    run.published_at = run.created_at
    run.published_by = "fixture"
    db.session.commit()
    assert client.get(page).status_code == 200
    after_publish = len(audits)
    assert after_publish > after_min_cell

    # A new run: the page shows it, worked out with the first as an earlier run.
    add_campaign_responses(spi.campaign, {"SETDA": 10}, seed=11)
    compute_run(spi.campaign, "fixture")
    db.session.commit()
    assert client.get(page).status_code == 200
    assert len(audits) > after_publish


def test_the_cache_is_bounded_and_hands_out_copies() -> None:
    disclosure_cache.clear()

    calls = []

    def compute() -> dict[str, pd.DataFrame]:
        calls.append(1)
        return {"t": pd.DataFrame({"estimate": [1.0]})}

    first = disclosure_cache.cached(("k", 0), compute)
    first["t"].loc[0, "estimate"] = 99.0
    again = disclosure_cache.cached(("k", 0), compute)
    assert again["t"]["estimate"].iloc[0] == 1.0  # a caller's change stays its own
    assert len(calls) == 1
    for k in range(1, disclosure_cache.MAX_ENTRIES + 5):
        disclosure_cache.cached(("k", k), compute)
    assert disclosure_cache.size() == disclosure_cache.MAX_ENTRIES
    disclosure_cache.cached(("k", 0), compute)  # the oldest went first
    assert len(calls) == disclosure_cache.MAX_ENTRIES + 6
    disclosure_cache.clear()
