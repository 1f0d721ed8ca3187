"""Sample size, allocation and the seeded random draw of a stratified sample.

Sample size for a proportion (:func:`sample_size`)
    ``n0 = z^2 p (1 - p) / e^2`` with ``z`` the normal quantile of the confidence level, ``e`` the
    target margin of error and ``p`` 0.5 (the worst case) or a prior from the last campaign; with the
    finite population correction ``n = n0 N / (N + n0 - 1)`` (Cochran 1977, 4.2), rounded up; at least
    ``minimum`` (never more than ``N``); the number to invite is ``ceil(n / r)`` for an expected
    response rate ``r`` (at most ``N``). The expected margin of error of ``m`` respondents out of ``N``
    is ``z sqrt(p (1 - p) / m (N - m) / (N - 1))``, the inverse of the same formula.
Allocation of a total over strata (:func:`allocate`)
    ``proportional`` (``n_h ∝ N_h``), ``equal`` (``n_h = n / H``), ``neyman`` (``n_h ∝ N_h S_h``, with
    ``S_h`` a prior standard deviation, by default ``sqrt(p_h (1 - p_h))``); strata with
    ``N_h <= census_below`` are taken whole; every stratum gets at least ``min(minimum, N_h)`` and at
    most ``N_h``, the excess redistributed over the others; rounding by largest remainders so the sizes
    add up to the total.
The draw (:func:`draw_sample`)
    Stratified simple random sampling without replacement, or systematic sampling, both from one
    NumPy bit generator, ``numpy.random.PCG64(numpy.random.SeedSequence(seed))``, whose raw 64-bit
    output (``random_raw``) is stable across NumPy versions and is specified in O'Neill (2014) and
    NumPy's documentation, so the draw can be re-run in any language:

    * ``srs``: the ``i``-th row of the frame (in file order) gets the key ``k_i``, the ``i``-th raw
      64-bit output; within each stratum the ``n_h`` rows with the smallest keys are selected (ties, of
      probability 2^-64, go to the earlier row). Sorting by independent uniform keys is a uniformly
      random permutation, so this is simple random sampling without replacement in each stratum.
    * ``systematic``: strata are taken in sorted order of their labels; stratum ``h`` takes the next
      raw output ``u``, ``start = (u >> 11) 2^-53 N_h / n_h`` and selects the rows at positions
      ``floor(start + j N_h / n_h)``, ``j = 0..n_h-1``, in frame order (each row has probability
      exactly ``n_h / N_h``; an ordered frame gives implicit stratification).

    Each selected row gets the design weight ``N_h / n_h``. :class:`DrawRecord` keeps the seed, the
    frame's hash, the sizes, the method and the library versions.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from scoring.frames import frame_hash

__all__ = [
    "ALLOCATION_METHODS",
    "DRAW_METHODS",
    "DrawRecord",
    "allocate",
    "draw_sample",
    "expected_moe",
    "plan_sample",
    "sample_size",
]

AllocationMethod = Literal["proportional", "equal", "neyman"]
DrawMethod = Literal["srs", "systematic"]
ALLOCATION_METHODS: tuple[str, ...] = ("proportional", "equal", "neyman")
DRAW_METHODS: tuple[str, ...] = ("srs", "systematic")


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def _check_p(p: float | np.ndarray) -> np.ndarray:
    a = np.asarray(p, dtype=np.float64)
    if np.any(~np.isfinite(a)) or np.any(a <= 0) or np.any(a >= 1):
        raise ValueError("p (the expected proportion) must be strictly between 0 and 1")
    return a


def _check_population(population: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    n = np.asarray(population, dtype=np.float64)
    if np.any(~np.isfinite(n)) or np.any(n < 1) or np.any(n != np.floor(n)):
        raise ValueError("population sizes must be whole numbers of at least 1")
    return n


def expected_moe(
    population: Sequence[float] | np.ndarray | pd.Series,
    respondents: Sequence[float] | np.ndarray | pd.Series,
    *,
    confidence: float = 0.95,
    p: float | np.ndarray = 0.5,
) -> np.ndarray:
    """Expected margin of error of a proportion from ``respondents`` out of ``population``.

    ``z sqrt(p (1-p) / m  (N - m) / (N - 1))``; 0 for a census, ``inf`` without respondents.

    Examples
    --------
    >>> expected_moe([1000, 200], [278, 132]).round(4).tolist()
    [0.05, 0.0499]
    """
    big_n = _check_population(population)
    m = np.asarray(respondents, dtype=np.float64)
    pq = _check_p(p) * (1 - _check_p(p))
    with np.errstate(divide="ignore", invalid="ignore"):
        fpc = np.where(big_n > 1, (big_n - m) / (big_n - 1), 0.0)
        moe = _z(confidence) * np.sqrt(pq / m * np.clip(fpc, 0, None))
    return np.where(m <= 0, np.inf, np.where(m >= big_n, 0.0, moe))


def sample_size(
    population: Sequence[float] | np.ndarray | pd.Series,
    *,
    moe: float = 0.05,
    confidence: float = 0.95,
    p: float | np.ndarray = 0.5,
    response_rate: float | np.ndarray = 1.0,
    minimum: int = 0,
    fpc: bool = True,
) -> pd.DataFrame:
    """Respondents needed per stratum for a target margin of error, and how many to invite.

    Parameters
    ----------
    population : array of int
        ``N_h`` per stratum.
    moe : float
        Target margin of error (half-width of the CI) of a proportion: 0.05.
    confidence : float
        0.95.
    p : float or array
        Expected proportion: 0.5 (the largest variance), or per stratum a prior.
    response_rate : float or array
        Expected share of invited people who answer (from the last campaign), in (0, 1].
    minimum : int
        Respondents at least per stratum (capped at ``N_h``).
    fpc : bool
        Apply the finite population correction.

    Returns
    -------
    DataFrame
        ``N, n, n_invite, expected_moe`` per stratum (``n`` respondents; ``expected_moe`` if ``n``
        answer).

    Examples
    --------
    >>> sample_size([60, 400, 2000, 100000])
            N    n  n_invite  expected_moe
    0      60   53        53      0.046366
    1     400  197       197      0.049802
    2    2000  323       323      0.049943
    3  100000  383       383      0.049979
    >>> sample_size([400], response_rate=0.6, minimum=30)[["n", "n_invite"]]
         n  n_invite
    0  197       329
    """
    if not 0 < moe < 1:
        raise ValueError(f"moe must be between 0 and 1, not {moe}")
    rr = np.asarray(response_rate, dtype=np.float64)
    if np.any(~np.isfinite(rr)) or np.any(rr <= 0) or np.any(rr > 1):
        raise ValueError("response_rate must be in (0, 1]")
    if minimum < 0:
        raise ValueError("minimum must be non-negative")
    big_n = _check_population(population)
    pp = _check_p(p)
    n0 = _z(confidence) ** 2 * pp * (1 - pp) / moe**2
    n = n0 * big_n / (big_n + n0 - 1) if fpc else np.broadcast_to(n0, big_n.shape)
    # Round up, but not past a value that floating point put a hair above a whole number.
    n = np.ceil(np.round(n, 9))
    n = np.minimum(np.maximum(n, minimum), big_n)
    invite = np.minimum(np.ceil(np.round(n / rr, 9)), big_n)
    return pd.DataFrame(
        {
            "N": big_n.astype(np.int64),
            "n": n.astype(np.int64),
            "n_invite": invite.astype(np.int64),
            "expected_moe": expected_moe(big_n, n, confidence=confidence, p=pp).round(6),
        }
    )


def _largest_remainder(quota: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(quota)
    left = round(total - float(base.sum()))
    if left > 0:
        order = np.lexsort((np.arange(quota.shape[0]), -(quota - base)))
        base[order[:left]] += 1
    return np.asarray(base, dtype=np.float64)


def allocate(
    population: Sequence[float] | np.ndarray | pd.Series,
    total: int,
    *,
    method: AllocationMethod = "proportional",
    sd: Sequence[float] | np.ndarray | None = None,
    p: float | np.ndarray = 0.5,
    minimum: int = 0,
    census_below: int = 0,
) -> np.ndarray:
    """Allocate ``total`` sampled units over strata (see the module docstring for the rules).

    Examples
    --------
    >>> allocate([100, 300, 600], 100).tolist()
    [10, 30, 60]
    >>> allocate([100, 300, 600], 100, method="equal").tolist()
    [34, 33, 33]
    >>> allocate([100, 300, 600], 100, method="neyman", sd=[3.0, 1.0, 1.0]).tolist()
    [25, 25, 50]
    >>> allocate([8, 300, 600], 100, census_below=10, minimum=20).tolist()
    [8, 31, 61]
    """
    if method not in ALLOCATION_METHODS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATION_METHODS)}, not {method!r}")
    big_n = _check_population(population)
    if total < 0 or total != int(total):
        raise ValueError("the total sample size must be a non-negative whole number")
    if total > big_n.sum():
        raise ValueError(f"the total sample size {total} exceeds the population {int(big_n.sum())}")
    if method == "neyman":
        s = (
            np.sqrt(_check_p(p) * (1 - _check_p(p))) * np.ones_like(big_n)
            if sd is None
            else np.asarray(sd, float)
        )
        if s.shape != big_n.shape or np.any(~np.isfinite(s)) or np.any(s < 0):
            raise ValueError("sd must give a non-negative standard deviation per stratum")
        share = big_n * s
    elif method == "equal":
        share = np.ones_like(big_n)
    else:
        share = big_n.copy()
    fixed = big_n <= census_below
    n = np.where(fixed, big_n, 0.0)
    floor_ = np.minimum(np.maximum(minimum, 0), big_n)
    # Iterate: allocate what is left over the free strata, then pin those hitting a bound.
    for _ in range(big_n.shape[0] + 1):
        free = ~fixed
        left = total - n[fixed].sum()
        if left < 0:
            raise ValueError(
                f"the total {total} is smaller than what census strata and minimums already take "
                f"({int(n[fixed].sum())})"
            )
        w = np.where(free, share, 0.0)
        quota = np.where(free, left * w / w.sum() if w.sum() > 0 else left / max(free.sum(), 1), 0.0)
        low = free & (quota < floor_)
        high = free & (quota > big_n)
        if not (low.any() or high.any()):
            n = np.where(free, quota, n)
            break
        n = np.where(low, floor_, np.where(high, big_n, n))
        fixed = fixed | low | high
    out = _largest_remainder(n, int(total))
    return np.asarray(np.minimum(out, big_n), dtype=np.int64)


def plan_sample(
    strata: pd.DataFrame,
    *,
    population: str = "N",
    moe: float = 0.05,
    confidence: float = 0.95,
    p: float | str = 0.5,
    response_rate: float | str = 1.0,
    minimum: int = 0,
    census_below: int = 0,
    allocation: AllocationMethod | None = None,
    total: int | None = None,
    sd: str | None = None,
) -> pd.DataFrame:
    """The sample plan per stratum, for a console to show before anything is drawn.

    Without ``allocation`` each stratum gets the size that meets ``moe`` by itself (the SPI rule per
    unit and group). With ``allocation``, ``total`` respondents (default: the size that meets ``moe``
    for the whole population) are allocated over the strata. ``p``, ``response_rate`` and ``sd`` may
    name columns of ``strata`` (priors from the last campaign).

    Returns
    -------
    DataFrame
        ``strata`` with ``n`` (respondents), ``n_invite`` and ``expected_moe`` added.

    Examples
    --------
    >>> s = pd.DataFrame({"unit": ["A", "B", "C"], "N": [50, 400, 3000], "rate": [0.9, 0.6, 0.5]})
    >>> plan_sample(s, response_rate="rate", minimum=30)
      unit     N  rate    n  n_invite  expected_moe
    0    A    50   0.9   45        50      0.046666
    1    B   400   0.6  197       329      0.049802
    2    C  3000   0.5  341       682      0.049970
    >>> plan_sample(s, allocation="proportional", census_below=60)[["unit", "n", "expected_moe"]]
      unit    n  expected_moe
    0    A   50      0.000000
    1    B   35      0.158432
    2    C  261      0.057970
    """
    if population not in strata.columns:
        raise ValueError(
            f"population column {population!r} not found (columns: {', '.join(map(str, strata.columns))})"
        )

    def col_or_value(v: float | str, what: str) -> np.ndarray:
        if isinstance(v, str):
            if v not in strata.columns:
                raise ValueError(f"{what} column {v!r} not found")
            a = pd.to_numeric(strata[v], errors="coerce").to_numpy(dtype=np.float64)
            if np.isnan(a).any():
                raise ValueError(f"{what} column {v!r} has missing or non-numeric values")
            return a
        return np.full(len(strata), float(v))

    big_n = _check_population(strata[population].to_numpy())
    pp = col_or_value(p, "p")
    rr = col_or_value(response_rate, "response rate")
    out = strata.copy()
    if allocation is None:
        sizes = sample_size(big_n, moe=moe, confidence=confidence, p=pp, response_rate=rr, minimum=minimum)
        n = np.where(big_n <= census_below, big_n, sizes["n"].to_numpy())
    else:
        if total is None:
            overall = sample_size(
                [big_n.sum()], moe=moe, confidence=confidence, p=float(np.average(pp, weights=big_n))
            )
            total = int(overall["n"].iloc[0])
        n = allocate(
            big_n,
            total,
            method=allocation,
            sd=None if sd is None else col_or_value(sd, "sd"),
            p=pp,
            minimum=minimum,
            census_below=census_below,
        ).astype(np.float64)
    out["n"] = n.astype(np.int64)
    out["n_invite"] = np.minimum(np.ceil(np.round(n / rr, 9)), big_n).astype(np.int64)
    out["expected_moe"] = expected_moe(big_n, n, confidence=confidence, p=pp).round(6)
    return out


# -------------------------------------------------------------------------------------------- draw


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to re-run and verify a draw."""

    seed: int
    method: str
    algorithm: str
    frame_hash: str
    frame_rows: int
    strata: tuple[str, ...]
    sizes: tuple[dict[str, Any], ...]
    numpy_version: str
    pandas_version: str
    python_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        d = asdict(self)
        d["strata"] = list(self.strata)
        d["sizes"] = list(self.sizes)
        return d


