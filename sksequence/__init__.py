"""sksequence: recurrent sequence models as scikit-learn estimators."""

from ._callbacks import TrainingDivergedError
from ._classifier import RNNClassifier
from ._module import RNNModule
from ._regressor import RNNRegressor
from ._sequences import check_sequences, from_sktime
from .forecasting import RelativeTargetRegressor
from .model_selection import WithHistory
from .persistence import ModelFileError
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
