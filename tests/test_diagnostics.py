"""Training-history diagnostics, gradient flow, parameter counts and plots."""

import copy
import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, r2_score

from sksequence import RNNClassifier, RNNRegressor
from sksequence._callbacks import ScoreMonitor
from sksequence.diagnostics import (
    count_parameters,
    gradient_flow,
    plot_gradient_flow,
    plot_gradient_norms,
    plot_history,
)

TINY = {"hidden_size": 4, "max_epochs": 3, "lr": 0.01, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 6, 2)).astype(np.float32)
    y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    return X, y


@pytest.fixture(scope="module")
def fitted_regressor(data):
    X, _ = data
    return RNNRegressor(cell="gru", **TINY).fit(X, X.sum(axis=(1, 2)))


# -- training history ----------------------------------------------------------


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_history_records_diagnostics_every_epoch(data, Estimator):
    X, y = data
    target = y if Estimator is RNNClassifier else X[:, :, 0].sum(axis=1)
    model = Estimator(**TINY).fit(X, target)
    assert len(model.history_) == 3
    for row in model.history_:
        assert row["train_loss"] > 0
        assert 0 < row["grad_norm_mean"] <= row["grad_norm_max"]
        assert row["clipped_fraction"] == 0.0
        assert row["train_score"] <= 1.0
        assert "valid_score" not in row  # no validation split without early stopping


def test_tiny_clip_norm_clips_every_step(data):
    X, y = data
    model = RNNClassifier(clip_norm=1e-6, **TINY).fit(X, y)
    assert model.history_[:, "clipped_fraction"] == [1.0, 1.0, 1.0]


def test_tiny_clip_value_clips(data):
    X, y = data
    model = RNNClassifier(clip_value=1e-6, **TINY).fit(X, y)
    assert min(model.history_[:, "clipped_fraction"]) > 0


@pytest.mark.parametrize("clip", [{"clip_norm": 1e-3}, {"clip_value": 1e-4}])
def test_clipping_bounds_the_update(data, clip):
    # Recording a clipped fraction is not enough: the step must really shrink.
    X, y = data
    model = RNNClassifier(**TINY).fit(X, y)
    before = copy.deepcopy(model.net_.module_.state_dict())
    model.set_params(warm_start=True, optimizer="sgd", lr=1.0, max_epochs=1, **clip)
    model.fit(X, y)  # two SGD steps (48 samples, batches of 32)
    after = model.net_.module_.state_dict()
    # Bounds up to float32 rounding of the weights (about 1e-7 here).
    change = [after[name] - value for name, value in before.items()]
    if "clip_norm" in clip:
        assert float(torch.nn.utils.get_total_norm(change)) <= 2 * 1e-3 + 1e-6
    else:
        assert max(float(c.abs().max()) for c in change) <= 2 * 1e-4 + 1e-6
    assert model.history_[-1, "clipped_fraction"] == 1.0


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_valid_score_is_the_score_on_the_validation_tail(data, Estimator):
    X, y = data
    target = y if Estimator is RNNClassifier else X[:, :, 0].sum(axis=1)
    model = Estimator(
        early_stopping=True, validation_fraction=0.25, n_iter_no_change=5, **TINY
    ).fit(X, target)
    # Early stopping restores the weights of the epoch with the best valid_loss.
    best = min(model.history_, key=lambda row: row["valid_loss"])
    tail = slice(len(X) - 12, None)
    assert best["valid_score"] == pytest.approx(model.score(X[tail], target[tail]))


class _FakeNet:
    def __init__(self):
        self.records = {}
        self.history = self

    def record(self, key, value):
        self.records[key] = value


def _run_epoch(callback, batches):
    net = _FakeNet()
    callback.on_epoch_begin(net)
    for y_pred, y_true, training in batches:
        batch = ({"X": None}, torch.as_tensor(y_true))
        callback.on_batch_end(
            net, batch=batch, training=training, y_pred=torch.as_tensor(y_pred)
        )
    callback.on_epoch_end(net)
    return net.records


def test_score_monitor_matches_sklearn_over_batches():
    rng = np.random.default_rng(1)
    # Binary: one logit against 0/1 targets of shape (n, 1).
    logits, labels = rng.normal(size=(30, 1)), rng.integers(0, 2, (30, 1))
    batches = [(logits[i : i + 8], labels[i : i + 8], True) for i in (0, 8, 16, 24)]
    records = _run_epoch(ScoreMonitor("accuracy"), batches)
    expected = accuracy_score(labels[:, 0], (logits[:, 0] > 0).astype(int))
    assert records == {"train_score": pytest.approx(expected)}
    # Multiclass: several logits against integer codes.
    logits, codes = rng.normal(size=(30, 4)), rng.integers(0, 4, 30)
    batches = [(logits[i : i + 7], codes[i : i + 7], False) for i in range(0, 30, 7)]
    records = _run_epoch(ScoreMonitor("accuracy"), batches)
    expected = accuracy_score(codes, logits.argmax(axis=1))
    assert records == {"valid_score": pytest.approx(expected)}
    # Regression, two outputs, uniform average as RegressorMixin.score.
    y_true = rng.normal(size=(30, 2))
    y_pred = y_true + rng.normal(scale=0.5, size=(30, 2))
    batches = [(y_pred[i : i + 9], y_true[i : i + 9], True) for i in range(0, 30, 9)]
    records = _run_epoch(ScoreMonitor("r2"), batches)
    assert records["train_score"] == pytest.approx(r2_score(y_true, y_pred))
    # Edge cases as r2_score: a constant target, and one sample (NaN, silently).
    constant = np.ones((4, 1))
    for y_pred, expected in ((constant, 1.0), (constant + 1, 0.0)):
        records = _run_epoch(ScoreMonitor("r2"), [(y_pred, constant, True)])
        assert records["train_score"] == expected
    records = _run_epoch(ScoreMonitor("r2"), [(np.ones((1, 1)), np.zeros(1), True)])
    assert np.isnan(records["train_score"])


