"""sksequence: recurrent sequence models as scikit-learn estimators."""

__version__ = "0.1.0"
