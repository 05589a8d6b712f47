"""scikit-learn's own estimator checks on every public estimator.

The estimators come from the one registry (``sksequence/_registry.py``); a
test fails when a registered estimator has no instance here, so a new public
estimator cannot skip the checks.
"""

import warnings

import pytest
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksequence import (
    NaiveForecaster,
    RelativeTargetRegressor,
    RNNClassifier,
    RNNForecaster,
    RNNRegressor,
    SeasonalNaiveForecaster,
    SequenceScaler,
    SlidingWindow,
    TextTokenizer,
)
from sksequence._registry import ESTIMATORS
from sksequence.embeddings import PretrainedEmbeddings

# Each expected failure follows from what a sequence is (DESIGN.md section 2):
# the checks read a 2-D float X as (n_samples, n_features), while for
# sksequence it is (n_samples, n_timesteps) of univariate sequences.
VARIABLE_LENGTH = (
    "X.shape[1] is the number of time steps, not of features: sequences of any "
    "length are valid at predict (and partial_fit), and n_features_in_ counts "
    "features per time step (1 for a 2-D X). Accuracy and the other parts of this "
    "check are covered in tests/test_estimators.py."
)
NAN_PADDING = (
    "all-NaN time steps before or after a sequence are padding (DESIGN.md "
    "section 2), so X[0, 0] = NaN in a 2-D X is a valid, shorter sequence. NaN "
    "inside a sequence and inf anywhere are rejected (tests/test_errors.py)."
)
MINIBATCH_SGD = (
    "minibatch gradient descent: a weight of 2 is not the same as repeating a "
    "sample (batches and epoch length differ); scikit-learn marks the same check "
    "as an expected failure for SGDClassifier and SGDRegressor."
)
RNN_EXPECTED_FAILURES = {
    "check_n_features_in": VARIABLE_LENGTH,
    "check_n_features_in_after_fitting": VARIABLE_LENGTH,
    "check_estimators_partial_fit_n_features": VARIABLE_LENGTH,
    "check_estimators_nan_inf": NAN_PADDING,
    "check_sample_weight_equivalence_on_dense_data": MINIBATCH_SGD,
}
CLASSIFIER_EXPECTED_FAILURES = {
    **RNN_EXPECTED_FAILURES,
    "check_classifiers_train": VARIABLE_LENGTH,
}
TOKEN_IDS = (
    "a 2-D integer X holds token ids by convention (DESIGN.md section 2): ids "
    "are categories, and SequenceScaler refuses to scale them with a TypeError "
    "(tested in tests/test_errors.py)."
)
SCALER_EXPECTED_FAILURES = {
    "check_estimators_dtypes": TOKEN_IDS,
    "check_transformer_general": VARIABLE_LENGTH,
    "check_n_features_in": VARIABLE_LENGTH,
    "check_n_features_in_after_fitting": VARIABLE_LENGTH,
    "check_estimators_nan_inf": NAN_PADDING,
}

# Only failures that follow from rows being time steps of one series.
WINDOW_EXPECTED_FAILURES = {
    "check_methods_subset_invariance": (
        "rows are time steps: a row's window holds the rows before it, so "
        "transforming a subset changes the history of its rows"
    ),
    "check_methods_sample_order_invariance": (
        "rows are time steps: shuffling them changes every row's history"
    ),
    "check_fit1d": "a 1-D input is a univariate series (one feature), not an error",
}

