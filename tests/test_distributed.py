"""Hyperparameter search on a real Dask cluster (worker processes on loopback).

Needs the ``dask`` extra (``pip install sksequence[dask]``); skipped without it.
"""

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sksequence import RNNClassifier

distributed = pytest.importorskip("distributed")

GRID = {"cell": ["rnn", "gru"], "clip_norm": [None, 0.1]}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(48, 6, 2)).astype(np.float32)
    y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    return X, y


def _search():
    estimator = RNNClassifier(hidden_size=6, max_epochs=3, lr=0.05, random_state=0)
    # Log loss, not accuracy: clipping changes it even where no label flips,
    # so the candidates' scores differ and the comparison means something.
    return GridSearchCV(estimator, GRID, cv=2, scoring="neg_log_loss", n_jobs=-1)


def test_workers_are_processes_with_one_torch_thread(client):
    """Dask's nanny sets OMP_NUM_THREADS=1 in every worker process, so torch
    runs one intra-op thread per task and workers do not oversubscribe."""
    threads = client.run(torch.get_num_threads)
    assert len(threads) == 2
    assert set(threads.values()) == {1}
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2


def test_fitted_estimator_travels_both_ways(client, data):
    X, y = data
    estimator = RNNClassifier(hidden_size=6, max_epochs=2, random_state=0)
    remote = client.submit(clone(estimator).fit, X, y).result()
    local = clone(estimator).fit(X, y)
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
    remote_proba = client.submit(local.predict_proba, X).result()
    np.testing.assert_array_equal(remote_proba, local.predict_proba(X))


def test_grid_search_on_dask_matches_local(client, data):
    X, y = data
    local = _search().set_params(n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = _search().fit(X, y)
    scores = local.cv_results_["mean_test_score"]
    assert len(set(scores.round(6))) == len(scores)  # no ties to hide behind
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