# -- gradient flow ---------------------------------------------------------------


@pytest.mark.parametrize("init", ["pytorch", "keras"])
def test_simple_rnn_gradient_vanishes_faster_than_lstm(init):
    X = np.random.default_rng(0).normal(size=(8, 200, 1))
    ratio = {}
    for cell in ("rnn", "lstm"):
        model = RNNRegressor(cell=cell, init=init, hidden_size=16, random_state=0)
        flow = gradient_flow(model, X)
        assert flow.shape == (200,)
        assert np.all(flow > 0)  # float64: no underflow to exactly zero
        ratio[cell] = flow[0] / flow[-1]
    assert ratio["rnn"] < ratio["lstm"] < 1
    # Decays, not just differs: far below 1 after 200 steps for SimpleRNN.
    assert ratio["rnn"] < 1e-6


def test_unfitted_flow_uses_the_initial_weights_of_fit(data):
    X, y = data
    flow = gradient_flow(RNNClassifier(random_state=3), X, y)
    assert np.array_equal(flow, gradient_flow(RNNClassifier(random_state=3), X, y))
    assert not np.array_equal(flow, gradient_flow(RNNClassifier(random_state=4), X, y))


def _naive_flow(module, X, y):
    """One sequence at a time, float64, summed squared error on the outputs."""
    module = copy.deepcopy(module).double().eval()
    norms = []
    for x, target in zip(X, y, strict=True):
        x = torch.tensor(x[None], dtype=torch.float64, requires_grad=True)
        out = module(x, torch.tensor([len(x[0])]))
        ((out - target) ** 2).sum().backward()
        norms.append(x.grad[0].norm(dim=1).numpy())
    return norms


def test_fitted_flow_matches_a_naive_loop_on_ragged_data(fitted_regressor):
    rng = np.random.default_rng(5)
    # float32, as the estimators store sequences; the flow itself is float64.
    X = [rng.normal(size=(t, 2)).astype(np.float32) for t in (3, 7, 5, 7)]
    y = rng.normal(size=4)
    model = fitted_regressor
    encoded = ((y - model.y_mean_[0]) / model.y_scale_[0]).astype(np.float32)
    naive = _naive_flow(model.net_.module_, X, encoded)
    for align in ("start", "end"):
        padded = np.full((4, 7), np.nan)
        for row, norms in enumerate(naive):
            if align == "start":
                padded[row, : len(norms)] = norms
            else:
                padded[row, 7 - len(norms) :] = norms
        flow = gradient_flow(model, X, y, align=align)
        np.testing.assert_allclose(flow, np.nanmean(padded, axis=0), rtol=1e-10)


def test_gradient_flow_leaves_the_estimator_unchanged(fitted_regressor, data):
    X, _ = data
    module = fitted_regressor.net_.module_
    before = copy.deepcopy(module.state_dict())
    gradient_flow(fitted_regressor, X)
    for name, value in module.state_dict().items():
        assert value.dtype == torch.float32
        assert torch.equal(value, before[name])
        assert value.grad is None


def test_gradient_flow_on_token_ids():
    X = np.array([[5, 3, 2, 0, 0], [2, 2, 4, 6, 1]])
    flow = gradient_flow(RNNClassifier(random_state=0), X, ["a", "b"])
    assert flow.shape == (5,)
    assert np.all(np.isfinite(flow)) and np.all(flow > 0)


def test_gradient_flow_rejects_an_unknown_align(data):
    with pytest.raises(ValueError, match="align must be 'start' or 'end'"):
        gradient_flow(RNNClassifier(), data[0], align="middle")


# -- parameter counts ------------------------------------------------------------


def test_count_parameters_fitted_and_fresh(fitted_regressor, data):
    X, _ = data
    module = fitted_regressor.net_.module_
    n = sum(p.numel() for p in module.parameters())
    assert count_parameters(fitted_regressor) == n
    fresh = RNNRegressor(cell="gru", hidden_size=4)
    assert count_parameters(fresh, X, X.sum(axis=(1, 2))) == n
    # 4 gates of 3 blocks for LSTM, 3 for GRU, plus the same head.
    lstm = count_parameters(RNNRegressor(cell="lstm", hidden_size=4), X)
    assert lstm - 5 == (n - 5) * 4 // 3


def test_count_parameters_needs_x_for_an_unfitted_estimator():
    with pytest.raises(ValueError, match="count_parameters needs X for an unfitted"):
        count_parameters(RNNClassifier())


# -- plots -----------------------------------------------------------------------


def test_plots_need_matplotlib(fitted_regressor, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(fitted_regressor)


def test_plots_need_a_fitted_estimator():
    with pytest.raises(ValueError, match="needs a fitted estimator"):
        plot_gradient_norms(RNNClassifier())


def test_plots(fitted_regressor, data):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        loss_ax, score_ax = plot_history(fitted_regressor)
        assert [line.get_label() for line in loss_ax.get_lines()] == ["train_loss"]
        assert len(score_ax.get_lines()[0].get_xdata()) == 3
        ax = plot_gradient_norms(fitted_regressor)
        assert ax.get_yscale() == "log"
        assert len(ax.right_ax.get_lines()) == 1
        flows = {"gru": gradient_flow(fitted_regressor, data[0])}
        ax = plot_gradient_flow(flows)
        assert ax.get_legend().get_texts()[0].get_text() == "gru"
    finally:
        plt.close("all")
