"""Padding never changes an answer, for every cell, direction and pooling."""

import numpy as np
import pytest

from sksequence import RNNClassifier, RNNRegressor, check_sequences
from sksequence._module import POOLINGS


def _ragged(rng, n=9, n_features=3, low=1, high=11):
    lengths = rng.integers(low, high, n)
    return [rng.normal(size=(int(t), n_features)).astype(np.float32) for t in lengths]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_ragged_batch_equals_each_sequence_alone(cell, bidirectional, pooling):
    rng = np.random.default_rng(1)
    X = _ragged(rng)
    y = rng.normal(size=len(X))
    reg = RNNRegressor(
        cell=cell,
        num_layers=2,
        bidirectional=bidirectional,
        pooling=pooling,
        hidden_size=6,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    together = reg.predict(X)
    alone = np.array([reg.predict([x])[0] for x in X])
    assert np.max(np.abs(together - alone)) < 1e-5


def test_nan_padding_pre_and_post_equals_ragged():
    rng = np.random.default_rng(2)
    X = _ragged(rng, n=6, n_features=2)
    width = max(map(len, X)) + 2
    pre = np.full((len(X), width, 2), np.nan, dtype=np.float32)
    post = pre.copy()
    for i, x in enumerate(X):
        pre[i, width - len(x) :] = x
        post[i, : len(x)] = x
    y = rng.integers(0, 3, len(X))
    clf = RNNClassifier(hidden_size=5, max_epochs=2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_allclose(clf.predict_proba(pre), expected, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(post), expected, atol=1e-6)


def test_token_padding_pre_post_and_alone_agree():
    rng = np.random.default_rng(3)
    docs = [rng.integers(2, 20, int(t)) for t in rng.integers(1, 9, 8)]
    width = 10
    pre = np.zeros((len(docs), width), dtype=np.int64)
    post = np.zeros_like(pre)
    for i, d in enumerate(docs):
        pre[i, width - len(d) :] = d
        post[i, : len(d)] = d
    y = rng.integers(0, 2, len(docs))
    clf = RNNClassifier(
        cell="gru", bidirectional=True, hidden_size=4, embedding_dim=3, max_epochs=2
    ).fit(pre, y)
    expected = clf.predict_proba(pre)
    np.testing.assert_allclose(clf.predict_proba(post), expected, atol=1e-6)
    alone = np.vstack([clf.predict_proba(d[None, :]) for d in docs])
    np.testing.assert_allclose(alone, expected, atol=1e-6)


def test_check_sequences_moves_padding_after_the_valid_part():
    X = np.array(
        [[[np.nan], [1.0], [2.0]], [[3.0], [np.nan], [np.nan]]], dtype=np.float32
    )
    seqs = check_sequences(X)
    assert seqs.lengths.tolist() == [2, 1]
    np.testing.assert_array_equal(seqs.values[:, :, 0], [[1.0, 2.0], [3.0, 0.0]])


def test_check_sequences_skips_zero_tokens_like_keras_mask_zero():
    seqs = check_sequences(np.array([[0, 5, 0, 7], [0, 0, 0, 0]]))
    assert seqs.lengths.tolist() == [2, 1]  # an empty document is one pad step
    np.testing.assert_array_equal(seqs.values, [[5, 7], [0, 0]])


def test_float_input_without_padding_is_not_copied():
    X = np.ones((4, 5, 2), dtype=np.float32)
    assert check_sequences(X).values is X


def test_post_padded_token_ids_are_not_copied():
    X = np.array([[4, 5, 0], [6, 0, 0]], dtype=np.int64)
    seqs = check_sequences(X)
    assert np.shares_memory(seqs.values, X)
    assert seqs.lengths.tolist() == [2, 1]


def _naive_tokens(X):
    """Each row's non-zero ids in order (an empty row: one 0), post-padded."""
    rows = [[t for t in row if t != 0] or [0] for row in X.tolist()]
    width = max(len(row) for row in rows)
    return np.array([row + [0] * (width - len(row)) for row in rows])


@pytest.mark.parametrize("layout", ["pre", "interior"])
@pytest.mark.parametrize("chunk", [3, 1024])
def test_token_ids_are_compacted_like_a_naive_loop(layout, chunk, monkeypatch):
    """Pre-padded rows are shifted, others sorted; chunk borders change nothing."""
    monkeypatch.setattr("sksequence._sequences._CHUNK_ROWS", chunk)
    rng = np.random.default_rng(0)
    X = np.zeros((10, 8), dtype=np.int64)
    for row, length in enumerate(rng.integers(0, 7, len(X))):
        X[row, 8 - length :] = rng.integers(1, 50, length)  # pre-padded
    if layout == "interior":
        X[2, 7] = 0
        X[4, 3] = 9  # zeros on both sides of it
    seqs = check_sequences(X)
    expected = _naive_tokens(X)
    np.testing.assert_array_equal(seqs.values, expected)
    assert seqs.lengths.tolist() == [max(int(np.sum(r != 0)), 1) for r in X]


def test_attention_weights_sum_to_one_and_ignore_padding():
    rng = np.random.default_rng(5)
    X = _ragged(rng, n=7, n_features=2)
    y = rng.normal(size=len(X))
    for bidirectional in (False, True):
        reg = RNNRegressor(
            pooling="attention",
            bidirectional=bidirectional,
            hidden_size=5,
            max_epochs=2,
            random_state=0,
        ).fit(X, y)
        weights = reg.attention_weights(X)
        for w, x in zip(weights, X, strict=True):
            assert w.shape == (len(x),)
            assert np.all(w >= 0) and abs(w.sum() - 1) < 1e-6
        # Inside the module, padded steps get exactly 0.
        seqs = check_sequences(X)
        import torch

        raw = reg.net_.module_.attention_weights(
            torch.from_numpy(seqs.values), torch.from_numpy(seqs.lengths)
        )
        padding = np.arange(raw.shape[1])[None, :] >= seqs.lengths[:, None]
        assert np.all(raw.detach().numpy()[padding] == 0)
        alone = [reg.attention_weights([x])[0] for x in X]
        for a, w in zip(alone, weights, strict=True):
            np.testing.assert_allclose(a, w, atol=1e-6)


def test_attention_weights_need_attention_pooling():
    reg = RNNRegressor(hidden_size=3, max_epochs=1).fit(np.ones((3, 4)), [1.0, 2, 3])
    with pytest.raises(
        ValueError, match="needs a model fitted with pooling='attention'"
    ):
        reg.attention_weights(np.ones((3, 4)))
