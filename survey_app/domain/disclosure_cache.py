"""A bounded process-level cache of a run's published tables, so that the audit of
:mod:`survey_app.domain.disclosure_audit` (1–2 s on a run of 36 units) runs once per run and not on every
page load, download and API call.

What :func:`survey_app.domain.results.rows.shown_tables` shows of a run is a pure function of

* the run's stored tables (a stored run is never changed: a new computation is a new run), named by the
  database, the run's id and what tells it from a run of the same id in another database of the same URL
  (its creation time, the number of responses read and the profile's hash);
* the minimum cell size that applies (:func:`survey_app.domain.disclosure.effective_min_cell`), which
  depends on the campaign and its profile as they are now;
* the profile's group and dimension weights (the campaign's ``profile_json``: its hash);
* the earlier runs of the campaign (their identities as above), for the change gate of
  :mod:`survey_app.domain.disclosure_runs`;
* whether each of those runs is published (nothing of the tables depends on it today; it is in the key so
  that a publish can never be answered from a state before it).

:func:`cache_key` is made of exactly these, so any change of an input is a miss. Entries hold copies and hand
out copies: a caller that changes a frame changes its own. At most :data:`MAX_ENTRIES` runs are held (the
least recently used goes first); a lock keeps it consistent under threaded servers.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime

import pandas as pd

#: Runs held at once. A run's published tables of 36 units take a few MB (the question tables are most of
#: it); a process serves a few campaigns at a time.
MAX_ENTRIES = 16

Tables = dict[str, pd.DataFrame]

_entries: OrderedDict[Hashable, Tables] = OrderedDict()
_lock = threading.Lock()


def run_identity(
    database: str, run_id: int, created_at: datetime | None, responses_read: int, profile_hash: str
) -> tuple[str, int, str, int, str]:
    """What names one stored run across databases and processes."""
    return (database, run_id, created_at.isoformat() if created_at else "", responses_read, profile_hash)


def cache_key(
    run: tuple[Hashable, ...],
    published: bool,
    min_cell: int,
    profile_json: str,
    earlier: Sequence[tuple[tuple[Hashable, ...], bool]],
) -> Hashable:
    """The key of a run's published tables: the run (:func:`run_identity`) and whether it is published, the
    minimum cell size, the hash of the profile and each earlier run with whether it is published."""
    profile = hashlib.sha256(profile_json.encode("utf-8")).hexdigest()
    return (run, published, min_cell, profile, tuple(earlier))


def cached(key: Hashable, compute: Callable[[], Tables]) -> Tables:
    """The tables stored under ``key``, computed by ``compute`` on a miss; always fresh copies."""
    with _lock:
        found = _entries.get(key)
        if found is not None:
            _entries.move_to_end(key)
    if found is None:
        # Computed outside the lock: a second request for the same run computes it too rather than waiting
        # behind one that may take seconds; both give the same tables.
        found = {name: frame.copy() for name, frame in compute().items()}
        with _lock:
            _entries[key] = found
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return {name: frame.copy() for name, frame in found.items()}


def clear() -> None:
    """Forget every entry (for tests and benchmarks that measure a cold load)."""
    with _lock:
        _entries.clear()


def size() -> int:
    with _lock:
        return len(_entries)
