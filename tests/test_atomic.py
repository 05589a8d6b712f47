"""Fault injection: a fit that does not finish leaves the estimator as it was.

An exception, a MemoryError, a KeyboardInterrupt (Ctrl-C) and a loss that
explodes while staying finite are injected mid-epoch into fresh refits,
warm-start refits and ``partial_fit``; afterwards predictions are
bit-identical to the ones before, and the history, optimizer state and
fitted attributes are unchanged.
"""

import copy
import threading

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold

from sksequence import RNNClassifier, RNNRegressor, TrainingDivergedError
from sksequence._training import SequenceNet

TINY = {"hidden_size": 6, "max_epochs": 3, "batch_size": 8, "random_state": 0}


def _data(rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    return X, X.sum(axis=(1, 2))


def _labels(y):
    return np.where(y > 0, "up", "down")


class Fault:
    """Replace ``SequenceNet.train_step`` so that its 3rd call misbehaves."""

    def __init__(self, kind):
        self.kind = kind
        self.calls = 0

    def __call__(self, original):
        def train_step(net, batch, **fit_params):
            self.calls += 1
            step = original(net, batch, **fit_params)
            if self.calls == 3:
                if self.kind == "explosion":
                    # Finite, but 1e30 times the start: LossMonitor's case.
                    return {**step, "loss": step["loss"] * 1e30}
                raise {
                    "exception": RuntimeError("injected fault"),
                    "memory": MemoryError("injected out of memory"),
                    "interrupt": KeyboardInterrupt(),
                }[self.kind]
            return step

        return train_step


RAISED = {
    "exception": RuntimeError,
    "memory": MemoryError,
    "interrupt": KeyboardInterrupt,
    "explosion": TrainingDivergedError,
}


def _state(estimator):
    """Everything a failed fit must not change."""
    net = estimator.net_
    return {
        "weights": {k: v.clone() for k, v in net.module_.state_dict().items()},
        "optimizer": copy.deepcopy(net.optimizer_.state_dict()),
        "history": net.history_.to_list(),
        # Fitted state only: the test changes parameters on purpose.
        "attributes": {
            k: copy.deepcopy(v)
            for k, v in vars(estimator).items()
            if k != "net_" and k not in estimator.get_params(deep=False)
        },
        "net": net,
    }


def _assert_same_state(before, after):
    assert after["net"] is before["net"]
    assert before["weights"].keys() == after["weights"].keys()
    for key, value in before["weights"].items():
        assert torch.equal(value, after["weights"][key]), key
    assert str(before["optimizer"]) == str(after["optimizer"])
    assert before["history"] == after["history"]
    assert before["attributes"].keys() == after["attributes"].keys()
    for key, value in before["attributes"].items():
        np.testing.assert_equal(after["attributes"][key], value)


@pytest.mark.parametrize("kind", list(RAISED))
@pytest.mark.parametrize("mode", ["refit", "warm_start", "partial_fit"])
@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_failed_fit_leaves_the_fitted_model_unchanged(
    Estimator, mode, kind, monkeypatch
):
    X, y = _data()
    if Estimator is RNNClassifier:
        y = _labels(y)
    estimator = Estimator(**TINY).fit(X, y)
    predictions = estimator.predict(X)
    before = _state(estimator)
    fault = Fault(kind)
    monkeypatch.setattr(SequenceNet, "train_step", fault(SequenceNet.train_step))
    with pytest.raises(RAISED[kind]):
        if mode == "partial_fit":
            estimator.partial_fit(X, y)
        else:
            estimator.set_params(warm_start=mode == "warm_start").fit(X, y)
    assert fault.calls == 3
    monkeypatch.undo()
    _assert_same_state(before, _state(estimator))
    np.testing.assert_array_equal(estimator.predict(X), predictions)
    # And the model still trains normally afterwards.
    estimator.set_params(warm_start=True).fit(X, y)
    assert len(estimator.history_) == len(before["history"]) + TINY["max_epochs"]


@pytest.mark.parametrize("kind", list(RAISED))
def test_failed_first_fit_leaves_the_estimator_unfitted(kind, monkeypatch):
    X, y = _data()
    estimator = RNNRegressor(**TINY)
    monkeypatch.setattr(SequenceNet, "train_step", Fault(kind)(SequenceNet.train_step))
    with pytest.raises(RAISED[kind]):
        estimator.fit(X, y)
    assert not [k for k in vars(estimator) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        estimator.predict(X)


def test_finite_explosion_is_caught_with_advice():
    """SGD at lr=1e6: the loss explodes (1.5 -> 1e11) but stays finite."""
    X, y = _data()
    good = RNNRegressor(**TINY).fit(X, y)
    predictions = good.predict(X)
    with pytest.raises(
        TrainingDivergedError,
        match=r"training loss rose to .* times its start .* Clip the gradients .*"
        r"lower the learning rate.*left as it was before this fit",
    ):
        good.set_params(optimizer="sgd", lr=1e6, warm_start=True).fit(X, y)
    np.testing.assert_array_equal(good.predict(X), predictions)
    with pytest.raises(TrainingDivergedError, match="training loss rose"):
        RNNRegressor(**TINY, optimizer="sgd", lr=1e6).fit(X, y)


def test_healthy_runs_never_trip_the_explosion_check():
    X, y = _data()
    for lr in (1e-3, 1e-2, 1e-1):
        RNNRegressor(**TINY, lr=lr).fit(X, y * 1e6)
        RNNClassifier(**TINY, lr=lr).fit(X, _labels(y))


def test_early_stopping_still_ends_a_fit_normally():
    """skorch's EarlyStopping stops with KeyboardInterrupt; ours is not Ctrl-C."""
    X, y = _data()
    reg = RNNRegressor(
        **{**TINY, "max_epochs": 200},
        early_stopping=True,
        n_iter_no_change=2,
        tol=10.0,
    ).fit(X, y)
    assert reg.n_iter_ < 200


# -- architecture changes under warm start -----------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"cell": "gru", "hidden_size": 5},
            r"cell: 'lstm' -> 'gru', hidden_size: 6 -> 5",
        ),
        ({"num_layers": 2}, r"num_layers: 1 -> 2"),
        ({"bidirectional": True}, r"bidirectional: False -> True"),
        ({"pooling": "max"}, r"pooling: 'last' -> 'max'"),
    ],
)
def test_warm_start_refuses_architecture_changes(params, match):
    X, y = _data()
    reg = RNNRegressor(**TINY).fit(X, y)
    predictions = reg.predict(X)
    reg.set_params(warm_start=True, **params)
    with pytest.raises(ValueError, match=f"warm_start=True continues .*{match}"):
        reg.fit(X, y)
    with pytest.raises(ValueError, match="Set warm_start=False to train a new"):
        reg.partial_fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), predictions)
    reg.set_params(warm_start=False).fit(X, y)  # a fresh fit takes the change
    assert reg.module_params_["hidden_size"] == params.get("hidden_size", 6)


