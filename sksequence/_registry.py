"""The one list of sksequence's public estimators.

``sksequence.__all__``, the classes :func:`sksequence.persistence.load` may
build, and the scikit-learn checks in ``tests/test_common.py`` all read this
list, so a new estimator is registered once and cannot be forgotten by one
of them. Importing this module imports neither torch nor the estimators.
"""

import importlib
from dataclasses import dataclass

__all__ = ["ESTIMATORS", "Entry", "estimator_class"]


@dataclass(frozen=True)
class Entry:
    """One public estimator.

    Attributes
    ----------
    name : str
        The public name, ``sksequence.<name>``.
    module : str
        The module that defines the class.
    file_name : str
        The class name written into model files by
        :func:`sksequence.persistence.save` (kept stable across releases, so
        older files keep loading).
    needs_torch : bool
        Whether the defining module imports torch (loaded lazily by
        ``import sksequence``).
    """

    name: str
    module: str
    file_name: str
    needs_torch: bool


ESTIMATORS = (
    Entry("RNNClassifier", "sksequence._classifier", "sksequence.RNNClassifier", True),
    Entry("RNNRegressor", "sksequence._regressor", "sksequence.RNNRegressor", True),
    Entry(
        "RelativeTargetRegressor",
        "sksequence.forecasting",
        "sksequence.forecasting.RelativeTargetRegressor",
        False,
    ),
    Entry(
        "SequenceScaler",
        "sksequence.preprocessing",
        "sksequence.preprocessing.SequenceScaler",
        False,
    ),
    Entry(
        "SlidingWindow",
        "sksequence.windowing",
        "sksequence.windowing.SlidingWindow",
        False,
    ),
    Entry("TextTokenizer", "sksequence.text", "sksequence.text.TextTokenizer", False),
    Entry(
        "PretrainedEmbeddings",
        "sksequence.embeddings",
        "sksequence.embeddings.PretrainedEmbeddings",
        False,
    ),
    Entry(
        "RNNForecaster",
        "sksequence.forecaster",
        "sksequence.forecaster.RNNForecaster",
        False,
    ),
    Entry(
        "NaiveForecaster",
        "sksequence.forecaster",
        "sksequence.forecaster.NaiveForecaster",
        False,
    ),
    Entry(
        "SeasonalNaiveForecaster",
        "sksequence.forecaster",
        "sksequence.forecaster.SeasonalNaiveForecaster",
        False,
    ),
)


def estimator_class(entry):
    """The class an :class:`Entry` names (imports its module)."""
    return getattr(importlib.import_module(entry.module), entry.name)
