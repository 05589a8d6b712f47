"""Shared machinery of RNNClassifier and RNNRegressor.

``fit`` reads as four steps: validate the sequences and targets, build the
torch module, build the skorch net around it, train. Everything that differs
between classification and regression (target encoding, loss, output
decoding) lives in the subclasses' ``_encode_targets``/``_criterion`` hooks.
"""

import copy
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils.validation import check_is_fitted, check_random_state
from skorch.callbacks import EarlyStopping, ProgressBar

from ._callbacks import GradientMonitor, ScoreMonitor, TrainingDivergedError
from ._module import RNNModule
from ._sequences import check_sequences
from ._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _num_samples,
)
from ._training import BucketIterator, SequenceDataset, SequenceNet, TailSplit

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}
# Measured on CPU (benchmarks/bench_inference.py, LSTM 32, 200 steps): 128
# rows per batch or 256 (within noise) are fastest; 512 and more were 12-28%
# slower, not faster, and 32 about 17% slower.
PREDICT_BATCH_SIZE = 128


class _BaseRNN(BaseEstimator):
    """Base class; use :class:`RNNClassifier` or :class:`RNNRegressor`."""

    _parameter_constraints = {
        "cell": [StrOptions({"rnn", "lstm", "gru"})],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions({"last", "mean", "max"})],
        "init": [StrOptions({"pytorch", "keras", "orthogonal"})],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [None, Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "clip_value": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_gap": [Interval(Integral, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"}), str],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    # -- public API shared by both estimators ---------------------------------

    @property
    def history_(self):
        """skorch ``History``: per-epoch losses, scores, gradient norms, clipping."""
        check_is_fitted(self, "net_")
        return self.net_.history_

    # -- training --------------------------------------------------------------

    def _train(self, X, y, sample_weight, *, warm, epochs, validate, classes=None):
        """Validate, encode, build and train; set fitted attributes on success."""
        warm = warm and hasattr(self, "net_")
        name = type(self).__name__
        seqs = check_sequences(X, name=name)
        if warm:
            self._check_sequences_match(seqs)
        _check_n_samples(seqs, y, name)
        y_enc, fitted = self._encode_targets(y, warm=warm, classes=classes)
        weight = self._sample_weights(sample_weight, y, len(seqs), fitted)
        vocab_size = self._vocab_size(seqs, warm)
        values = _clip_token_ids(seqs.values, vocab_size) if seqs.is_tokens else None
        dataset = SequenceDataset(
            seqs.values if values is None else values, seqs.lengths, y_enc, weight
        )
        device = _resolve_device(self.device)
        seed = _draw_seed(self.random_state)
        with _seeded(seed, device), _torch_threads(self.n_threads):
            if warm:
                module = self.net_.module_
            else:
                module = self._build_module(seqs, vocab_size, fitted["n_outputs_"])
            net = self._build_net(module, device, seed, epochs, validate)
            net.initialize()
            self._resume(net, warm)
            snapshot = copy.deepcopy(module.state_dict()) if warm else None
            n_before = len(net.history_)
            try:
                net.partial_fit(dataset)
            except TrainingDivergedError:
                if snapshot is not None:
                    module.load_state_dict(snapshot)
                raise
        for key, value in fitted.items():
            setattr(self, key, value)
        self.net_ = net
        self.n_features_in_ = seqs.n_features
        self.input_kind_ = "tokens" if seqs.is_tokens else "float"
        self.vocab_size_ = vocab_size
        self.device_ = device
        self.n_iter_ = len(net.history_) - n_before
        return self

    def _build_module(self, seqs, vocab_size, n_outputs):
        return RNNModule(
            n_inputs=seqs.n_features,
            n_outputs=n_outputs,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            vocab_size=vocab_size,
            embedding_dim=self.embedding_dim,
            pooling=self.pooling,
            init=self.init,
        )

    def _build_net(self, module, device, seed, epochs, validate):
        callbacks = [
            ("gradients", GradientMonitor(self.clip_norm, self.clip_value)),
            ("scores", ScoreMonitor("accuracy" if is_classifier(self) else "r2")),
        ]
        if validate:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        load_best=True,
                    ),
                )
            )
        if self.verbose:
            callbacks.append(("progress", ProgressBar()))
        # None leaves the optimizer's own default (0.01 for AdamW, else 0).
        optimizer_params = {}
        if self.weight_decay is not None:
            optimizer_params["optimizer__weight_decay"] = self.weight_decay
        return SequenceNet(
            module=module,
            criterion=self._criterion(module.head.out_features),
            criterion__reduction="none",
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            max_epochs=epochs,
            batch_size=self.batch_size,
            iterator_train=BucketIterator,
            iterator_train__shuffle=True,
            iterator_train__seed=seed,
            iterator_valid=BucketIterator,
            dataset=SequenceDataset,
            train_split=(
                TailSplit(
                    self.validation_fraction,
                    self.validation_gap,
                    classification=is_classifier(self),
                )
                if validate
                else None
            ),
            callbacks=callbacks,
            verbose=self.verbose,
            device=device,
            **optimizer_params,
        )

    def _resume(self, net, warm):
        """Carry the optimizer state and history of the previous fit over.

        Both are copied, so a fit that fails leaves the fitted net as it was.
        """
        if not warm:
            return
        previous = self.net_
        if type(previous.optimizer_) is type(net.optimizer_):
            # The current lr and weight_decay win over the loaded ones.
            decays = [group["weight_decay"] for group in net.optimizer_.param_groups]
            state = copy.deepcopy(previous.optimizer_.state_dict())
            net.optimizer_.load_state_dict(state)
            for group, decay in zip(net.optimizer_.param_groups, decays, strict=True):
                group["lr"] = self.lr
                group["weight_decay"] = decay
        net.history_ = copy.deepcopy(previous.history_)

    def _sample_weights(self, sample_weight, y, n_samples, fitted):
        if sample_weight is None:
            return None
        return _check_sample_weight(
            sample_weight,
            np.empty((n_samples, 0)),
            dtype=np.float32,
            ensure_non_negative=True,
        )

    def _vocab_size(self, seqs, warm):
        if not seqs.is_tokens:
            return None
        if warm:
            return self.vocab_size_
        # Ids 0 (padding) and 1 (unknown) always exist.
        return max(int(seqs.values.max()) + 1, 2)

    # -- prediction ------------------------------------------------------------

    def _forward(self, X):
        """Raw module outputs for ``X`` as a float64 array (n_samples, n_outputs)."""
        check_is_fitted(self, "net_")
        seqs = check_sequences(X, name=type(self).__name__)
        self._check_sequences_match(seqs)
        values = seqs.values
        if seqs.is_tokens:
            values = _clip_token_ids(values, self.vocab_size_)
        module = self.net_.module_
        module.eval()
        # Sorting by length lets every batch stop at its own longest sequence.
        order = np.argsort(seqs.lengths, kind="stable")
        outputs = np.empty((len(seqs), module.head.out_features), dtype=np.float64)
        with torch.inference_mode(), _torch_threads(self.n_threads):
            for start in range(0, len(order), PREDICT_BATCH_SIZE):
                rows = order[start : start + PREDICT_BATCH_SIZE]
                lengths = seqs.lengths[rows]
                batch = torch.from_numpy(values[rows, : lengths.max()])
                out = module(batch.to(self.device_), torch.from_numpy(lengths))
                outputs[rows] = out.double().cpu().numpy()
        return outputs

    def _check_sequences_match(self, seqs):
        name = type(self).__name__
        kind = "tokens" if seqs.is_tokens else "float"
        if kind != self.input_kind_:
            fitted_on = "integer token ids" if kind == "float" else "float sequences"
            received = "integer token ids" if kind == "tokens" else "float sequences"
            raise ValueError(
                f"{name} was fitted on {fitted_on}, but X holds {received}. Pass the "
                "same kind of input as in fit (cast with X.astype(float) or "
                "X.astype(int) if needed)."
            )
        if seqs.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {seqs.n_features} features per time step, but {name} was "
                f"fitted with {self.n_features_in_}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _check_n_samples(seqs, y, name):
    if y is None:
        raise ValueError(
            f"{name} requires y to be passed, but the target y is None. Pass the "
            "labels or targets of the sequences as y."
        )
    n_targets = _num_samples(y)
    if n_targets != len(seqs):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has "
            f"{len(seqs)} sequences but y has {n_targets} targets."
        )


def _clip_token_ids(values, vocab_size):
    """Map ids the model has no embedding for to 1 (the unknown token)."""
    if values.max() < vocab_size:
        return values
    return np.where(values < vocab_size, values, 1)


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine. Use device='cpu', or device='auto' to take a GPU only when "
            "there is one."
        )
    return device


def _draw_seed(random_state):
    """An int seed from ``random_state``, without touching any global RNG."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def _torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads (``None``: unchanged)."""
    previous = torch.get_num_threads()
    if n_threads is None or n_threads == previous:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def _seeded(seed, device):
    """Seed torch for the block and restore the caller's RNG state after it."""
    devices = []
    if str(device).startswith("cuda"):
        index = torch.device(device).index
        # "cuda" without an index means the current CUDA device.
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
