"""skorch plumbing: dataset, length-bucketed batches, time-ordered split, net.

The estimators build a :class:`SequenceNet` in ``fit``; skorch runs the
epochs and callbacks. What skorch does per sample (``Dataset.__getitem__``
and collation) is replaced by whole-batch tensor indexing over one padded
copy of the data, with batches cut to their own longest sequence.
"""

import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor

from ._callbacks import StopTraining

__all__ = ["BucketIterator", "SequenceDataset", "SequenceNet", "TailSplit"]

# Sorting by length happens inside pools of this many batches: large enough
# to pad little, small enough that batches still mix sequences of the pool.
POOL_BATCHES = 50


class SequenceDataset(torch.utils.data.Dataset):
    """Padded sequences, their lengths, targets and sample weights as tensors.

    Parameters
    ----------
    values : ndarray
        Post-padded values, float32 ``(n, t, f)`` or int64 token ids ``(n, t)``.
    lengths : ndarray of shape (n,)
    y : ndarray or None
        Encoded targets: one row per sequence, or (per-step targets) post-padded
        ``(n, t, ...)`` like ``values``.
    sample_weight : ndarray of shape (n,) or (n, t), or None
        Per-sequence weights, or per-step weights padded like ``values``.
    static : ndarray of shape (n, n_static) or None
        Static features of each sequence.
    per_step : bool, default=False
        Whether ``y`` holds one (padded) row of targets per time step.
    """

    def __init__(
        self, values, lengths, y=None, sample_weight=None, static=None, per_step=False
    ):
        self.per_step = per_step
        self.values = _as_tensor(values)
        self.lengths = _as_tensor(lengths)
        self.y = None if y is None else _as_tensor(y)
        self.sample_weight = (
            None if sample_weight is None else _as_tensor(sample_weight)
        )
        self.static = None if static is None else _as_tensor(static)

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        return self.batch(torch.as_tensor([index]))

    def subset(self, index):
        """A dataset over the rows ``index``.

        A ``slice`` gives views (no copy of the data); an index array gives
        one copy of those rows.
        """
        if not isinstance(index, slice):
            index = torch.as_tensor(index)
        width = int(self.lengths[index].max())
        return SequenceDataset(
            self.values[index, :width],
            self.lengths[index],
            None if self.y is None else self.y[index],
            None if self.sample_weight is None else self.sample_weight[index],
            None if self.static is None else self.static[index],
            self.per_step,
        )

    def batch(self, index, width=None):
        """``(X, y)`` for rows ``index``, padded only to their longest member.

        ``width`` (that longest length) may be passed when already known.
        Rows are gathered from the columns ``[:width]`` only: one copy of
        the batch, never of the full-width rows.
        """
        lengths = self.lengths[index]
        if width is None:
            width = int(lengths.max())
        X = {"X": self.values[:, :width][index], "lengths": lengths}
        if self.sample_weight is not None:
            weight = self.sample_weight
            X["sample_weight"] = (weight[:, :width] if weight.ndim > 1 else weight)[
                index
            ]
        if self.static is not None:
            X["static"] = self.static[index]
        y = self.y
        if y is not None and self.per_step:
            y = y[:, :width]  # per-step targets are padded like the values
        return X, (None if y is None else y[index])


def _as_tensor(array):
    if isinstance(array, torch.Tensor):
        return array
    if not array.flags.writeable:
        # torch cannot share read-only memory (e.g. a joblib memmap).
        array = array.copy()
    if any(stride < 0 for stride in array.strides):
        array = np.ascontiguousarray(array)
    # Strided views (e.g. token ids cut to their longest row) are shared
    # as they are: batches gather rows from them anyway.
    return torch.from_numpy(array)