def test_warm_start_embedding_dim_change_is_refused_for_tokens():
    X = np.random.default_rng(0).integers(1, 20, size=(30, 6))
    y = X.sum(axis=1).astype(float)
    reg = RNNRegressor(**TINY, embedding_dim=4).fit(X, y)
    with pytest.raises(ValueError, match="embedding_dim: 4 -> 8"):
        reg.set_params(warm_start=True, embedding_dim=8).fit(X, y)
    # For float input the embedding does not exist: nothing to refuse.
    Xf, yf = _data()
    RNNRegressor(**TINY).fit(Xf, yf).set_params(warm_start=True, embedding_dim=8).fit(
        Xf, yf
    )


def test_warm_start_applies_a_new_dropout():
    X, y = _data()
    reg = RNNRegressor(**{**TINY, "num_layers": 2}).fit(X, y)
    reg.set_params(warm_start=True, dropout=0.3).fit(X, y)
    module = reg.net_.module_
    assert module.dropout.p == 0.3 and module.rnn.dropout == 0.3
    assert reg.module_params_["dropout"] == 0.3


def test_saved_after_set_params_still_loads(tmp_path):
    """The file describes the trained network, not the changed parameters."""
    from sksequence.persistence import load, save

    X, y = _data()
    reg = RNNRegressor(**TINY).fit(X, y)
    reg.set_params(cell="gru", hidden_size=3, optimizer="sgd")
    save(reg, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.get_params()["cell"] == "gru"


# -- reproducibility under thread-based parallelism ---------------------------


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_seeded_search_is_reproducible_under_threads(dropout):
    X, y = _data()
    search = GridSearchCV(
        RNNRegressor(**{**TINY, "num_layers": 2}, dropout=dropout),
        {"hidden_size": [4, 6], "lr": [1e-3, 1e-2]},
        cv=KFold(2),
        n_jobs=2,
    )
    runs = []
    for _ in range(3):
        with parallel_backend("threading", n_jobs=2):
            search.fit(X, y)
        runs.append(search.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])
    # ... and equal to the same search run sequentially.
    sequential = search.set_params(n_jobs=1).fit(X, y).cv_results_["mean_test_score"]
    np.testing.assert_array_equal(runs[0], sequential)


def test_fits_in_threads_leave_the_global_rng_alone():
    X, y = _data()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    threads = [
        threading.Thread(target=RNNRegressor(**TINY, dropout=0.2).fit, args=(X, y))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torch.equal(torch.rand(3), expected)
