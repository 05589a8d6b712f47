"""Every hand-written error message: what was expected, what came, what to do."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sksequence import RNNClassifier, RNNRegressor, TrainingDivergedError
from sksequence.preprocessing import SequenceScaler

TINY = {"hidden_size": 4, "max_epochs": 1, "random_state": 0}


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5, 3)).astype(np.float32)
    return RNNClassifier(**TINY).fit(X, np.arange(12) % 2)


def test_nan_inside_a_sequence():
    X = np.ones((3, 4, 2))
    X[1, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in sequence 1 at time step 2"):
        RNNRegressor(**TINY).fit(X, np.ones(3))


def test_all_nan_step_between_valid_steps():
    X = np.ones((3, 4, 2))
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="Sequence 2 has all-NaN time steps between"):
        RNNRegressor(**TINY).fit(X, np.ones(3))


def test_inf():
    X = np.ones((3, 4))
    X[0, 3] = np.inf
    with pytest.raises(ValueError, match="inf: sequence 0 .* time step 3"):
        RNNRegressor(**TINY).fit(X, np.ones(3))


def test_empty_data():
    with pytest.raises(ValueError, match="0 sample"):
        RNNRegressor(**TINY).fit(np.empty((0, 4)), np.empty(0))
    with pytest.raises(ValueError, match="0 sample"):
        RNNRegressor(**TINY).fit([], [])


def test_empty_sequences():
    X = [np.ones((3, 2)), np.ones((0, 2))]
    with pytest.raises(ValueError, match="Sequence 1 is empty"):
        RNNRegressor(**TINY).fit(X, [1.0, 2.0])
    X = np.ones((2, 3, 2))
    X[0] = np.nan
    with pytest.raises(ValueError, match="Sequence 0 is empty.*all-NaN"):
        RNNRegressor(**TINY).fit(X, [1.0, 2.0])


def test_wrong_dimensionality():
    with pytest.raises(ValueError, match="got a 1-D array.*Reshape your data"):
        RNNRegressor(**TINY).fit(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="at most 3 dimensions"):
        RNNRegressor(**TINY).fit(np.ones((2, 3, 4, 5)), np.ones(2))
    with pytest.raises(ValueError, match=r"Sequence 0 has shape \(2, 2, 2\)"):
        RNNRegressor(**TINY).fit([np.ones((2, 2, 2))], [1.0])


def test_ragged_feature_mismatch():
    with pytest.raises(ValueError, match="same number of features per time step"):
        RNNRegressor(**TINY).fit([np.ones((2, 2)), np.ones((3, 4))], [1.0, 2.0])


def test_non_numeric_sequence():
    with pytest.raises(TypeError, match="Sequence 0 has dtype <U1.*TextTokenizer"):
        RNNRegressor(**TINY).fit([np.array(["a", "b"])], [1.0])


def test_features_per_step_mismatch_at_predict(fitted):
    msg = "X has 2 features per time step, but RNNClassifier was fitted with 3"
    with pytest.raises(ValueError, match=msg):
        fitted.predict(np.ones((2, 5, 2), dtype=np.float32))


def test_token_and_float_input_mismatch(fitted):
    with pytest.raises(ValueError, match="fitted on float sequences, but X holds"):
        fitted.predict(np.ones((2, 5), dtype=np.int64))


def test_any_length_is_accepted_at_predict(fitted):
    assert fitted.predict(np.ones((2, 40, 3), dtype=np.float32)).shape == (2,)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        RNNClassifier().predict(np.ones((2, 3)))
    with pytest.raises(NotFittedError):
        RNNRegressor().history_  # noqa: B018


def test_one_class_only():
    with pytest.raises(ValueError, match="only one class: 'a'"):
        RNNClassifier(**TINY).fit(np.ones((3, 4)), ["a", "a", "a"])


def test_continuous_labels_to_classifier():
    with pytest.raises(ValueError, match="Unknown label type: continuous.*RNNRegr"):
        RNNClassifier(**TINY).fit(np.ones((3, 4)), [0.1, 0.5, 0.7])


def test_unseen_label_in_partial_fit():
    clf = RNNClassifier(**TINY).partial_fit(np.ones((2, 4)), ["a", "b"])
    with pytest.raises(ValueError, match=r"labels \['c'\] that are not among"):
        clf.partial_fit(np.ones((1, 4)), ["c"])


def test_negative_token_ids():
    X = np.array([[1, 2, -3]])
    with pytest.raises(ValueError, match=r"Token ids must be >= 0.*X\[0, 2\] = -3"):
        RNNClassifier(**TINY).fit(np.vstack([X, X]), [0, 1])


def test_unknown_parameter_values():
    with pytest.raises(ValueError, match="'cell' parameter of RNNClassifier must be"):
        RNNClassifier(cell="transformer").fit(np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="'clip_norm' parameter"):
        RNNRegressor(clip_norm=-1.0).fit(np.ones((2, 3)), [0, 1])


def test_inconsistent_numbers_of_samples():
    with pytest.raises(ValueError, match="X has 3 sequences but y has 2 targets"):
        RNNRegressor(**TINY).fit(np.ones((3, 4)), [1.0, 2.0])


def test_y_none():
    with pytest.raises(ValueError, match="requires y to be passed"):
        RNNRegressor(**TINY).fit(np.ones((3, 4)), None)


def test_regressor_output_count_mismatch_on_warm_start():
    reg = RNNRegressor(**TINY, warm_start=True).fit(np.ones((3, 4)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="y has 1 outputs, but RNNRegressor was"):
        reg.fit(np.ones((3, 4)), np.ones(3))


def test_cuda_requested_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available.*device='auto'"):
        RNNRegressor(device="cuda", **TINY).fit(np.ones((3, 4)), np.ones(3))


def test_early_stopping_with_too_little_data():
    est = RNNRegressor(early_stopping=True, validation_gap=2, **TINY)
    with pytest.raises(ValueError, match="leave 0"):
        est.fit(np.ones((3, 4)), np.ones(3))


def test_divergence_stops_with_advice_and_keeps_the_previous_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 6, 2)).astype(np.float32)
    y = rng.normal(size=16)
    reg = RNNRegressor(
        cell="rnn", hidden_size=8, max_epochs=2, random_state=0, warm_start=True
    ).fit(X, y)
    before = reg.predict(X)
    reg.set_params(lr=1e30, optimizer="sgd", max_epochs=5)
    with pytest.raises(TrainingDivergedError, match="clip_norm=1.0.*learning rate"):
        reg.fit(X * 1e20, y * 1e20)
    np.testing.assert_array_equal(reg.predict(X), before)


def test_scaler_refuses_token_ids():
    with pytest.raises(TypeError, match="integer token ids"):
        SequenceScaler().fit(np.array([[1, 2], [3, 4]]))


def test_scaler_feature_mismatch():
    scaler = SequenceScaler().fit(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="X has 1 features per time step"):
        scaler.transform(np.ones((2, 3)))


def test_warns_when_the_validation_tail_holds_unseen_classes():
    X = np.ones((20, 3), dtype=np.float32)
    y = np.array(["a"] * 10 + ["b"] * 8 + ["c"] * 2)  # sorted by class
    clf = RNNClassifier(early_stopping=True, validation_fraction=0.1, **TINY)
    with pytest.warns(UserWarning, match="1 class\\(es\\) that the training part"):
        clf.fit(X, y)
