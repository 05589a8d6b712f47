"""scikit-learn's own estimator checks on every public estimator.

The estimators come from the one registry (``sksequence/_registry.py``); a
test fails when a registered estimator has no instance here, so a new public
estimator cannot skip the checks.
"""

import warnings

import pytest
from sklearn.exceptions import SkipTestWarning
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksequence import (
    RelativeTargetRegressor,
    RNNClassifier,
    RNNRegressor,
    SequenceScaler,
    SlidingWindow,
    TextTokenizer,
)
from sksequence._registry import ESTIMATORS

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
