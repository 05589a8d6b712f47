"""Shared fixtures: one torch thread, tiny float32 datasets, fixed seeds."""

import numpy as np
import pytest
import torch

# Small recurrent models gain nothing from a second thread on 2 cores and
# measured up to 6x slower under load; pin one for stable, fast tests.
torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def ragged_classification():
    """60 univariate-pair sequences of length 3 to 12; label = sign of a sum."""
    rng = np.random.default_rng(42)
    X = [
        rng.normal(size=(int(t), 2)).astype(np.float32) for t in rng.integers(3, 13, 60)
    ]
    y = np.array(["pos" if x[:, 0].sum() > 0 else "neg" for x in X])
    return X, y