# Forecasters read X as one series (or a long panel): a 2-D array is a table
# whose column target_column (0) is the series and whose other columns are
# covariates only when declared; predict returns the next horizon steps, not
# one row per row of X (tests/test_forecaster*.py cover each behaviour).
SERIES_TABLE = (
    "X is a table of one series (column 0 the target, undeclared columns "
    "ignored), not a feature matrix: there is no n_features_in_, and a 1-D X is "
    "a series, not an error"
)
FORECAST_ROWS = (
    "predict returns the next horizon steps after the history X, not one value "
    "per row: a subset or a reordering of the rows is another history"
)
UNDECLARED_COLUMNS = (
    "columns without a role are ignored, so NaN, inf, complex or object values "
    "there are not read (the target and declared covariates are checked: "
    "tests/test_forecaster_errors.py)"
)
ONE_ROW = "check_fit2d_1sample"  # the naive forecast needs one row only
FORECASTER_EXPECTED_FAILURES = {
    "check_n_features_in": SERIES_TABLE,
    "check_n_features_in_after_fitting": SERIES_TABLE,
    "check_fit1d": SERIES_TABLE,
    "check_fit2d_predict1d": SERIES_TABLE,
    "check_estimators_empty_data_messages": SERIES_TABLE,
    "check_fit2d_1sample": (
        "one row is a series too short for a history; the error says so in "
        "forecasting terms (rows, window), not in sklearn's samples wording"
    ),
    "check_methods_subset_invariance": FORECAST_ROWS,
    "check_methods_sample_order_invariance": FORECAST_ROWS,
    "check_estimators_nan_inf": UNDECLARED_COLUMNS,
    "check_complex_data": UNDECLARED_COLUMNS,
    "check_dtype_object": UNDECLARED_COLUMNS,
}

# Small networks and a higher learning rate keep the ~60 checks per estimator
# to a few seconds while still learning the checks' toy problems.
SMALL = {"hidden_size": 16, "max_epochs": 30, "lr": 0.01, "random_state": 0}
# One instance (or several) and its expected failures per registered name.
# TextTokenizer reads strings (two_d_array=False, like CountVectorizer): sklearn
# runs only check_estimator_cloneable on it and skips the numeric checks with a
# SkipTestWarning; tests/test_text.py runs the data-independent checks by name
# and rewrites the data-dependent ones with text.
INSTANCES = {
    "RNNClassifier": ([RNNClassifier(**SMALL)], CLASSIFIER_EXPECTED_FAILURES),
    "RNNRegressor": ([RNNRegressor(**SMALL)], RNN_EXPECTED_FAILURES),
    "RelativeTargetRegressor": ([RelativeTargetRegressor(Ridge())], {}),
    "SequenceScaler": ([SequenceScaler()], SCALER_EXPECTED_FAILURES),
    "SlidingWindow": ([SlidingWindow(window=3)], WINDOW_EXPECTED_FAILURES),
    "TextTokenizer": ([TextTokenizer(), TextTokenizer(maxlen=5)], {}),
    # Reads strings, like TextTokenizer: only the data-independent checks run.
    "PretrainedEmbeddings": (
        [
            PretrainedEmbeddings(
                make_pipeline(TextTokenizer(maxlen=3), RNNClassifier(**SMALL)),
                {"good": [1.0, 0.0]},
            )
        ],
        {},
    ),
    "RNNForecaster": (
        [
            RNNForecaster(
                window=3,
                regressor=RNNRegressor(hidden_size=4, max_epochs=2, random_state=0),
            )
        ],
        FORECASTER_EXPECTED_FAILURES,
    ),
    "NaiveForecaster": (
        [NaiveForecaster()],
        {k: v for k, v in FORECASTER_EXPECTED_FAILURES.items() if k != ONE_ROW},
    ),
    "SeasonalNaiveForecaster": (
        [SeasonalNaiveForecaster(season_length=2)],
        FORECASTER_EXPECTED_FAILURES,
    ),
}


def test_every_registered_estimator_is_checked():
    assert set(INSTANCES) == {entry.name for entry in ESTIMATORS}


with warnings.catch_warnings():
    warnings.simplefilter("ignore", SkipTestWarning)
    CHECKS = parametrize_with_checks(
        [est for instances, _ in INSTANCES.values() for est in instances],
        expected_failed_checks=lambda est: INSTANCES[type(est).__name__][1],
    )


@CHECKS
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("entry", ESTIMATORS, ids=lambda entry: entry.name)
def test_registry_names_the_public_class(entry):
    import sksequence

    assert getattr(sksequence, entry.name).__module__ == entry.module
    assert entry.name in sksequence.__all__
