"""Design weights for the index: respondents weighted up to their unit's population, group by group.

A campaign samples every unit (OPD) on its own, and the units differ in size and in response rate. The
estimate for the institution is only an estimate of the institution when each unit counts by its
population, not by its number of respondents: a unit of 2,000 employees with 50 answers must weigh more
than one of 60 with 55 answers. :func:`population_weights` gives each invited response of unit ``u`` and
group ``g`` the weight

    w_i = d_i * N_ug / sum_{j in (u, g)} d_j

(``d`` the stored base weight, 1 for hand-issued invitations and ``N_h / n_h`` from a draw; ``N_ug`` the
population of the unit in that group). This is the weighting-class nonresponse adjustment within unit ×
group (:func:`scoring.calibration.adjust_nonresponse`); with equal base weights it is ``N_ug / n_ug``. The
weights of a unit sum to its population, so the institution's mean per group is
``sum_u N_ug ybar_ug / sum_u N_ug``.

The rule is per group, all or nothing, so that one group's estimate never mixes weights on two scales
(persons represented and respondents). A group is weighted to population only when every unit with
respondents in it has a known population at least as large as its respondents and none of its responses
came through an open link. Otherwise the group keeps its stored weights (``respondents``): with hand-issued
invitations every response counts once, and units count in proportion to their respondents. The reason is
reported per group, for the results page.

The variance is that of R ``svydesign(id=~1, strata=~stratum, weights=~w, fpc=~N)``: the adjusted weights
are taken as fixed, as R does with a weights column (the extra variance of a post-stratification step,
R ``postStratify``, is not added; with one base weight per cell it is the same design either way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MORE_RESPONDENTS",
    "NO_POPULATION",
    "OPEN_ACCESS",
    "POPULATION",
    "RESPONDENTS",
    "UNITS_WITHOUT_POPULATION",
    "PopulationWeights",
    "population_weights",
]

#: The group's responses are weighted up to each unit's population.
POPULATION = "population"
#: The group keeps its stored weights (every hand-issued invitation's response counts once).
RESPONDENTS = "respondents"

# Why a group keeps its stored weights (the ``reason`` of :attr:`PopulationWeights.rules`).
#: Some of the group's responses came through an open link: nobody was sampled from a known population.
OPEN_ACCESS = "open_access"
#: No unit has a known population in this group (service users and experts, without a frame).
NO_POPULATION = "no_population"
#: Some units (``reason_units``) have respondents in the group but no known population.
UNITS_WITHOUT_POPULATION = "units_without_population"
#: Some units (``reason_units``) have more respondents than their stated population (a stale size).
MORE_RESPONDENTS = "more_respondents"


@dataclass(frozen=True, eq=False)
class PopulationWeights:
    """What :func:`population_weights` returns.

    Attributes
    ----------
    weights : Series
        The new weight of every row of ``data`` (same index).
    rules : DataFrame
        One row per group: ``group, rule`` (``population`` or ``respondents``), ``reason`` (why a group is
        not weighted to population, one of the reason constants; empty otherwise), ``reason_units`` (the
        units concerned, comma-separated), ``units`` (units with respondents), ``respondents``
        and ``population`` (the sum of the units' populations when the rule is ``population``).
    """

    weights: pd.Series
    rules: pd.DataFrame


def _as_bool(series: pd.Series) -> np.ndarray:
    text = series.astype("string").str.strip().str.lower().fillna("")
    return np.asarray(text.isin(["true", "1", "t", "yes"]).to_numpy(dtype=bool))


def population_weights(
    data: pd.DataFrame,
    population: pd.DataFrame,
    *,
    unit: str = "unit",
    group: str = "group",
    weight: str | None = "weight",
    open_access: str | None = "open_access",
) -> PopulationWeights:
    """Weights that make each unit count by its population in every group where that is known.

    Parameters
    ----------
    data : DataFrame
        The responses, with ``unit`` and ``group`` columns and, when present, the base ``weight`` (missing:
        all 1) and ``open_access`` flag (text ``"true"``/``"1"`` or booleans).
    population : DataFrame
        Columns ``unit, group, population``: the known population sizes. A unit × group that is absent or has
        a missing or non-positive population is unknown.
    unit, group, weight, open_access : str
        Column names in ``data``.

    Returns
    -------
    PopulationWeights
        See the module docstring for the rule.

    Raises
    ------
    ValueError
        A column is missing, a unit or group is missing, a base weight is not a positive number, or
        ``population`` names a unit × group twice.

    Examples
    --------
    Unit ``a`` has 2,000 people and 2 respondents, unit ``b`` 60 people and 3 respondents; nobody knows the
    external group's population.

    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": ["a", "a", "b", "b", "b", "a"],
    ...                      "group": ["internal"] * 5 + ["external"],
    ...                      "y": [50.0, 70.0, 90.0, 90.0, 90.0, 80.0]})
    >>> pop = pd.DataFrame({"unit": ["a", "b"], "group": "internal", "population": [2000, 60]})
    >>> pw = population_weights(data, pop)
    >>> pw.weights.tolist()
    [1000.0, 1000.0, 20.0, 20.0, 20.0, 1.0]
    >>> pw.rules[["group", "rule", "population"]]
          group         rule  population
    0  external  respondents         NaN
    1  internal   population      2060.0
    >>> # R: svymean(~y, subset(svydesign(id=~1, strata=~unit, weights=~w, fpc=~N, data=d),
    >>> #                       group == "internal"))
    >>> internal = data["group"] == "internal"
    >>> round(float((pw.weights * data["y"])[internal].sum() / pw.weights[internal].sum()), 4)
    60.8738
    """
    missing = [c for c in (unit, group) if c not in data.columns]
    missing += [c for c in ("unit", "group", "population") if c not in population.columns]
    if missing:
        raise ValueError(
            f"column(s) {', '.join(missing)} not found (data needs {unit!r} and {group!r}; "
            "population needs unit, group, population)"
        )
    for col in (unit, group):
        if data[col].isna().any():
            first = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise ValueError(f"column {col!r}, row {first + 1}: missing (every response needs its {col})")
    n = len(data)
    if weight is not None and weight in data.columns:
        base = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        base = np.ones(n)
    is_open = (
        _as_bool(data[open_access])
        if open_access is not None and open_access in data.columns
        else np.zeros(n, dtype=bool)
    )
    bad = ~is_open & ~(np.isfinite(base) & (base > 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"weight column {weight!r}, row {first + 1}: {base[first]!r} is not a positive number"
        )
    pop = population.assign(
        unit=population["unit"].astype("string"),
        group=population["group"].astype("string"),
        population=pd.to_numeric(population["population"], errors="coerce"),
    )
    dup = pop.duplicated(["unit", "group"])
    if dup.any():
        row = pop.loc[dup].iloc[0]
        raise ValueError(f"population: unit {row['unit']!r}, group {row['group']!r} is given twice")
    known = pop.loc[pop["population"] > 0].set_index(["unit", "group"])["population"]

    units = data[unit].astype("string").to_numpy(dtype=object)
    groups = data[group].astype("string").to_numpy(dtype=object)
    cells = pd.DataFrame({"unit": units, "group": groups, "d": base, "open": is_open})
    per_cell = cells.groupby(["group", "unit"], sort=True).agg(
        respondents=("d", "size"), d_sum=("d", "sum"), open=("open", "any")
    )
    per_cell["population"] = known.reindex(
        pd.MultiIndex.from_arrays(
            [per_cell.index.get_level_values("unit"), per_cell.index.get_level_values("group")]
        )
    ).to_numpy()

    weights = base.copy()
    weights[is_open] = 1.0
    rules = []
    for g, cell in per_cell.groupby(level="group", sort=True):
        unit_names = [str(u) for u in cell.index.get_level_values("unit")]
        no_size = [u for u, p in zip(unit_names, cell["population"], strict=True) if not np.isfinite(p)]
        stale = [
            u
            for u, p, r in zip(unit_names, cell["population"], cell["respondents"], strict=True)
            if np.isfinite(p) and r > p
        ]
        listed: list[str] = []
        if bool(cell["open"].any()):
            reason = OPEN_ACCESS
        elif len(no_size) == len(unit_names):
            reason = NO_POPULATION
        elif no_size:
            reason, listed = UNITS_WITHOUT_POPULATION, no_size
        elif stale:
            reason, listed = MORE_RESPONDENTS, stale
        else:
            reason = ""
        rule = RESPONDENTS if reason else POPULATION
        if rule == POPULATION:
            factor = (cell["population"] / cell["d_sum"]).droplevel("group")
            rows = groups == g
            weights[rows] = base[rows] * pd.Series(units[rows]).map(factor).to_numpy(dtype=np.float64)
        rules.append(
            {
                "group": str(g),
                "rule": rule,
                "reason": reason,
                "reason_units": ", ".join(listed),
                "units": len(unit_names),
                "respondents": int(cell["respondents"].sum()),
                "population": float(cell["population"].sum()) if rule == POPULATION else np.nan,
            }
        )
    table = pd.DataFrame(
        rules, columns=["group", "rule", "reason", "reason_units", "units", "respondents", "population"]
    )
    return PopulationWeights(weights=pd.Series(weights, index=data.index, name="weight"), rules=table)
