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


# -- issue "Nothing lost, nothing unclear": estimator-side checks -------------


@pytest.mark.parametrize(
    ("device", "match"),
    [
        ("tpu", r"device='tpu' is not a device sksequence can train on.*'cpu', 'cuda'"),
        ("CPU", r"device='CPU' is not a device .*lower case"),
        ("cuda:x", r"device='cuda:x' is not a device"),
        ("meta", r"device='meta' is not a device"),
        ("", r"device='' is not a device"),
    ],
)
def test_device_strings_are_parsed(device, match):
    with pytest.raises(ValueError, match=match):
        RNNRegressor(device=device, **TINY).fit(np.ones((3, 4)), np.ones(3))


def test_device_must_be_a_string():
    with pytest.raises(ValueError, match="'device' parameter .* must be an instance"):
        RNNRegressor(device=0, **TINY).fit(np.ones((3, 4)), np.ones(3))


def test_load_device_is_parsed(tmp_path):
    from sksequence.persistence import load, save

    path = tmp_path / "m.safetensors"
    save(RNNRegressor(**TINY).fit(np.ones((3, 4)), np.arange(3.0)), path)
    with pytest.raises(ValueError, match="device='tpu' is not a device"):
        load(path, device="tpu")
    assert load(path, device="cpu").device_ == "cpu"


def test_load_expected_must_be_a_class(tmp_path):
    from sksequence.persistence import load

    with pytest.raises(TypeError, match="expected must be a class .* got str "):
        load(tmp_path / "missing.safetensors", expected="RNNClassifier")


def test_huge_token_ids_are_refused_before_allocating():
    X = np.array([[2, 3, 2**26], [4, 5, 6]])
    with pytest.raises(ValueError, match=r"largest token id in X is 67108864.*GiB"):
        RNNClassifier(**TINY).fit(X, [0, 1])


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (
            np.array(["a", None, "b", "a"], dtype=object),
            r"1 missing label.* position 1",
        ),
        (np.array(["a", np.nan, "b", "a"], dtype=object), r"missing label"),
        (np.array(["a", 1, "b", 2], dtype=object), r"mixes string and numeric labels"),
    ],
)
def test_missing_or_mixed_labels(y, match):
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**TINY).fit(np.ones((4, 3)), y)


@pytest.mark.parametrize(
    ("class_weight", "match"),
    [
        ({0: -1.0, 1: 1.0}, r"class 0 has the weight -1.0"),
        ({0: np.nan, 1: 1.0}, r"class 0 has the weight nan"),
        ({0: "heavy", 1: 1.0}, r"class 0 has the weight 'heavy'"),
        ({0: np.inf}, r"class 0 has the weight inf"),
        ({7: 2.0}, r"class_weight names classes that are not in y: \[7\]"),
    ],
)
def test_bad_class_weight(class_weight, match):
    with pytest.raises(ValueError, match=match):
        RNNClassifier(class_weight=class_weight, **TINY).fit(
            np.ones((4, 3)), [0, 1] * 2
        )


@pytest.mark.parametrize(
    ("weight", "match"),
    [
        ([0.0, 0.0, 0.0, 0.0], r"at least one non-zero"),
        ([1.0, 1e39, 1.0, 1.0], r"beyond float32's range"),
        ([1.0, -1.0, 1.0, 1.0], r"[Nn]egative"),
        ([1.0, np.nan, 1.0, 1.0], r"NaN"),
    ],
)
def test_bad_sample_weight(weight, match):
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**TINY).fit(np.ones((4, 3)), [0, 1] * 2, sample_weight=weight)


def test_class_weight_times_sample_weight_is_checked():
    with pytest.raises(ValueError, match=r"sample_weight times class_weight .* 0"):
        RNNClassifier(class_weight={0: 0.0, 1: 0.0}, **TINY).fit(
            np.ones((4, 3)), [0, 1] * 2
        )


@pytest.mark.parametrize("magnitude", [1e200, 1e-200, 1e300])
def test_extreme_regression_targets_give_finite_predictions(magnitude):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 4)).astype(np.float32)
    y = np.where(X.sum(axis=1) > 0, magnitude, -magnitude)
    reg = RNNRegressor(**TINY).fit(X, y)
    assert np.isfinite(reg.y_mean_).all() and np.isfinite(reg.y_scale_).all()
    predictions = reg.predict(X)
    assert np.isfinite(predictions).all()
    assert np.abs(predictions).max() <= 2 * magnitude


def test_predict_log_proba_is_consistent_and_finite():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    for labels in (np.arange(30) % 2, np.arange(30) % 3):
        clf = RNNClassifier(**TINY).fit(X, labels)
        log_proba = clf.predict_log_proba(X)
        np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(X), atol=1e-12)
        # Huge logits: log(proba) would be -inf, log_proba stays finite.
        with torch.no_grad():
            clf.net_.module_.head.weight.mul_(1e6)
        assert np.isfinite(clf.predict_log_proba(X)).all()
        with np.errstate(divide="ignore"):
            assert not np.isfinite(np.log(clf.predict_proba(X))).all()
