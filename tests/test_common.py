"""scikit-learn's own estimator checks on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksequence import RNNClassifier, RNNRegressor
from sksequence.preprocessing import SequenceScaler

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

# Small networks and a higher learning rate keep the ~60 checks per estimator
# to a few seconds while still learning the checks' toy problems.
SMALL = {"hidden_size": 16, "max_epochs": 30, "lr": 0.01, "random_state": 0}
EXPECTED = {
    "RNNClassifier": CLASSIFIER_EXPECTED_FAILURES,
    "RNNRegressor": RNN_EXPECTED_FAILURES,
    "SequenceScaler": SCALER_EXPECTED_FAILURES,
}


@parametrize_with_checks(
    [RNNClassifier(**SMALL), RNNRegressor(**SMALL), SequenceScaler()],
    expected_failed_checks=lambda est: EXPECTED[type(est).__name__],
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
