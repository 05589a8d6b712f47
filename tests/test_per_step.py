"""One output per time step: masked loss, padding invariance, causality."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold

from sksequence import RNNClassifier, RNNRegressor
from sksequence._training import _masked_step_mean
from sksequence.scoring import (
    flatten_steps,
    get_per_step_scorer,
    per_step_score,
    per_step_scorer,
)

TINY = {"hidden_size": 6, "max_epochs": 2, "random_state": 0, "per_step": True}


def _tagging(rng, n=24, low=2, high=9):
    X = [
        rng.normal(size=(int(t), 2)).astype(np.float32)
        for t in rng.integers(low, high, n)
    ]
    # Label of a step: sign of the running sum of feature 0 (needs memory).
    y = [np.where(np.cumsum(x[:, 0]) > 0, "pos", "neg") for x in X]
    return X, y


@pytest.fixture(scope="module")
def tagging():
    return _tagging(np.random.default_rng(0))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_per_step_predictions_are_the_same_alone_and_in_a_batch(
    cell, bidirectional, num_layers, tagging
):
    X, y = tagging
    clf = RNNClassifier(
        **TINY, cell=cell, bidirectional=bidirectional, num_layers=num_layers
    ).fit(X, y)
    together = clf.predict_proba(X)
    assert together.dtype == object and len(together) == len(X)
    for x, proba in zip(X, together, strict=True):
        assert proba.shape == (len(x), 2)
        np.testing.assert_allclose(clf.predict_proba([x])[0], proba, atol=1e-5)


def test_per_step_regression_and_static_features_keep_padding_exact():
    import pandas as pd

    rng = np.random.default_rng(1)
    X = [rng.normal(size=(int(t), 1)) for t in rng.integers(2, 9, 16)]
    table = pd.DataFrame({"series": X, "level": rng.normal(size=16)})
    y = [np.cumsum(x[:, 0]) + level for x, level in zip(X, table["level"], strict=True)]
    for static_input in ("head", "init"):
        reg = RNNRegressor(**TINY, static_input=static_input, bidirectional=True)
        reg.fit(table, y)
        together = reg.predict(table)
        for i in range(len(X)):
            alone = reg.predict(table.iloc[[i]])[0]
            np.testing.assert_allclose(alone, together[i], atol=1e-5)
            assert together[i].shape == (len(X[i]),)


def test_masked_loss_equals_the_loss_of_the_unpadded_steps():
    rng = np.random.default_rng(2)
    lengths = torch.tensor([3, 1, 5])
    loss = torch.from_numpy(rng.normal(size=(3, 5)) ** 2)
    loss[0, 3:] = float("inf")  # padding may hold anything
    loss[1, 1:] = float("nan")
    X = {"lengths": lengths}
    valid = torch.cat([loss[0, :3], loss[1, :1], loss[2, :5]])
    torch.testing.assert_close(_masked_step_mean(loss, X), valid.mean())
    weights = torch.tensor([2.0, 0.0, 1.0])
    X["sample_weight"] = weights
    expected = (valid * torch.repeat_interleave(weights, lengths)).sum() / 9
    torch.testing.assert_close(_masked_step_mean(loss, X), expected.double())


def test_training_loss_ignores_padding_values():
    """The same data padded with garbage targets trains to the same model."""
    X, y = _tagging(np.random.default_rng(3), n=12)
    width = max(len(x) for x in X) + 2
    codes = [np.where(t == "pos", 1.0, 0.0) for t in y]
    padded_a = np.full((len(X), width), -1e6)
    padded_b = np.full((len(X), width), 123.0)
    for i, c in enumerate(codes):
        padded_a[i, : len(c)] = c
        padded_b[i, : len(c)] = c
    a = RNNRegressor(**TINY).fit(X, padded_a)
    b = RNNRegressor(**TINY).fit(X, padded_b)
    c = RNNRegressor(**TINY).fit(X, codes)
    for pa, pb, pc in zip(a.predict(X), b.predict(X), c.predict(X), strict=True):
        np.testing.assert_array_equal(pa, pb)
        np.testing.assert_array_equal(pa, pc)


def test_a_causal_tagger_does_not_read_the_future(tagging):
    X, y = tagging
    causal = RNNClassifier(**TINY).fit(X, y)
    reader = RNNClassifier(**TINY, bidirectional=True).fit(X, y)
    x = X[0].copy()
    changed = x.copy()
    changed[-1] += 10.0  # only the last step changes
    for model, reads_future in ((causal, False), (reader, True)):
        before, after = model.predict_proba([x, changed])
        np.testing.assert_allclose(before[-1:], before[-1:])
        early_equal = np.allclose(before[:-1], after[:-1], atol=1e-7)
        assert early_equal != reads_future


def test_string_labels_classes_and_score(tagging):
    X, y = tagging
    clf = RNNClassifier(**{**TINY, "max_epochs": 15}, lr=0.02).fit(X, y)
    assert clf.classes_.tolist() == ["neg", "pos"]
    predictions = clf.predict(X)
    assert all(p.dtype == clf.classes_.dtype for p in predictions)
    flat_true = np.concatenate(y)
    flat_pred = np.concatenate(predictions)
    assert clf.score(X, y) == pytest.approx(np.mean(flat_true == flat_pred))
    assert clf.score(X, y) > 0.6


def test_per_step_sample_weight_per_sequence_and_per_step(tagging):
    X, y = tagging
    per_sequence = np.where(np.arange(len(X)) % 2, 1.0, 0.0)
    per_step = [np.full(len(x), w) for x, w in zip(X, per_sequence, strict=True)]
    a = RNNClassifier(**TINY).fit(X, y, sample_weight=per_sequence)
    b = RNNClassifier(**TINY).fit(X, y, sample_weight=per_step)
    for pa, pb in zip(a.predict_proba(X), b.predict_proba(X), strict=True):
        np.testing.assert_allclose(pa, pb, atol=1e-6)


def test_multiclass_per_step_and_log_proba():
    rng = np.random.default_rng(4)
    X = [rng.normal(size=(int(t), 3)) for t in rng.integers(2, 7, 20)]
    y = [np.argmax(x, axis=1) for x in X]  # 3 classes, per step
    clf = RNNClassifier(**TINY).fit(X, y)
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    for p, lp, x in zip(proba, log_proba, X, strict=True):
        assert p.shape == (len(x), 3)
        np.testing.assert_allclose(np.exp(lp), p, atol=1e-12)


# -- flat scorers --------------------------------------------------------------


def naive_accuracy(y_true, y_pred):
    hits = total = 0
    for t, p in zip(y_true, y_pred, strict=True):
        for a, b in zip(t, p, strict=True):
            hits += a == b
            total += 1
    return hits / total


def test_flat_scores_against_a_loop(tagging):
    X, y = tagging
    clf = RNNClassifier(**TINY).fit(X, y)
    predictions = clf.predict(X)
    assert per_step_score("accuracy", y, predictions) == pytest.approx(
        naive_accuracy(y, predictions)
    )
    scorer = get_per_step_scorer("per_step_neg_log_loss")
    flat_y = np.concatenate(y)
    proba = np.concatenate(clf.predict_proba(X))
    expected = np.mean(np.log(proba[np.arange(len(flat_y)), (flat_y == "pos") * 1]))
    assert scorer(clf, X, y) == pytest.approx(expected)
    rmse = per_step_scorer("rmse")
    reg = RNNRegressor(**TINY).fit(X, [np.cumsum(x[:, 0]) for x in X])
    flat = np.concatenate([np.cumsum(x[:, 0]) for x in X])
    pred = np.concatenate(reg.predict(X))
    assert rmse(reg, X, [np.cumsum(x[:, 0]) for x in X]) == pytest.approx(
        -np.sqrt(np.mean((flat - pred) ** 2))
    )


def test_flat_scorer_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="Sequence 1 has 2 true steps but 3 predicted"):
        flatten_steps([np.ones(2), np.ones(2)], [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="y_true holds 2 sequences but y_pred 1"):
        flatten_steps([np.ones(2), np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="Unknown per-step metric 'auc'"):
        per_step_scorer("auc")
    with pytest.raises(ValueError, match="fitted with per_step=False"):
        flatten_steps([np.ones(2)], np.array([1.0]))


def test_grid_search_over_cell_and_clipping_with_a_flat_scorer(tagging):
    X, y = tagging
    search = GridSearchCV(
        RNNClassifier(**TINY),
        {"cell": ["lstm", "gru"], "clip_norm": [None, 1.0]},
        scoring=get_per_step_scorer("per_step_f1_macro"),
        cv=KFold(2),
    ).fit(X, np.array(y, dtype=object))
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# -- errors --------------------------------------------------------------------


def test_per_step_targets_must_match_the_lengths(tagging):
    X, y = tagging
    bad = list(y)
    bad[3] = bad[3][:-1]
    with pytest.raises(ValueError, match=r"sequence 3 has \d+ steps and y\[3\] has"):
        RNNClassifier(**TINY).fit(X, bad)
    with pytest.raises(ValueError, match="y\\[0\\] has a scalar"):
        RNNClassifier(**TINY).fit(X, ["pos"] * len(X))
    with pytest.raises(ValueError, match=r"an array of shape \(n_samples, n_steps"):
        RNNRegressor(**TINY).fit(X, np.zeros((len(X), 2)))


@pytest.mark.parametrize("pooling", ["mean", "max", "attention"])
def test_per_step_refuses_a_pooling(pooling, tagging):
    X, y = tagging
    with pytest.raises(ValueError, match=f"per_step=True .* pooling='{pooling}'"):
        RNNClassifier(**TINY, pooling=pooling).fit(X, y)


def test_per_step_sample_weight_must_match(tagging):
    X, y = tagging
    with pytest.raises(ValueError, match="sample_weight has 3 values for 24 sequences"):
        RNNClassifier(**TINY).fit(X, y, sample_weight=[1.0, 2.0, 3.0])


def test_fitted_mode_wins_over_a_changed_parameter(tagging):
    X, y = tagging
    clf = RNNClassifier(**TINY).fit(X, y)
    clf.set_params(per_step=False)
    predictions = clf.predict(X)  # still one array per sequence
    assert predictions.dtype == object and len(predictions[0]) == len(X[0])
    assert 0 <= clf.score(X, y) <= 1
    with pytest.raises(ValueError, match=r"per_step: True -> False"):
        clf.set_params(warm_start=True).fit(X, y)
