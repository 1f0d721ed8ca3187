"""Respondent scores: item scores (0–100) → indicator → dimension → one score per respondent.

The missing-data rule is the same at every level, with ``m = profile.min_share_answered`` (default 0.5):

* **indicator** = the item-weighted mean (``ItemScoring.weight``) of its *answered* items, provided the
  share of its items that were answered (by count) is at least ``m``; otherwise missing;
* **dimension** = the unweighted mean of its non-missing indicators, provided the share of its indicators
  present is at least ``m``; otherwise missing (indicators carry no weight of their own in the model);
* **respondent score** (the group score of that respondent) = the mean of the non-missing dimensions weighted
  by the profile's ``Dimension.weight``, renormalised over the dimensions present, provided the share of the
  questionnaire's dimensions present is at least ``m``; otherwise missing.

"Answered" means the item has a score: "don't know", "not applicable", options without a value and blank items
(not shown because of relevance, or skipped) are all unanswered. Everything is a handful of dense matrix
products over (respondents × items), so a million responses take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from questionnaires.model import Questionnaire
from questionnaires.profile import ScoringProfile

__all__ = ["RespondentScores", "respondent_scores"]

FloatMatrix = npt.NDArray[np.float64]

#: Share comparisons are on ratios of small integers; this keeps 0.5 * 3 items from failing on rounding.
_SHARE_TOLERANCE = 1e-9
_BLOCK_ROWS = 65_536


@dataclass(frozen=True, eq=False)
class RespondentScores:
    """Scores of each respondent of one questionnaire version.

    Attributes
    ----------
    indicators : DataFrame
        One column per indicator, columns a MultiIndex ``(dimension, indicator)``.
    dimensions : DataFrame
        One column per dimension of the questionnaire (questionnaire order).
    score : Series
        The respondent's group score (named ``score``).
    """

    indicators: pd.DataFrame
    dimensions: pd.DataFrame
    score: pd.Series


def _combine(
    values: FloatMatrix, membership: FloatMatrix, weights: FloatMatrix, min_share: float
) -> FloatMatrix:
    """Weighted means of the non-missing columns of ``values`` per target column, with the share rule.

    ``membership`` (p × k) says which source column belongs to which target; ``weights`` (p × k) holds the
    weight of each member (zero elsewhere).
    """
    out: FloatMatrix = np.empty((values.shape[0], membership.shape[1]), dtype=np.float64)
    size = membership.sum(axis=0)
    # Rows in blocks: the temporaries (filled values, presence) are as large as ``values`` itself, which for a
    # million responses is several hundred MB each (bench/results_load.py); every row is computed alone.
    for start in range(0, values.shape[0], _BLOCK_ROWS):
        block = values[start : start + _BLOCK_ROWS]
        present = ~np.isnan(block)
        filled = np.where(present, block, 0.0)
        present_f = present.astype(np.float64)
        num = filled @ weights
        den = present_f @ weights
        count = present_f @ membership
        enough = (count >= min_share * size - _SHARE_TOLERANCE) & (den > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + _BLOCK_ROWS] = np.where(enough, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def respondent_scores(
    item_scores: pd.DataFrame,
    questionnaire: Questionnaire,
    profile: ScoringProfile,
    *,
    min_share_answered: float | None = None,
) -> RespondentScores:
    """Indicator, dimension and respondent scores from item scores.

    Parameters
    ----------
    item_scores : DataFrame
        0–100 item scores, ``NaN`` where unanswered (:attr:`scoring.recode.RecodedItems.scores`); one column
        per scored item of ``questionnaire``.
    questionnaire : Questionnaire
        Gives each item's dimension, indicator and weight.
    profile : ScoringProfile
        Gives the dimension weights and ``min_share_answered``.
    min_share_answered : float, optional
        Overrides ``profile.min_share_answered`` (in ``(0, 1]``).

    Returns
    -------
    RespondentScores

    Raises
    ------
    ValueError
        If an item scores a dimension the profile does not define, a scored item has no column, or the share
        is outside ``(0, 1]``.

    Examples
    --------
    Respondent 0 answered everything; respondent 1 answered one of two transparency items (share 0.5, enough)
    and no bribery item (dimension missing, so the score is the transparency score alone); respondent 2 said
    "don't know" to everything. The group score weights ``integritas_pelaksanaan_tugas`` twice as much as
    ``transparansi`` (formula: ``sum_d w_d x_d / sum_d w_d`` over the dimensions present).

    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> from scoring.recode import recode_items
    >>> q = tiny_questionnaire()
    >>> df = pd.DataFrame({"t1": ["4", "5", "dk"], "t2": ["2", "", "dk"], "b1": ["n", "dk", "dk"],
    ...                    "b2": ["y", "na", "dk"]})
    >>> r = respondent_scores(recode_items(df, q).scores, q, tiny_profile())
    >>> r.dimensions
       transparansi  integritas_pelaksanaan_tugas
    0          50.0                          50.0
    1         100.0                           NaN
    2           NaN                           NaN
    >>> r.score.tolist()
    [50.0, 100.0, nan]
    """
    share = profile.min_share_answered if min_share_answered is None else min_share_answered
    if not 0 < share <= 1:
        raise ValueError(f"min_share_answered must be in (0, 1], got {share}")
    items = questionnaire.scored_items
    known = {d.id for d in profile.dimensions}
    for item in items:
        assert item.scoring is not None
        if item.scoring.dimension not in known:
            raise ValueError(
                f"item {item.id!r} of questionnaire {questionnaire.id} version {questionnaire.version} "
                f"scores "
                f"dimension {item.scoring.dimension!r}, which profile {profile.id} does not define "
                f"(it defines: {', '.join(sorted(known))})"
            )
    absent = [i.id for i in items if i.id not in item_scores.columns]
    if absent:
        raise ValueError(f"item scores have no column for scored item(s) {', '.join(absent)}")

    indicator_keys: list[tuple[str, str]] = []
    for item in items:
        assert item.scoring is not None
        key = (item.scoring.dimension, item.scoring.indicator)
        if key not in indicator_keys:
            indicator_keys.append(key)
    dimension_ids: list[str] = []
    for dim, _ in indicator_keys:
        if dim not in dimension_ids:
            dimension_ids.append(dim)

    p, k, d = len(items), len(indicator_keys), len(dimension_ids)
    item_member = np.zeros((p, k))
    item_weight = np.zeros((p, k))
    for j, item in enumerate(items):
        assert item.scoring is not None
        col = indicator_keys.index((item.scoring.dimension, item.scoring.indicator))
        item_member[j, col] = 1.0
        item_weight[j, col] = item.scoring.weight
    ind_member = np.zeros((k, d))
    for j, (dim, _) in enumerate(indicator_keys):
        ind_member[j, dimension_ids.index(dim)] = 1.0
    dim_member = np.ones((d, 1))
    dim_weight = np.array([[profile.dimension(dim).weight] for dim in dimension_ids])

    ids = [i.id for i in items]
    # Selecting the columns copies the matrix even when they are already all there, in order (they are when
    # the scores come from recode_items).
    chosen = item_scores if list(item_scores.columns) == ids else item_scores[ids]
    values = chosen.to_numpy(dtype=np.float64, na_value=np.nan)
    ind = _combine(values, item_member, item_weight, share)
    dims = _combine(ind, ind_member, ind_member, share)
    total = _combine(dims, dim_member, dim_weight, share)[:, 0]

    index = item_scores.index
    return RespondentScores(
        indicators=pd.DataFrame(
            ind,
            index=index,
            columns=pd.MultiIndex.from_tuples(indicator_keys, names=["dimension", "indicator"]),
        ),
        dimensions=pd.DataFrame(dims, index=index, columns=pd.Index(dimension_ids)),
        score=pd.Series(total, index=index, name="score"),
    )