class BucketIterator:
    """Yield batches of similar length, so little time is spent on padding.

    Training (``shuffle=True``): rows are shuffled, split into pools of
    ``POOL_BATCHES`` batches, sorted by length inside each pool, cut into
    batches, and the batches are shuffled. With equal lengths this is exactly
    a shuffled split into batches. Without shuffling, batches follow the
    length order (for evaluation, where order does not matter).

    Parameters
    ----------
    dataset : SequenceDataset
    batch_size : int
    shuffle : bool, default=False
    seed : int or None, default=None
        Seeds the shuffling; each pass over the data draws a new order.
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        # Per epoch, not per batch: one index tensor for the whole epoch
        # (batches are views of it) and every batch's width, from numpy.
        batches = self.batches()
        if not batches:
            return
        order = torch.from_numpy(np.concatenate(batches))
        lengths = self.dataset.lengths.numpy()
        widths = [int(lengths[index].max()) for index in batches]
        start = 0
        for index, width in zip(batches, widths, strict=True):
            stop = start + len(index)
            yield self.dataset.batch(order[start:stop], width)
            start = stop

    def batches(self):
        """The row indices of each batch, in the order they will be yielded."""
        lengths = self.dataset.lengths.numpy()
        if not self.shuffle:
            order = np.argsort(lengths, kind="stable")
            return _split(order, self.batch_size)
        order = self.rng.permutation(len(lengths))
        pool = self.batch_size * POOL_BATCHES
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(_split(chunk, self.batch_size))
        return [batches[i] for i in self.rng.permutation(len(batches))]


def _split(order, batch_size):
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class TailSplit:
    """Validate on the last rows in the given order, never on shuffled ones.

    Parameters
    ----------
    fraction : float
        Share of rows used for validation (at least one row).
    gap : int, default=0
        Rows dropped between the training and validation parts, so that
        overlapping windows cannot leak the validation targets into training.
    classification : bool, default=False
        Warn when the tail holds classes that the training part lacks (data
        sorted by class, where a tail split cannot measure anything useful).
    """

    def __init__(self, fraction, gap=0, classification=False):
        self.fraction = fraction
        self.gap = gap
        self.classification = classification

    def __call__(self, dataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = max(1, round(self.fraction * n_samples))
        n_train = n_samples - n_valid - self.gap
        if n_train < 1:
            raise ValueError(
                f"early_stopping needs training rows before the validation tail: "
                f"{n_samples} samples with validation_fraction={self.fraction} "
                f"({n_valid} rows) and validation_gap={self.gap} leave {n_train}. "
                "Pass more data, a smaller validation_fraction or a smaller gap."
            )
        # Slices, not index arrays: both parts are views of the one padded copy.
        train = dataset.subset(slice(0, n_train))
        valid = dataset.subset(slice(n_samples - n_valid, n_samples))
        if self.classification:
            _warn_unseen_classes(train.y, valid.y)
        return train, valid


def _warn_unseen_classes(y_train, y_valid):
    unseen = set(y_valid.reshape(-1).tolist()) - set(y_train.reshape(-1).tolist())
    if unseen:
        warnings.warn(
            f"The early-stopping validation tail (the last rows, in the order "
            f"given) holds {len(unseen)} class(es) that the training part never "
            "shows, so the validation loss cannot guide training. If the rows "
            "are sorted by class and not by time, shuffle them before fit "
            "(sklearn.utils.shuffle).",
            UserWarning,
            stacklevel=2,
        )


class SequenceNet(NeuralNet):
    """A skorch ``NeuralNet`` that feeds ``(X, lengths)`` and weights the loss.

    The criterion must use ``reduction="none"``; the per-sample losses are
    averaged with the batch's sample weights (Keras' convention: the mean of
    weight times loss).

    Per-batch work that skorch repeats on every step is trimmed: the train or
    eval mode is only switched when it changes (``Module.train`` walks every
    submodule), targets are already tensors, and the batch size is read from
    the lengths instead of skorch's generic ``get_len``. Gradients are zeroed
    in place, never set to ``None``, so that ``GradientMonitor``'s flat
    gradient buffer survives from step to step.
    """

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # skorch's partial_fit swallows KeyboardInterrupt (its callbacks'
        # way to stop early) and returns as if training had finished; ours
        # lets Ctrl-C propagate, so an interrupted fit is never mistaken for
        # a completed one (the estimator keeps its previous model). Early
        # stopping ends a run with StopTraining instead. ``on_train_end``
        # runs only after a finished run.
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        self.notify("on_train_end", X=X, y=y)
        return self

    def _zero_grad_optimizer(self, set_to_none=None):
        super()._zero_grad_optimizer(set_to_none=False)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop (skorch 1.x ``NeuralNet.run_single_epoch``) with the
        # batch size taken from our batches' lengths: skorch's ``get_len``
        # walks the batch dict and costs more than a tiny model's step here.
        if iterator is None:
            return
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            # Read once: callbacks get the float as loss_value (no second sync).
            loss_value = step["loss"].item()
            self.history.record_batch(prefix + "_loss", loss_value)
            self.history.record_batch(prefix + "_batch_size", len(batch[0]["lengths"]))
            self.notify(
                "on_batch_end",
                batch=batch,
                training=training,
                loss_value=loss_value,
                **step,
            )
            batch_count += 1
        self.history.record(prefix + "_batch_count", batch_count)

    def _set_training(self, training=True):
        names = self._modules + self._criteria
        if all(getattr(self, name + "_").training is training for name in names):
            return
        super()._set_training(training)

    def infer(self, x, **fit_params):
        static = x.get("static")
        return self.module_(
            x["X"].to(self.device, non_blocking=True),
            x["lengths"].to(self.device, non_blocking=True),
            None if static is None else static.to(self.device, non_blocking=True),
        )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(y_true, torch.Tensor):
            y_true = y_true.to(self.device, non_blocking=True)
        else:
            y_true = to_tensor(y_true, device=self.device)
        loss = self.criterion_(y_pred, y_true)
        if y_pred.ndim == 3:  # one output per step: mask the padding
            return _masked_step_mean(loss, X)
        if X is None or "sample_weight" not in X:
            # The mean over all elements is the mean of per-sample means.
            return loss.mean()
        if loss.ndim > 1:  # several outputs per sample: average them
            loss = loss.mean(dim=tuple(range(1, loss.ndim)))
        return (loss * X["sample_weight"].to(self.device)).mean()


def _masked_step_mean(loss, X):
    """Mean of per-step losses over the valid steps (weighted when asked).

    ``loss`` is ``(batch, steps)`` or ``(batch, steps, units)``; padded steps
    get weight 0, so they never contribute, and the result equals the mean
    over the unpadded steps of the batch (each step counts once).
    """
    if loss.ndim == 3:
        loss = loss.mean(dim=2)
    lengths = X["lengths"].to(loss.device)
    steps = torch.arange(loss.shape[1], device=loss.device)
    mask = (steps[None, :] < lengths[:, None]).to(loss.dtype)
    weight = mask
    if "sample_weight" in X:
        sample_weight = X["sample_weight"].to(loss.device, loss.dtype)
        if sample_weight.ndim == 1:
            sample_weight = sample_weight[:, None]
        weight = mask * sample_weight
    # Padded positions may hold anything (even inf); select, never multiply.
    loss = torch.where(mask > 0, loss, torch.zeros((), dtype=loss.dtype))
    return (loss * weight).sum() / mask.sum()
