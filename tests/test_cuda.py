"""GPU end to end: training, prediction, persistence and multi-GPU searches.

Skipped on machines without CUDA (CI); run them on a GPU machine with
``pytest tests/test_cuda.py``.
"""

import os

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from sksequence import RNNClassifier, RNNRegressor
from sksequence.persistence import load, save

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"
)

TINY = {"hidden_size": 8, "max_epochs": 3, "lr": 0.01, "random_state": 0}


@pytest.fixture(scope="module")
def ragged():
    rng = np.random.default_rng(0)
    X = [
        rng.normal(size=(int(t), 2)).astype(np.float32) for t in rng.integers(2, 9, 40)
    ]
    y = np.array(["pos" if x[:, 0].sum() > 0 else "neg" for x in X])
    return X, y


@pytest.fixture(scope="module")
def gpu_classifier(ragged):
    clf = RNNClassifier(cell="lstm", bidirectional=True, device="cuda", **TINY)
    return clf.fit(*ragged)


def test_fit_predict_on_cuda(gpu_classifier, ragged):
    X, _ = ragged
    assert gpu_classifier.device_ == "cuda"
    assert all(p.is_cuda for p in gpu_classifier.net_.module_.parameters())
    proba = gpu_classifier.predict_proba(X)
    assert isinstance(proba, np.ndarray)
    assert proba.shape == (40, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert gpu_classifier.predict(X).dtype == np.asarray(ragged[1]).dtype


def test_padding_never_changes_an_answer_on_cuda(gpu_classifier, ragged):
    X, _ = ragged
    batch = gpu_classifier.predict_proba(X)
    alone = np.vstack([gpu_classifier.predict_proba([x]) for x in X[:8]])
    np.testing.assert_allclose(alone, batch[:8], atol=1e-5)


def test_auto_picks_the_gpu(ragged):
    X, _ = ragged
    reg = RNNRegressor(cell="gru", device="auto", **TINY)
    reg.fit(X, np.array([x.sum() for x in X]))
    assert reg.device_ == "cuda"
    assert isinstance(reg.predict(X), np.ndarray)


def test_warm_start_on_cuda(gpu_classifier, ragged):
    X, y = ragged
    n_epochs = len(gpu_classifier.history_)
    gpu_classifier.partial_fit(X, y)
    assert len(gpu_classifier.history_) == n_epochs + 1
    assert gpu_classifier.device_ == "cuda"


def test_cuda_model_saves_and_loads_on_cpu(gpu_classifier, ragged, tmp_path):
    X, _ = ragged
    path = tmp_path / "gpu.safetensors"
    save(gpu_classifier, path)
    on_gpu = load(path)
    assert on_gpu.device_ == "cuda"
    np.testing.assert_array_equal(
        on_gpu.predict_proba(X), gpu_classifier.predict_proba(X)
    )
    on_cpu = load(path, device="cpu")
    assert on_cpu.device_ == "cpu"
    assert not any(p.is_cuda for p in on_cpu.net_.module_.parameters())
    np.testing.assert_allclose(
        on_cpu.predict_proba(X), gpu_classifier.predict_proba(X), atol=1e-5
    )


def test_cuda_model_on_a_cpu_only_machine(
    gpu_classifier, ragged, tmp_path, monkeypatch
):
    X, _ = ragged
    path = tmp_path / "gpu.safetensors"
    save(gpu_classifier, path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load(path)
    assert loaded.device_ == "cpu"
    np.testing.assert_allclose(
        loaded.predict_proba(X), gpu_classifier.predict_proba(X), atol=1e-5
    )


def test_pickled_cuda_model_round_trips(gpu_classifier, ragged):
    import pickle

    X, _ = ragged
    loaded = pickle.loads(pickle.dumps(gpu_classifier))
    np.testing.assert_array_equal(
        loaded.predict_proba(X), gpu_classifier.predict_proba(X)
    )


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 or more GPUs")
def test_search_spreads_over_gpus(ragged):
    """The documented recipe: one Dask worker per GPU, each seeing only its own."""
    distributed = pytest.importorskip("distributed")
    import joblib

    n_gpus = torch.cuda.device_count()
    workers = {
        f"gpu-{i}": {
            "cls": distributed.Nanny,
            "options": {
                "nthreads": 1,
                "host": "127.0.0.1",
                "env": {"CUDA_VISIBLE_DEVICES": str(i)},
            },
        }
        for i in range(n_gpus)
    }
    scheduler = {
        "cls": distributed.Scheduler,
        "options": {"host": "127.0.0.1", "dashboard_address": None},
    }
    X, y = ragged
    search = GridSearchCV(
        RNNClassifier(device="cuda", **TINY),
        {"cell": ["rnn", "lstm", "gru"], "clip_norm": [None, 1.0]},
        cv=2,
        n_jobs=-1,
    )
    cluster = distributed.SpecCluster(workers=workers, scheduler=scheduler)
    with cluster, distributed.Client(cluster) as client:
        seen = client.run(lambda: os.environ["CUDA_VISIBLE_DEVICES"])
        assert sorted(seen.values()) == [str(i) for i in range(n_gpus)]
        uuids = client.run(lambda: str(torch.cuda.get_device_properties(0).uuid))
        assert len(set(uuids.values())) == n_gpus
        with joblib.parallel_backend("dask"):
            search.fit(X, y)
    assert search.best_estimator_.device_ == "cuda"