ALGORITHMS = {
    "srs": "stratified SRSWOR: key_i = i-th uint64 of numpy.random.PCG64(seed).random_raw(N) in frame row "
    "order; per stratum the n_h rows with the smallest keys (ties: earlier row)",
    "systematic": "stratified systematic: strata in sorted label order, each takes the next uint64 u of "
    "numpy.random.PCG64(seed).random_raw(); start=(u>>11)*2^-53*N_h/n_h; rows at positions "
    "floor(start + j*N_h/n_h) in frame order",
}


def _stratum_codes(frame: pd.DataFrame, strata: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    for c in strata:
        if c not in frame.columns:
            raise ValueError(
                f"strata column {c!r} not found in the frame "
                f"(columns: {', '.join(map(str, frame.columns[:20]))})"
            )
        col = frame[c]
        bad = col.isna().to_numpy().copy()
        if not pd.api.types.is_numeric_dtype(col):
            bad |= np.array([isinstance(v, str) and not v.strip() for v in col.tolist()], dtype=bool)
        if bad.any():
            raise ValueError(
                f"strata column {c!r} is empty in {int(bad.sum())} row(s), the first at position "
                f"{int(np.argmax(bad)) + 1}"
            )
    # Per-column codes (sorted) combined into one key: sorted keys are the labels' lexicographic order.
    key = np.zeros(len(frame), dtype=np.int64)
    uniques = []
    for c in strata:
        col_codes, uniq = pd.factorize(frame[c], sort=True)
        key = key * len(uniq) + col_codes
        uniques.append(pd.Index(uniq))
    codes, keys = pd.factorize(key, sort=True)
    parts = {}
    rem = np.asarray(keys, dtype=np.int64)
    for c, uniq in reversed(list(zip(strata, uniques, strict=True))):
        parts[c] = uniq.take(rem % len(uniq))
        rem = rem // len(uniq)
    labels = pd.DataFrame({c: parts[c] for c in strata})
    return np.asarray(codes, dtype=np.int64), labels


def _sizes(
    n: int | str | Mapping[Any, int] | pd.Series,
    frame: pd.DataFrame,
    strata: Sequence[str],
    codes: np.ndarray,
    labels: pd.DataFrame,
) -> np.ndarray:
    k = len(labels)
    if isinstance(n, bool):
        raise ValueError("n must be a number, a column or a mapping")
    if isinstance(n, int | np.integer):
        return np.full(k, int(n), dtype=np.int64)
    if isinstance(n, str):
        if n not in frame.columns:
            raise ValueError(f"sample size column {n!r} not found in the frame")
        vals = pd.to_numeric(frame[n], errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(vals).any():
            raise ValueError(f"sample size column {n!r} has missing or non-numeric values")
        first = np.full(k, np.nan)
        first[codes[::-1]] = vals[::-1]
        if np.any(first[codes] != vals):
            h = int(codes[np.argmax(first[codes] != vals)])
            raise ValueError(
                f"sample size column {n!r} is not constant within stratum {tuple(labels.iloc[h])}"
            )
        if np.any(first != np.floor(first)):
            raise ValueError(f"sample size column {n!r} must hold whole numbers")
        return first.astype(np.int64)
    mapping = dict(n.items())
    out = np.empty(k, dtype=np.int64)
    for h, row in enumerate(labels.itertuples(index=False, name=None)):
        key: Any = row[0] if len(row) == 1 else tuple(row)
        if key not in mapping:
            raise ValueError(f"no sample size given for stratum {key!r}")
        out[h] = int(mapping[key])
    return out


def draw_sample(
    frame: pd.DataFrame,
    strata: str | Sequence[str],
    n: int | str | Mapping[Any, int] | pd.Series,
    *,
    seed: int,
    method: DrawMethod = "srs",
    id_column: str | None = None,
    known_hash: str | None = None,
) -> tuple[pd.DataFrame, DrawRecord]:
    """Draw a stratified sample from a frame (algorithms in the module docstring).

    Parameters
    ----------
    frame : DataFrame
        One row per person, in the frame's order (the order matters for the draw: it is part of the
        frame's hash).
    strata : str or sequence of str
        Stratum column(s), e.g. ``["unit", "group"]``.
    n : int, str or mapping
        Sample size per stratum: one number for all, a column of the frame (constant within strata),
        or a mapping from stratum label (a tuple for several columns) to size.
    seed : int
        Non-negative seed of ``numpy.random.PCG64``.
    method : {"srs", "systematic"}
    id_column : str, optional
        Column identifying a frame row (default: the frame's index).
    known_hash : str, optional
        :func:`scoring.frames.frame_hash` of ``frame`` when the caller has it already (the
        :class:`~scoring.frames.FrameResult` of the upload), to save hashing the frame twice.

    Returns
    -------
    (DataFrame, DrawRecord)
        The sample, in frame order: ``row`` (the id), the strata columns, ``N_h``, ``n_h`` and
        ``weight = N_h / n_h``; and the record of the draw.

    Examples
    --------
    >>> f = pd.DataFrame({"unit": ["A"] * 6 + ["B"] * 4, "email": [f"p{i}@x.id" for i in range(10)]})
    >>> s, rec = draw_sample(f, "unit", {"A": 3, "B": 2}, seed=42)
    >>> s
       row unit  N_h  n_h  weight
    0    1    A    6    3     2.0
    1    3    A    6    3     2.0
    2    4    A    6    3     2.0
    3    8    B    4    2     2.0
    4    9    B    4    2     2.0
    >>> rec.sizes[0]
    {'stratum': 'A', 'N_h': 6, 'n_h': 3}
    """
    if method not in DRAW_METHODS:
        raise ValueError(f"method must be one of {', '.join(DRAW_METHODS)}, not {method!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    cols = [strata] if isinstance(strata, str) else list(strata)
    if not cols:
        raise ValueError("no strata column given")
    if len(frame) == 0:
        raise ValueError("the frame has no rows")
    codes, labels = _stratum_codes(frame, cols)
    k = len(labels)
    big_n = np.bincount(codes, minlength=k).astype(np.int64)
    n_h = _sizes(n, frame, cols, codes, labels)
    for h in range(k):
        if n_h[h] < 0 or n_h[h] > big_n[h]:
            label = labels.iloc[h].tolist()
            shown = label[0] if len(label) == 1 else tuple(label)
            raise ValueError(f"stratum {shown!r} has {big_n[h]} row(s) in the frame; cannot draw {n_h[h]}")
    bitgen = np.random.PCG64(np.random.SeedSequence(int(seed)))
    m = len(frame)
    if method == "srs":
        keys = bitgen.random_raw(m)
        order = np.lexsort((np.arange(m), keys, codes))  # by stratum, then key, then row
        start = np.concatenate([[0], np.cumsum(big_n)[:-1]])
        rank = np.empty(m, dtype=np.int64)
        rank[order] = np.arange(m) - np.repeat(start, big_n)
        selected = rank < n_h[codes]
    else:
        selected = np.zeros(m, dtype=bool)
        order = np.argsort(codes, kind="stable")  # frame order within each stratum
        start = np.concatenate([[0], np.cumsum(big_n)[:-1]])
        raws = bitgen.random_raw(k)
        for h in range(k):
            if n_h[h] == 0:
                continue
            step = big_n[h] / n_h[h]
            u = float(int(raws[h]) >> 11) * 2.0**-53
            pos = np.floor(u * step + np.arange(n_h[h]) * step).astype(np.int64)
            selected[order[start[h] + np.minimum(pos, big_n[h] - 1)]] = True
    idx = np.flatnonzero(selected)
    ids = frame[id_column].to_numpy()[idx] if id_column is not None else frame.index.to_numpy()[idx]
    sample = pd.DataFrame({"row": ids})
    for c in cols:
        sample[c] = frame[c].to_numpy()[idx]
    hc = codes[idx]
    sample["N_h"] = big_n[hc]
    sample["n_h"] = n_h[hc]
    sample["weight"] = big_n[hc] / n_h[hc]
    sizes = tuple(
        {"stratum": (lab[0] if len(lab) == 1 else list(lab)), "N_h": int(big_n[h]), "n_h": int(n_h[h])}
        for h, lab in enumerate(labels.itertuples(index=False, name=None))
    )
    record = DrawRecord(
        seed=int(seed),
        method=method,
        algorithm=ALGORITHMS[method],
        frame_hash=known_hash if known_hash is not None else frame_hash(frame),
        frame_rows=m,
        strata=tuple(cols),
        sizes=sizes,
        numpy_version=np.__version__,
        pandas_version=pd.__version__,
        python_version=platform.python_version(),
    )
    return sample, record
