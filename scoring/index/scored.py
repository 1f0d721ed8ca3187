"""Respondent scores of a responses export, each response scored with the questionnaire version it answered.

Each response is matched to its questionnaire by ``questionnaire_hash`` (else by group), its answers are
recoded to 0–100 (:mod:`scoring.recode`) and its respondent and dimension scores computed
(:mod:`scoring.respondent`); the design columns stay beside the scores for :mod:`scoring.index.groups`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from questionnaires.model import Group, Questionnaire
from questionnaires.profile import ScoringProfile
from scoring.design import FloatArray
from scoring.recode import RecodedItems, dont_know_share, recode_items
from scoring.respondent import RespondentScores, respondent_scores

__all__ = ["SCORE", "ScoredResponses", "score_responses"]

#: The respondent score's name in the ``variable`` column of group and dimension tables.
SCORE = "score"


@dataclass(frozen=True, eq=False)
class ScoredResponses:
    """Respondent scores of a responses export, with the design columns beside them.

    Attributes
    ----------
    data : DataFrame
        The export's non-item columns (``institution`` added from ``campaign`` when absent), then ``score``
        and one column per dimension id (respondent dimension scores, ``NaN`` where the respondent's
        questionnaire lacks the dimension or too few items were answered), then ``dont_know_share``.
    dimensions : tuple of str
        Dimension ids present, in profile order.
    item_counts : DataFrame
        Per questionnaire version and item: answered / blank / dont_know / not_applicable / unscored counts.
    recoded, respondent : dict
        Per questionnaire key (``"<id> <version>"``): the :class:`~scoring.recode.RecodedItems` and
        :class:`~scoring.respondent.RespondentScores` of its rows (indexed like ``data``).
    """

    data: pd.DataFrame
    dimensions: tuple[str, ...]
    item_counts: pd.DataFrame
    recoded: Mapping[str, RecodedItems] = field(default_factory=dict)
    respondent: Mapping[str, RespondentScores] = field(default_factory=dict)
    questionnaires: Mapping[str, Questionnaire] = field(default_factory=dict)


def _qkey(q: Questionnaire) -> str:
    return f"{q.id} {q.version}"


def _match_questionnaires(
    responses: pd.DataFrame, questionnaires: Sequence[Questionnaire]
) -> tuple[npt.NDArray[np.int64], dict[str, Questionnaire]]:
    """Position in ``questionnaires`` per row: by ``questionnaire_hash`` where it matches, else by group."""
    if not questionnaires:
        raise ValueError("no questionnaire given")
    if "group" not in responses.columns:
        raise ValueError("responses have no 'group' column (internal, external or expert per response)")
    groups = responses["group"].astype("string").str.strip()
    bad = ~groups.isin([g.value for g in Group]).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"response row {first + 1}: group {groups.iloc[first]!r} is not one of "
            f"{', '.join(g.value for g in Group)}"
        )
    which = np.full(len(responses), -1, dtype=np.int64)
    hashes: dict[str, int] = {}
    for i, q in enumerate(questionnaires):
        hashes[q.content_hash] = i
        hashes[q.content_hash.removeprefix("sha256:")] = i
    if "questionnaire_hash" in responses.columns:
        codes, uniques = pd.factorize(responses["questionnaire_hash"].astype("string").str.strip())
        lut = np.array([hashes.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
        which = lut[codes]
    by_group: dict[str, list[int]] = {}
    for i, q in enumerate(questionnaires):
        by_group.setdefault(q.group.value, []).append(i)
    g_codes, g_uniques = pd.factorize(groups)
    for j, g in enumerate(g_uniques):
        rows = (g_codes == j) & (which < 0)
        if not rows.any():
            continue
        candidates = by_group.get(str(g), [])
        if len(candidates) != 1:
            first = int(np.flatnonzero(rows)[0])
            what = (
                "no questionnaire was given for that group"
                if not candidates
                else f"{len(candidates)} questionnaires were given for it and its questionnaire_hash "
                "matches none of them"
            )
            raise ValueError(
                f"responses do not match the questionnaires: {int(rows.sum())} response(s) of group {g!r} "
                f"(first: row {first + 1}) cannot be matched, {what}"
            )
        which[rows] = candidates[0]
    q_groups = pd.array([q.group.value for q in questionnaires], dtype="string")
    row_groups = pd.array(groups.to_numpy(dtype=object), dtype="string")
    mismatch = np.asarray(pd.Series(q_groups.take(which)) != pd.Series(row_groups), dtype=bool)
    if len(which) and mismatch.any():
        first = int(np.flatnonzero(mismatch)[0])
        q = questionnaires[int(which[first])]
        raise ValueError(
            f"response row {first + 1} is in group {groups.iloc[first]!r} but its questionnaire_hash belongs "
            f"to {q.id} version {q.version} (group {q.group.value})"
        )
    return which, {_qkey(q): q for q in questionnaires}


def score_responses(
    responses: pd.DataFrame,
    questionnaires: Sequence[Questionnaire],
    profile: ScoringProfile,
    *,
    min_share_answered: float | None = None,
) -> ScoredResponses:
    """Recode and score every response with the questionnaire version it answered.

    Parameters
    ----------
    responses : DataFrame
        The wide export (``response_id, campaign, group, unit, stratum, weight, open_access,
        questionnaire_hash, ...``, then one column per item id). Only ``group`` is required here.
    questionnaires : sequence of Questionnaire
        The versions answered. A response is matched by its ``questionnaire_hash`` (the questionnaire's
        ``content_hash``, with or without the ``sha256:`` prefix); a response whose hash matches none is
        matched by its ``group`` when exactly one questionnaire of that group was given.
    profile : ScoringProfile
    min_share_answered : float, optional
        Overrides the profile's rule (see :mod:`scoring.respondent`).

    Returns
    -------
    ScoredResponses

    Raises
    ------
    ValueError
        Unknown group, responses that match no questionnaire, a hash of another group's questionnaire, or
        any recoding/scoring error (unknown answer code, unknown dimension, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.examples import tiny_profile, tiny_questionnaire
    >>> df = pd.DataFrame({"group": ["internal", "external"], "unit": ["u1", "u1"],
    ...                    "t1": ["5", "1"], "t2": ["5", "1"], "b1": ["n", "y"], "b2": ["n", "y"]})
    >>> qs = [tiny_questionnaire("internal"), tiny_questionnaire("external")]
    >>> s = score_responses(df, qs, tiny_profile())
    >>> s.data[["group", "score", "transparansi"]]
          group  score  transparansi
    0  internal  100.0         100.0
    1  external    0.0           0.0
    """
    which, by_key = _match_questionnaires(responses, questionnaires)
    n = len(responses)
    dim_order = [d.id for d in profile.dimensions]
    score = np.full(n, np.nan)
    dk = np.full(n, np.nan)
    dims: dict[str, FloatArray] = {}
    recoded: dict[str, RecodedItems] = {}
    scored: dict[str, RespondentScores] = {}
    counts: list[pd.DataFrame] = []
    for i, q in enumerate(questionnaires):
        rows = np.flatnonzero(which == i)
        if rows.size == 0:
            continue
        # Only the scored items' columns: taking the rows of the whole wide frame copied every column.
        needed = [i.id for i in q.scored_items if i.id in responses.columns]
        sub = responses[needed].iloc[rows]
        rec = recode_items(sub, q)
        rs = respondent_scores(rec.scores, q, profile, min_share_answered=min_share_answered)
        score[rows] = rs.score.to_numpy()
        dk[rows] = dont_know_share(rec).to_numpy()
        for dim in rs.dimensions.columns:
            dims.setdefault(str(dim), np.full(n, np.nan))[rows] = rs.dimensions[dim].to_numpy()
        key = _qkey(q)
        recoded[key], scored[key] = rec, rs
        c = rec.counts.copy()
        c.insert(0, "item", c.index)
        c.insert(0, "version", q.version)
        c.insert(0, "questionnaire", q.id)
        counts.append(c.reset_index(drop=True))
    item_ids = {i.id for q in questionnaires for i in q.items}
    keep = [c for c in responses.columns if c not in item_ids]
    data = responses[keep].copy()
    if "institution" not in data.columns:
        data["institution"] = data["campaign"] if "campaign" in data.columns else "all"
    data["group"] = data["group"].astype("string").str.strip()
    present = [d for d in dim_order if d in dims]
    extra = {SCORE: score, **{d: dims[d] for d in present}, "dont_know_share": dk}
    clash = [c for c in extra if c in data.columns]
    if clash:
        raise ValueError(f"responses already have column(s) {', '.join(clash)}, which scoring adds")
    data = pd.concat([data, pd.DataFrame(extra, index=data.index)], axis=1)
    return ScoredResponses(
        data=data,
        dimensions=tuple(present),
        item_counts=pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(),
        recoded=recoded,
        respondent=scored,
        questionnaires=by_key,
    )
