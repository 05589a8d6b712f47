"""sksequence: recurrent sequence models as scikit-learn estimators."""

import importlib

from ._sequences import check_sequences, from_sktime
from .forecasting import RelativeTargetRegressor
from .model_selection import WithHistory
from .preprocessing import SequenceScaler
from .text import TextTokenizer
from .windowing import SlidingWindow, make_windows

__version__ = "0.1.0"

__all__ = [
    "ModelFileError",
    "RNNClassifier",
    "RNNModule",
    "RNNRegressor",
    "RelativeTargetRegressor",
    "SequenceScaler",
    "SlidingWindow",
    "TextTokenizer",
    "TrainingDivergedError",
    "WithHistory",
    "check_sequences",
    "from_sktime",
    "make_windows",
]

# Names whose modules import torch and skorch (about 3 s): loaded on first
# use, so the transformers and the data tools import in a fraction of that.
_LAZY = {
    "ModelFileError": ".persistence",
    "RNNClassifier": "._classifier",
    "RNNModule": "._module",
    "RNNRegressor": "._regressor",
    "TrainingDivergedError": "._callbacks",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
