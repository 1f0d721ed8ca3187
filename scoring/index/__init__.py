"""The SPI-style composite index: group estimates, composite, correction, category, suppression.

The pipeline (see ``docs/scoring-method.md`` for the method in words), one module per step:

1. :func:`score_responses` (:mod:`~scoring.index.scored`): match each response to its questionnaire
   version, recode answers to 0–100 (:mod:`scoring.recode`) and compute respondent scores
   (:mod:`scoring.respondent`).
2. :func:`estimate_groups` (:mod:`~scoring.index.groups`): design-based means of the respondent score and
   of every dimension score per domain ``by × group`` (weights and strata from the export; open-access
   responses unweighted), with linearization standard errors from :func:`scoring.estimators.svymean`, or a
   seeded Rao–Wu bootstrap.
3. :func:`publication_rules` (:mod:`~scoring.index.publication`): minimum respondents per group and
   small-cell suppression.
4. :func:`combine_groups` (:mod:`~scoring.index.composite`): composite ``sum_g w_g x_g`` with the profile's
   group weights renormalised over the groups present, ``SE = sqrt(sum_g w_g^2 se_g^2)`` (groups are
   independent samples) and Welch–Satterthwaite degrees of freedom ``df = (sum_g v_g)^2 / sum_g (v_g^2 /
   df_g)`` with ``v_g = w_g^2 se_g^2``.
5. :func:`apply_corrections` (:mod:`~scoring.index.corrections`), :func:`add_categories` and
   :func:`probability_at_least` (:mod:`~scoring.index.categories`).

Before step 2, :func:`population_weights` (:mod:`~scoring.index.weights`) weights each group's respondents up
to their unit's population where it is known (``N / n`` within unit × group), so that the institution's
estimate counts each unit by its size.

:func:`compute_index` (:mod:`~scoring.index.pipeline`) runs all of it and returns an :class:`IndexResult`.
:func:`campaign_difference` (:mod:`~scoring.index.comparison`) compares two runs. Confidence intervals
come from :mod:`scoring.intervals`.
"""

from __future__ import annotations

from scoring.design import FloatArray as FloatArray
from scoring.design import IntArray as IntArray
from scoring.index.categories import add_categories, probability_at_least
from scoring.index.comparison import campaign_difference
from scoring.index.composite import combine_groups
from scoring.index.corrections import apply_corrections, correction_points
from scoring.index.groups import DEFAULT_SEED, GroupEstimates, estimate_groups
from scoring.index.groups import Method as Method
from scoring.index.groups import _factorize_rows as _factorize_rows
from scoring.index.pipeline import IndexResult, compute_index, index_from_scores
from scoring.index.publication import ESTIMATE_COLUMNS as ESTIMATE_COLUMNS
from scoring.index.publication import publication_rules
from scoring.index.scored import SCORE as SCORE
from scoring.index.scored import ScoredResponses, score_responses
from scoring.index.weights import PopulationWeights, population_weights

__all__ = [
    "DEFAULT_SEED",
    "GroupEstimates",
    "IndexResult",
    "PopulationWeights",
    "ScoredResponses",
    "add_categories",
    "apply_corrections",
    "campaign_difference",
    "combine_groups",
    "compute_index",
    "correction_points",
    "estimate_groups",
    "index_from_scores",
    "population_weights",
    "probability_at_least",
    "publication_rules",
    "score_responses",
]
