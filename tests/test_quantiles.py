"""Quantile regression: pinball loss, non-crossing quantiles, coverage."""

import numpy as np
import pytest
import torch

from sksequence import RNNRegressor
from sksequence._losses import PinballLoss
from sksequence.persistence import load, save

TINY = {"hidden_size": 8, "max_epochs": 2, "random_state": 0}


def naive_pinball(y_pred, y_true, quantiles):
    """One element at a time, for clarity."""
    n, n_targets = y_true.shape
    out = np.zeros((n, n_targets, len(quantiles)))
    for i in range(n):
        for t in range(n_targets):
            for k, q in enumerate(quantiles):
                r = y_true[i, t] - y_pred[i, t * len(quantiles) + k]
                out[i, t, k] = q * r if r >= 0 else (q - 1) * r
    return out


def test_pinball_loss_matches_a_loop():
    rng = np.random.default_rng(0)
    quantiles = [0.1, 0.5, 0.95]
    y_pred, y_true = rng.normal(size=(5, 6)), rng.normal(size=(5, 2))
    loss = PinballLoss(quantiles, reduction="none")(
        torch.from_numpy(y_pred), torch.from_numpy(y_true)
    )
    np.testing.assert_allclose(
        loss.numpy(), naive_pinball(y_pred, y_true, quantiles), rtol=1e-6
    )


@pytest.fixture(scope="module")
def noisy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6, 1)).astype(np.float32)
    y = X.sum(axis=(1, 2)) + rng.normal(size=600)
    return X, y


def test_quantiles_cover_and_never_cross(noisy):
    X, y = noisy
    reg = RNNRegressor(
        hidden_size=16,
        max_epochs=30,
        lr=0.01,
        random_state=0,
        quantiles=(0.9, 0.1, 0.5),
    ).fit(X[:400], y[:400])
    np.testing.assert_array_equal(reg.quantiles_, [0.1, 0.5, 0.9])
    q = reg.predict_quantiles(X[400:])
    assert q.shape == (200, 3)
    assert np.all(np.diff(q, axis=1) >= 0)
    np.testing.assert_array_equal(reg.predict(X[400:]), q[:, 1])
    coverage = np.mean((y[400:] >= q[:, 0]) & (y[400:] <= q[:, 2]))
    assert 0.65 <= coverage <= 0.95  # nominal 0.8
    assert reg.history_[-1, "train_score"] > 0.5  # R^2 of the median units


def test_multi_output_quantiles_shape_and_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4, 2)).astype(np.float32)
    y = np.stack([X.sum(axis=(1, 2)), X[:, -1, 0]], axis=1)
    reg = RNNRegressor(**TINY, quantiles=[0.25, 0.75]).fit(X, y)
    assert reg.predict_quantiles(X).shape == (30, 2, 2)
    assert reg.predict(X).shape == (30, 2)
    save(reg, tmp_path / "q.safetensors")
    loaded = load(tmp_path / "q.safetensors")
    np.testing.assert_array_equal(loaded.predict_quantiles(X), reg.predict_quantiles(X))


@pytest.mark.parametrize(
    ("quantiles", "match"),
    [
        ((0.0, 0.5), r"strictly between 0 and 1.*got \[0.0, 0.5\]"),
        ((0.5, 1.2), r"strictly between 0 and 1"),
        ((0.5, 0.5), r"must be distinct"),
        ((), r"strictly between 0 and 1"),
    ],
)
def test_bad_quantiles(quantiles, match):
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**TINY, quantiles=quantiles).fit(np.ones((4, 3)), np.arange(4.0))


def test_predict_quantiles_of_a_mean_model():
    reg = RNNRegressor(**TINY).fit(np.ones((4, 3)), np.arange(4.0))
    with pytest.raises(ValueError, match="fitted with quantiles=None"):
        reg.predict_quantiles(np.ones((2, 3)))


def test_warm_start_refuses_new_quantiles():
    reg = RNNRegressor(**TINY, quantiles=(0.1, 0.9)).fit(
        np.ones((4, 3)), np.arange(4.0)
    )
    reg.set_params(warm_start=True, quantiles=(0.1, 0.5, 0.9))
    with pytest.raises(ValueError, match=r"quantiles changed .*\[0.1, 0.9\] ->"):
        reg.fit(np.ones((4, 3)), np.arange(4.0))
