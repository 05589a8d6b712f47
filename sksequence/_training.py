"""skorch plumbing: dataset, length-bucketed batches, time-ordered split, net.

The estimators build a :class:`SequenceNet` in ``fit``; skorch runs the
epochs and callbacks. What skorch does per sample (``Dataset.__getitem__``
and collation) is replaced by whole-batch tensor indexing over one padded
copy of the data, with batches cut to their own longest sequence.
"""

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor

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
        Encoded targets.
    sample_weight : ndarray of shape (n,) or None
    """

    def __init__(self, values, lengths, y=None, sample_weight=None):
        self.values = _as_tensor(values)
        self.lengths = _as_tensor(lengths)
        self.y = None if y is None else _as_tensor(y)
        self.sample_weight = (
            None if sample_weight is None else _as_tensor(sample_weight)
        )

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        return self.batch(torch.as_tensor([index]))

    def subset(self, index):
        """A dataset over the rows ``index`` (one copy of those rows)."""
        index = torch.as_tensor(index)
        width = int(self.lengths[index].max())
        return SequenceDataset(
            self.values[index, :width],
            self.lengths[index],
            None if self.y is None else self.y[index],
            None if self.sample_weight is None else self.sample_weight[index],
        )

    def batch(self, index):
        """``(X, y)`` for rows ``index``, padded only to their longest member."""
        lengths = self.lengths[index]
        width = int(lengths.max())
        X = {"X": self.values[index, :width], "lengths": lengths}
        if self.sample_weight is not None:
            X["sample_weight"] = self.sample_weight[index]
        return X, (None if self.y is None else self.y[index])


def _as_tensor(array):
    if isinstance(array, torch.Tensor):
        return array
    if not array.flags.writeable:
        # torch cannot share read-only memory (e.g. a joblib memmap).
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


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
        for index in self.batches():
            yield self.dataset.batch(torch.from_numpy(index))

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
    """

    def __init__(self, fraction, gap=0):
        self.fraction = fraction
        self.gap = gap

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
        return (
            dataset.subset(np.arange(n_train)),
            dataset.subset(np.arange(n_samples - n_valid, n_samples)),
        )


class SequenceNet(NeuralNet):
    """A skorch ``NeuralNet`` that feeds ``(X, lengths)`` and weights the loss.

    The criterion must use ``reduction="none"``; the per-sample losses are
    averaged with the batch's sample weights (Keras' convention: the mean of
    weight times loss).
    """

    def infer(self, x, **fit_params):
        return self.module_(
            x["X"].to(self.device, non_blocking=True),
            x["lengths"].to(self.device, non_blocking=True),
        )

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        loss = self.criterion_(y_pred, y_true)
        if loss.ndim > 1:  # several outputs per sample: average them
            loss = loss.mean(dim=tuple(range(1, loss.ndim)))
        if X is not None and "sample_weight" in X:
            loss = loss * X["sample_weight"].to(self.device)
        return loss.mean()
