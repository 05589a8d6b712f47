"""Correctness of the training plumbing that the speed work touched.

Length buckets, whole-batch indexing, views for the validation split, the
trimmed per-batch work of SequenceNet and GradientMonitor: each is checked
against a naive reference (no timings here; see benchmarks/).
"""

import copy
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from sksequence import RNNClassifier, RNNRegressor, TrainingDivergedError
from sksequence._callbacks import GradientMonitor, _total_norm
from sksequence._module import RNNModule
from sksequence._training import (
    POOL_BATCHES,
    BucketIterator,
    SequenceDataset,
    SequenceNet,
    TailSplit,
)


def _ragged_dataset(n=300, max_len=40, n_features=2, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len + 1, n)
    values = np.zeros((n, max_len, n_features), dtype=np.float32)
    for row, length in enumerate(lengths):
        values[row, :length] = rng.normal(size=(length, n_features))
    y = (values[:, :, 0].sum(axis=1) > 0).astype(np.float32)[:, None]
    return SequenceDataset(values, lengths, y)


# -- BucketIterator ------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_row_once_per_epoch(shuffle):
    dataset = _ragged_dataset()
    iterator = BucketIterator(dataset, batch_size=16, shuffle=shuffle, seed=0)
    for _ in range(2):
        rows = np.concatenate(iterator.batches())
        assert np.array_equal(np.sort(rows), np.arange(len(dataset)))
    assert len(list(iterator)) == len(iterator) == -(-len(dataset) // 16)


def test_batches_match_naive_indexing():
    """Each batch is the rows of the data, cut to the batch's longest member."""
    dataset = _ragged_dataset()
    iterator = BucketIterator(dataset, batch_size=16, shuffle=True, seed=3)
    expected = BucketIterator(dataset, batch_size=16, shuffle=True, seed=3).batches()
    for (X, y), rows in zip(iterator, expected, strict=True):
        width = int(dataset.lengths[rows].max())
        assert X["X"].shape == (len(rows), width, 2)
        for i, row in enumerate(rows):
            assert torch.equal(X["X"][i], dataset.values[row, :width])
            assert X["lengths"][i] == dataset.lengths[row]
            assert torch.equal(y[i], dataset.y[row])


def test_equal_lengths_is_a_plain_shuffled_split():
    """With one length, buckets are consecutive chunks of a permutation."""
    dataset = SequenceDataset(
        np.zeros((100, 5, 1), np.float32), np.full(100, 5), np.zeros(100)
    )
    iterator = BucketIterator(dataset, batch_size=8, shuffle=True, seed=1)
    permutation = np.random.default_rng(1).permutation(100)
    chunks = {tuple(permutation[i : i + 8]) for i in range(0, 100, 8)}
    assert {tuple(rows) for rows in iterator.batches()} == chunks


def test_same_seed_same_batches_new_order_each_epoch():
    dataset = _ragged_dataset()
    first = BucketIterator(dataset, batch_size=16, shuffle=True, seed=7)
    second = BucketIterator(dataset, batch_size=16, shuffle=True, seed=7)
    epoch_1 = first.batches()
    assert all(
        np.array_equal(a, b) for a, b in zip(epoch_1, second.batches(), strict=True)
    )
    assert not all(
        np.array_equal(a, b) for a, b in zip(epoch_1, first.batches(), strict=True)
    )


def test_buckets_pad_less_than_random_batches():
    dataset = _ragged_dataset(n=32 * POOL_BATCHES)
    lengths = dataset.lengths.numpy()
    batches = BucketIterator(dataset, batch_size=32, shuffle=True, seed=0).batches()
    bucketed = sum(len(b) * lengths[b].max() for b in batches)
    permutation = np.random.default_rng(0).permutation(len(lengths))
    random = sum(
        len(b) * lengths[b].max() for b in np.array_split(permutation, len(batches))
    )
    assert bucketed < 0.7 * random
    assert bucketed <= 1.1 * lengths.sum()


# -- TailSplit ------------------------------------------------------------------


def test_tail_split_gives_views_of_the_data():
    dataset = _ragged_dataset(n=50)
    train, valid = TailSplit(0.2, gap=3)(dataset)
    pointer = dataset.values.untyped_storage().data_ptr()
    assert train.values.untyped_storage().data_ptr() == pointer
    assert valid.values.untyped_storage().data_ptr() == pointer
    assert len(train) == 37 and len(valid) == 10
    assert torch.equal(valid.lengths, dataset.lengths[40:])
    width = int(dataset.lengths[40:].max())
    assert torch.equal(valid.values, dataset.values[40:, :width])
    X, y = valid.batch(torch.tensor([0, 9]))
    assert torch.equal(X["X"], dataset.values[[40, 49], : X["X"].shape[1]])
    assert torch.equal(y, dataset.y[[40, 49]])


def test_subset_with_index_array_still_works():
    dataset = _ragged_dataset(n=20)
    part = dataset.subset(np.array([3, 1, 4]))
    assert torch.equal(part.lengths, dataset.lengths[[3, 1, 4]])


# -- SequenceNet ----------------------------------------------------------------


def _net(module, iterator=BucketIterator, criterion=nn.BCEWithLogitsLoss, **params):
    return SequenceNet(
        module=module,
        criterion=criterion,
        criterion__reduction="none",
        optimizer=torch.optim.SGD,
        lr=0.1,
        max_epochs=2,
        batch_size=16,
        iterator_train=iterator,
        iterator_train__shuffle=True,
        iterator_train__seed=0,
        iterator_valid=BucketIterator,
        dataset=SequenceDataset,
        train_split=None,
        verbose=0,
        **params,
    )


class _FullWidth(BucketIterator):
    """The same batches as BucketIterator, padded to the full width."""

    def __iter__(self):
        for rows in self.batches():
            yield self.dataset.batch(
                torch.from_numpy(rows), self.dataset.values.shape[1]
            )


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_trimming_batches_does_not_change_what_is_learned(cell):
    """Cutting each batch to its longest member is exact: same weights."""
    dataset = _ragged_dataset()
    torch.manual_seed(0)
    module = RNNModule(2, 1, cell=cell, hidden_size=6, pooling="mean")
    trimmed = _net(copy.deepcopy(module)).fit(dataset)
    padded = _net(copy.deepcopy(module), iterator=_FullWidth).fit(dataset)
    for a, b in zip(
        trimmed.module_.parameters(), padded.module_.parameters(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_net_matches_a_hand_written_loop_over_the_same_batches():
    """The wrapper adds nothing to the optimisation itself."""
    dataset = _ragged_dataset()
    torch.manual_seed(0)
    module = RNNModule(2, 1, cell="lstm", hidden_size=6)
    net = _net(copy.deepcopy(module), callbacks=[("g", GradientMonitor())])
    net.fit(dataset)
    reference = copy.deepcopy(module)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    iterator = BucketIterator(dataset, batch_size=16, shuffle=True, seed=0)
    for _ in range(2):
        for rows in iterator.batches():
            X, y = dataset.batch(torch.from_numpy(rows))
            loss = nn.functional.binary_cross_entropy_with_logits(
                reference(X["X"], X["lengths"]), y
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    for a, b in zip(net.module_.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_get_loss_weights_and_averages():
    torch.manual_seed(0)
    net = _net(RNNModule(2, 3, hidden_size=4), criterion=nn.MSELoss).initialize()
    y_pred, y_true = torch.randn(5, 3), torch.randn(5, 3)
    weight = torch.rand(5)
    plain = net.get_loss(y_pred, y_true, X={"X": None})
    torch.testing.assert_close(plain, ((y_pred - y_true) ** 2).mean())
    weighted = net.get_loss(y_pred, y_true.numpy(), X={"sample_weight": weight})
    expected = (((y_pred - y_true) ** 2).mean(dim=1) * weight).mean()
    torch.testing.assert_close(weighted, expected)


def test_set_training_switches_modes_when_needed():
    module = RNNModule(2, 1, hidden_size=4, dropout=0.5, num_layers=2)
    net = _net(module).initialize()
    net.module_.eval()
    net._set_training(True)
    assert all(m.training for m in net.module_.modules())
    net._set_training(False)
    assert not any(m.training for m in net.module_.modules())


def test_total_norm_matches_torch():
    grads = [torch.randn(4, 3), torch.randn(7), torch.randn(2, 2, 2)]
    expected = torch.nn.utils.get_total_norm(grads)
    torch.testing.assert_close(_total_norm(grads), expected)
    assert float(_total_norm([])) == 0.0


def test_gradient_monitor_uses_one_flat_gradient_buffer():
    """Gradients stay views of one buffer across steps (zeroed in place)."""
    dataset = _ragged_dataset()
    torch.manual_seed(0)
    storages = []

    class Spy(GradientMonitor):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            super().on_grad_computed(net, named_parameters, **kwargs)
            flat = self._flat.untyped_storage().data_ptr()
            storages.append(
                {p.grad.untyped_storage().data_ptr() for p in self._params} == {flat}
            )
            self.last_norm = float(torch.linalg.vector_norm(self._flat))

    monitor = Spy(clip_norm=0.01)
    net = _net(RNNModule(2, 1, hidden_size=6), callbacks=[("g", monitor)])
    net.fit(dataset)
    assert len(storages) == 2 * 19 and all(storages)
    # Every step was clipped to the norm: the last gradient has it.
    assert monitor.last_norm == pytest.approx(0.01, rel=1e-3)
    assert net.history[-1, "clipped_fraction"] == 1.0
    # Released at the end of training.
    assert monitor._flat is None
    assert all(p.grad is None for p in net.module_.parameters())


@pytest.mark.parametrize("clip", [{"clip_norm": 0.05}, {"clip_value": 0.01}])
def test_flat_and_per_parameter_clipping_agree(clip):
    """The flat-buffer path and the fallback (grads set to None) clip alike."""
    dataset = _ragged_dataset()
    torch.manual_seed(0)
    module = RNNModule(2, 1, cell="gru", hidden_size=6)
    flat = _net(copy.deepcopy(module), callbacks=[("g", GradientMonitor(**clip))])
    flat.fit(dataset)

    class SetToNone(type(flat)):
        def _zero_grad_optimizer(self, set_to_none=None):
            for param in self.module_.parameters():
                param.grad = None

    loose = SetToNone(
        **{k: v for k, v in flat.get_params(deep=False).items() if k != "module"},
        module=copy.deepcopy(module),
    )
    loose.set_params(callbacks=[("g", GradientMonitor(**clip))]).fit(dataset)
    assert loose.history[-1, "grad_norm_mean"] == pytest.approx(
        flat.history[-1, "grad_norm_mean"], rel=1e-4
    )
    for a, b in zip(flat.module_.parameters(), loose.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("Model", [RNNClassifier, RNNRegressor])
def test_n_threads_applies_to_fit_and_predict_and_is_restored(Model):
    X = np.random.default_rng(0).normal(size=(20, 5, 2))
    y = np.arange(20) % 2
    before = torch.get_num_threads()
    wanted = 2 if before == 1 else 1
    model = Model(hidden_size=3, max_epochs=1, n_threads=wanted, random_state=0)
    seen = []
    model.fit(X, y)
    model.net_.module_.register_forward_pre_hook(
        lambda *_: seen.append(torch.get_num_threads())
    )
    model.predict(X)
    model.set_params(warm_start=True).fit(X, y)
    assert seen and set(seen) == {wanted}
    assert torch.get_num_threads() == before


def test_n_threads_is_restored_when_fit_fails():
    before = torch.get_num_threads()
    model = RNNRegressor(hidden_size=3, lr=1e30, max_epochs=3, n_threads=before + 1)
    X = np.random.default_rng(0).normal(size=(20, 5, 2)) * 1e10
    with pytest.raises(TrainingDivergedError):
        model.fit(X, X[:, 0, 0] * 1e20)
    assert torch.get_num_threads() == before


def test_warm_start_after_predict_trains_in_train_mode(ragged_classification):
    """predict() puts the module in eval mode; training must switch back."""
    X, y = ragged_classification
    model = RNNClassifier(
        hidden_size=4, dropout=0.5, num_layers=2, max_epochs=1, random_state=0
    )
    model.fit(X, y).predict(X)
    seen = []
    module = model.net_.module_
    handle = module.register_forward_pre_hook(lambda m, _: seen.append(m.training))
    model.set_params(warm_start=True).fit(X, y)
    handle.remove()
    assert seen and all(seen)


# -- padding invariance through the estimators ----------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_prediction_equals_each_sequence_alone(cell, bidirectional):
    rng = np.random.default_rng(0)
    X = [
        rng.normal(size=(int(t), 2)).astype(np.float32) for t in rng.integers(1, 30, 70)
    ]
    y = rng.normal(size=70)
    model = RNNRegressor(
        cell=cell,
        hidden_size=5,
        bidirectional=bidirectional,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    together = model.predict(X)
    alone = np.array([model.predict([x])[0] for x in X])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_same_seed_same_model_with_buckets(ragged_classification):
    X, y = ragged_classification
    params = {"hidden_size": 4, "max_epochs": 2, "batch_size": 8, "random_state": 3}
    first = RNNClassifier(**params).fit(X, y).predict_proba(X)
    second = RNNClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


# -- weight_decay ----------------------------------------------------------------


def _tiny_series(n=24, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 5, 2)).astype(np.float32)
    return X, X[:, :, 0].sum(axis=1)


def _decays(model):
    return [group["weight_decay"] for group in model.net_.optimizer_.param_groups]


@pytest.mark.parametrize(
    ("optimizer", "default"), [("adam", 0), ("adamw", 0.01), ("rmsprop", 0), ("sgd", 0)]
)
@pytest.mark.parametrize("Model", [RNNClassifier, RNNRegressor])
def test_weight_decay_reaches_the_torch_optimizer(Model, optimizer, default):
    X, y = _tiny_series()
    y = y > 0 if Model is RNNClassifier else y
    params = {"hidden_size": 3, "max_epochs": 1, "optimizer": optimizer}
    model = Model(weight_decay=0.25, random_state=0, **params).fit(X, y)
    assert _decays(model) == [0.25]
    model = Model(random_state=0, **params).fit(X, y)
    assert _decays(model) == [default]


def test_large_weight_decay_shrinks_the_weights():
    X, y = _tiny_series()

    def weight_norm(weight_decay):
        model = RNNRegressor(
            hidden_size=4,
            optimizer="sgd",
            lr=0.1,
            weight_decay=weight_decay,
            max_epochs=5,
            batch_size=8,
            random_state=0,
        ).fit(X, y)
        params = [p.detach().ravel() for p in model.net_.module_.parameters()]
        return float(torch.linalg.vector_norm(torch.cat(params)))

    assert weight_norm(1.0) < 0.5 * weight_norm(0.0)


@pytest.mark.parametrize("Model", [RNNClassifier, RNNRegressor])
def test_negative_weight_decay_is_rejected(Model):
    X, y = _tiny_series(n=6)
    with pytest.raises(ValueError, match="'weight_decay' parameter"):
        Model(weight_decay=-0.1, max_epochs=1).fit(X, y > 0)


@pytest.mark.parametrize(
    ("first", "second", "expected"), [(0.5, 0.1, 0.1), (0.5, None, 0.01)]
)
def test_warm_start_uses_the_new_weight_decay(first, second, expected):
    X, y = _tiny_series()
    model = RNNRegressor(
        hidden_size=3,
        max_epochs=1,
        optimizer="adamw",
        weight_decay=first,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    assert _decays(model) == [first]
    model.set_params(weight_decay=second).fit(X, y)
    assert _decays(model) == [expected]
    # The optimizer state was still carried over: AdamW kept counting steps.
    state = model.net_.optimizer_.state
    steps = {int(state[p]["step"]) for p in model.net_.module_.parameters()}
    assert steps == {2 * -(-len(X) // 32)}


# -- review fixes: buffer lifetime, frozen weights, warm start, references -------


def test_pickled_model_does_not_carry_the_gradient_buffer():
    X, y = _tiny_series()
    model = RNNRegressor(
        hidden_size=32, num_layers=2, bidirectional=True, max_epochs=1, random_state=0
    ).fit(X, y)
    weights = sum(p.numel() * 4 for p in model.net_.module_.parameters())
    monitor = dict(model.net_.callbacks_)["gradients"]
    assert monitor._flat is None  # released at the end of training
    # The weights, the optimizer's two moments and the last gradients, plus
    # bookkeeping: well under the 6x that one buffer copy per view gave.
    assert len(pickle.dumps(model)) < 4.5 * weights + 100_000


def test_frozen_parameters_stay_frozen():
    X, y = _tiny_series()
    model = RNNRegressor(
        hidden_size=3, optimizer="adamw", max_epochs=2, random_state=0
    ).fit(X, y)
    frozen = model.net_.module_.head.weight
    frozen.requires_grad_(False)
    before = frozen.detach().clone()
    model.set_params(warm_start=True).fit(X, y)
    torch.testing.assert_close(frozen, before, rtol=0, atol=0)


def test_failed_warm_start_leaves_history_and_optimizer_state_as_they_were():
    X, y = _tiny_series()
    model = RNNRegressor(hidden_size=3, max_epochs=2, random_state=0).fit(X, y)
    steps = [s["step"].item() for s in model.net_.optimizer_.state.values()]
    n_epochs = len(model.history_)
    model.set_params(warm_start=True, lr=1e30)
    with pytest.raises(TrainingDivergedError):
        model.fit(X * 1e10, y * 1e20)
    assert len(model.history_) == n_epochs
    assert [s["step"].item() for s in model.net_.optimizer_.state.values()] == steps


@pytest.mark.parametrize(
    "clip",
    [
        {"clip_norm": 0.05},
        {"clip_value": 0.01},
        {"clip_norm": 0.05, "clip_value": 0.002},
    ],
)
def test_clipping_matches_torch_clip_grad_functions(clip):
    """One step of the monitor = torch.nn.utils.clip_grad_norm_/value_."""
    dataset = _ragged_dataset(n=16)
    torch.manual_seed(0)
    module = RNNModule(2, 1, cell="lstm", hidden_size=5)
    net = _net(copy.deepcopy(module), callbacks=[("g", GradientMonitor(**clip))])
    net.set_params(max_epochs=1)
    net.fit(dataset)  # one batch of 16: one step
    reference = copy.deepcopy(module)
    X, y = dataset.batch(torch.arange(16))
    loss = nn.functional.binary_cross_entropy_with_logits(
        reference(X["X"], X["lengths"]), y
    )
    loss.backward()
    if "clip_norm" in clip:
        torch.nn.utils.clip_grad_norm_(reference.parameters(), clip["clip_norm"])
    if "clip_value" in clip:
        torch.nn.utils.clip_grad_value_(reference.parameters(), clip["clip_value"])
    with torch.no_grad():
        for param in reference.parameters():
            param -= 0.1 * param.grad
    for a, b in zip(net.module_.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_epoch_loop_records_what_skorch_records():
    """SequenceNet.run_single_epoch mirrors skorch's loop (same history keys)."""
    from skorch import NeuralNet

    dataset = _ragged_dataset(n=40)
    torch.manual_seed(0)
    ours = _net(RNNModule(2, 1, hidden_size=3)).set_params(max_epochs=1).fit(dataset)
    plain = NeuralNet(
        RNNModule(2, 1, hidden_size=3),
        criterion=nn.BCEWithLogitsLoss,
        max_epochs=1,
        batch_size=16,
        train_split=None,
        iterator_train=BucketIterator,
        dataset=SequenceDataset,
        verbose=0,
    ).fit(dataset)
    assert ours.history[-1].keys() == plain.history[-1].keys()
    assert (
        ours.history[-1, "batches", 0].keys() == plain.history[-1, "batches", 0].keys()
    )
    sizes = sorted(b["train_batch_size"] for b in ours.history[-1, "batches"])
    assert sizes == [8, 16, 16]


def test_token_ids_cut_to_their_longest_row_are_shared_not_copied():
    ids = np.zeros((6, 10), dtype=np.int64)
    ids[:, :3] = 7
    dataset = SequenceDataset(ids[:, :3], np.full(6, 3))
    assert np.shares_memory(dataset.values.numpy(), ids)
