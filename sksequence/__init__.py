"""sksequence: recurrent sequence models as scikit-learn estimators."""

import importlib

from ._registry import ESTIMATORS

# Re-exported (listed in __all__ below, which ruff cannot read statically).
from ._sequences import check_sequences, from_sktime  # noqa: F401
from .model_selection import ForecastSplit, WithHistory  # noqa: F401
from .windowing import make_windows  # noqa: F401

__version__ = "0.1.0"

# Public names that are not estimators; the estimators come from the one
# registry (sksequence/_registry.py) that persistence and the tests read too.
_OTHERS = {
    "ModelFileError": "sksequence.persistence",
    "RNNModule": "sksequence._module",
    "TrainingDivergedError": "sksequence._callbacks",
}
# Names whose modules import torch and skorch (about 3 s) are loaded on first
# use, so the transformers and the data tools import in a fraction of that.
_LAZY = {
    **_OTHERS,
    **{entry.name: entry.module for entry in ESTIMATORS if entry.needs_torch},
}
for _entry in ESTIMATORS:
    if not _entry.needs_torch:
        globals()[_entry.name] = getattr(
            importlib.import_module(_entry.module), _entry.name
        )
del _entry

__all__ = sorted(
    [entry.name for entry in ESTIMATORS]
    + list(_OTHERS)
    + ["ForecastSplit", "WithHistory", "check_sequences", "from_sktime", "make_windows"]
)


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
