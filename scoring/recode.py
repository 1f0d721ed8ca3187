"""Recode stored answers to item scores on 0–100 (the first step of the SPI-style index).

For a scored ``select_one`` item whose scale has scored values ``v_min .. v_max`` (options that carry a value
and are not a missing code), an answer with value ``v`` scores

* ``100 * (v - v_min) / (v_max - v_min)`` for direction ``integrity`` (higher = more integrity),
* ``100 * (v_max - v) / (v_max - v_min)`` when it is ``risk`` (e.g. "did you see a bribe": yes = 1 → 0).

Scored ``integer``/``decimal`` items use their ``minimum``/``maximum`` as ``v_min``/``v_max`` in the same way.
"Don't know" and "not applicable" options (``Option.missing``), options without a value and unanswered items
(blank: not shown by relevance, or skipped) are missing (``NaN``) and counted per item, by kind.

Everything is vectorised by column: each column is factorised once (``pd.factorize``), its few distinct codes
are looked up in the scale, and the result is broadcast back with a numpy take; no Python loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from questionnaires.model import Direction, Item, ItemType, Questionnaire

__all__ = ["STATUS_CODES", "RecodedItems", "dont_know_share", "item_score_range", "recode_items"]

#: Status of an answer, stored as ``int8`` in :attr:`RecodedItems.status`.
STATUS_CODES: dict[str, int] = {
    "answered": 0,
    "blank": 1,
    "dont_know": 2,
    "not_applicable": 3,
    "unscored": 4,
}
_ANSWERED, _BLANK, _DONT_KNOW, _NOT_APPLICABLE, _UNSCORED = range(5)


@dataclass(frozen=True, eq=False)
class RecodedItems:
    """Item scores of a set of responses to one questionnaire version.

    Attributes
    ----------
    scores : DataFrame
        One ``float64`` column per scored item (questionnaire order), 0–100, ``NaN`` where missing; the
        index is the responses' index.
    status : DataFrame
        Same shape, ``int8`` codes from :data:`STATUS_CODES` (answered, blank, dont_know, not_applicable,
        unscored).
    counts : DataFrame
        One row per scored item: ``n`` (responses), ``answered``, ``blank``, ``dont_know``,
        ``not_applicable``, ``unscored`` (an option without a value) and ``mean_score``.
    """

    scores: pd.DataFrame
    status: pd.DataFrame
    counts: pd.DataFrame


def item_score_range(questionnaire: Questionnaire, item: Item) -> tuple[float, float]:
    """The ``(v_min, v_max)`` that map an item's answers onto 0–100.

    Raises
    ------
    ValueError
        If the item is scored but has no usable value range (no scale, fewer than two distinct values, a
        number item without ``minimum``/``maximum``, or a type that cannot be scored).

    Examples
    --------
    >>> from scoring.examples import tiny_questionnaire
    >>> q = tiny_questionnaire()
    >>> item_score_range(q, q.item("t1")), item_score_range(q, q.item("b1"))
    ((1.0, 5.0), (0.0, 1.0))
    """
    where = f"questionnaire {questionnaire.id} version {questionnaire.version}, item {item.id!r}"
    if item.type is ItemType.SELECT_ONE:
        scale = questionnaire.scale_of(item)
        if scale is None:
            raise ValueError(f"{where}: scored select_one item has no scale")
        rng = scale.value_range
        if rng is None or rng[0] == rng[1]:
            raise ValueError(
                f"{where}: scale {scale.id!r} needs at least two distinct option values to be scored"
            )
        return rng
    if item.type.is_number:
        if item.minimum is None or item.maximum is None or item.minimum >= item.maximum:
            raise ValueError(f"{where}: a scored number item needs minimum < maximum to map it onto 0-100")
        return float(item.minimum), float(item.maximum)
    raise ValueError(f"{where}: items of type {item.type.value} cannot be scored (select_one or a number)")


def _canonical_code(value: object) -> str:
    """A stored value as the option code it stands for (CSV readers turn ``"1"`` into ``1`` or ``1.0``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _recode_choice(
    column: pd.Series, questionnaire: Questionnaire, item: Item, lo: float, hi: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    scale = questionnaire.scale_of(item)
    assert scale is not None  # checked by item_score_range
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    k = len(uniques)
    lut_score = np.full(k + 1, np.nan)
    lut_status = np.full(k + 1, _BLANK, dtype=np.int8)  # slot k: the NA sentinel (-1) lands here
    reverse = item.scoring is not None and item.scoring.direction is Direction.RISK
    for j, raw in enumerate(uniques):
        code = _canonical_code(raw)
        if code == "":
            continue
        option = scale.option(code)
        if option is None:
            first = int(np.flatnonzero(codes == j)[0])
            known = ", ".join(o.code for o in scale.options)
            raise ValueError(
                f"item {item.id!r} (questionnaire {questionnaire.id} version {questionnaire.version}): "
                f"answer {code!r} in response row {first + 1} is not an option of scale {scale.id!r} "
                f"(expected one of: {known})"
            )
        if option.missing is not None:
            lut_status[j] = _DONT_KNOW if option.missing.value == "dont_know" else _NOT_APPLICABLE
        elif option.value is None:
            lut_status[j] = _UNSCORED
        else:
            share = (option.value - lo) / (hi - lo)
            lut_score[j] = 100.0 * ((1.0 - share) if reverse else share)
            lut_status[j] = _ANSWERED
    return lut_score[codes], lut_status[codes]


def _recode_number(
    column: pd.Series, questionnaire: Questionnaire, item: Item, lo: float, hi: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    raw_present = column.notna().to_numpy() & (column.astype("string").str.strip() != "").to_numpy(
        dtype=bool, na_value=False
    )
    bad = raw_present & (np.isnan(values) | (values < lo) | (values > hi))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"item {item.id!r} (questionnaire {questionnaire.id} version {questionnaire.version}): value "
            f"{str(column.iloc[first])!r} in response row {first + 1} is not a number in [{lo:g}, {hi:g}]"
        )
    share = (values - lo) / (hi - lo)
    reverse = item.scoring is not None and item.scoring.direction is Direction.RISK
    scores = 100.0 * ((1.0 - share) if reverse else share)
    status = np.where(np.isnan(values), _BLANK, _ANSWERED).astype(np.int8)
    return scores, status


def recode_items(responses: pd.DataFrame, questionnaire: Questionnaire) -> RecodedItems:
    """Recode every scored item of ``questionnaire`` in ``responses`` to 0–100.

    Parameters
    ----------
    responses : DataFrame
        The wide export: one row per response, one column per item id holding the stored value (option code
        as a string; integer-looking codes read as numbers by a CSV reader are accepted).
    questionnaire : Questionnaire
        The version the responses answered; its scored items (``Item.scoring``) are recoded.

    Returns
    -------
    RecodedItems
        Scores, per-answer status and per-item counts (see the class).

    Raises
    ------
    ValueError
        If a scored item has no column in ``responses``, an answer is not an option of the item's scale, or
        an item cannot be scored (see :func:`item_score_range`).

    Examples
    --------
    Five-point frequency ``1..5`` maps to ``0, 25, 50, 75, 100``; a risk item (``b1``, yes = 1) is reversed;
    ``dk``/``na`` are missing and counted (R: ``100 * (v - min) / (max - min)``, reversed for risk items).

    >>> import pandas as pd
    >>> from scoring.examples import tiny_questionnaire
    >>> df = pd.DataFrame({"t1": ["1", "4", "dk"], "t2": ["5", "", "3"], "b1": ["y", "n", "na"],
    ...                    "b2": ["n", "n", "dk"]})
    >>> r = recode_items(df, tiny_questionnaire())
    >>> r.scores
         t1     t2     b1     b2
    0   0.0  100.0    0.0  100.0
    1  75.0    NaN  100.0  100.0
    2   NaN   50.0    NaN    NaN
    >>> r.counts[["answered", "blank", "dont_know", "not_applicable"]]
        answered  blank  dont_know  not_applicable
    t1         2      0          1               0
    t2         2      1          0               0
    b1         2      0          0               1
    b2         2      0          1               0
    """
    items = questionnaire.scored_items
    if not items:
        raise ValueError(
            f"questionnaire {questionnaire.id} version {questionnaire.version} has no scored items"
        )
    absent = [i.id for i in items if i.id not in responses.columns]
    if absent:
        raise ValueError(
            f"responses do not match questionnaire {questionnaire.id} version {questionnaire.version}: "
            f"no column for scored item(s) {', '.join(absent[:10])}{' ...' if len(absent) > 10 else ''}"
        )
    n = len(responses)
    scores = np.empty((n, len(items)), dtype=np.float64, order="F")
    status = np.empty((n, len(items)), dtype=np.int8, order="F")
    # Column by column: np.nansum over the whole matrix would make a copy of it.
    sums = np.zeros(len(items))
    for j, item in enumerate(items):
        lo, hi = item_score_range(questionnaire, item)
        column = responses[item.id]
        if item.type is ItemType.SELECT_ONE:
            s, st = _recode_choice(column, questionnaire, item, lo, hi)
        else:
            s, st = _recode_number(column, questionnaire, item, lo, hi)
        scores[:, j] = s
        status[:, j] = st
        sums[j] = np.nansum(s)
    ids = [i.id for i in items]
    score_frame = pd.DataFrame(scores, index=responses.index, columns=ids, copy=False)
    status_frame = pd.DataFrame(status, index=responses.index, columns=ids, copy=False)
    tallies = {name: (status == code).sum(axis=0) for name, code in STATUS_CODES.items()}
    answered = tallies["answered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(answered > 0, sums / np.maximum(answered, 1), np.nan)
    counts = pd.DataFrame({"n": np.full(len(ids), n), **tallies, "mean_score": means}, index=pd.Index(ids))
    return RecodedItems(scores=score_frame, status=status_frame, counts=counts)


def dont_know_share(recoded: RecodedItems) -> pd.Series:
    """Per response, the share of scored items answered "don't know" or "not applicable" among those shown.

    Blank items (not shown by relevance, or skipped) are left out of the denominator; ``NaN`` when a response
    has no non-blank scored item.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.examples import tiny_questionnaire
    >>> df = pd.DataFrame({"t1": ["dk", "1"], "t2": ["dk", ""], "b1": ["na", "y"], "b2": ["n", "n"]})
    >>> dont_know_share(recode_items(df, tiny_questionnaire())).tolist()
    [0.75, 0.0]
    """
    st = recoded.status.to_numpy()
    shown = (st != _BLANK).sum(axis=1)
    special = ((st == _DONT_KNOW) | (st == _NOT_APPLICABLE)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(shown > 0, special / np.maximum(shown, 1), np.nan)
    return pd.Series(share, index=recoded.status.index, name="dont_know_share")
