"""Design-based survey statistics and SPI-style integrity indices (pure pandas + scipy)."""

from scoring.ciprop import svyciprop
from scoring.design import ReplicateWeights, SurveyDesign, degf, svrepdesign, svydesign
from scoring.estimators import svycontrast, svymean, svyratio, svytotal
from scoring.quantiles import svyquantile
from scoring.replicates import as_replicate_design

__all__ = [
    "ReplicateWeights",
    "SurveyDesign",
    "as_replicate_design",
    "degf",
    "svrepdesign",
    "svyciprop",
    "svycontrast",
    "svydesign",
    "svymean",
    "svyquantile",
    "svyratio",
    "svytotal",
]
