"""Shared machinery of RNNClassifier and RNNRegressor.

``fit`` reads as four steps: validate the sequences and targets, build the
torch module, build the skorch net around it, train. Everything that differs
between classification and regression (target encoding, loss, output
decoding, the score recorded per epoch) lives in the subclasses' hooks.

The build seam
--------------
"Build the network exactly as ``fit`` does" is written once, as these
methods, and ``fit``, :mod:`sksequence.diagnostics` and
:mod:`sksequence.persistence` all call them (and nothing else of this
module):

* :meth:`_BaseRNN._validate_sequences`: input -> canonical sequences;
* :meth:`_BaseRNN._encode_targets` (subclass hook): ``y`` -> encoded targets;
* :meth:`_BaseRNN._module_config` and :meth:`_BaseRNN._new_module`: the
  module's constructor arguments, and a freshly initialised module built
  from them with the fit's seed;
* :meth:`_BaseRNN._new_net`: the skorch net (callbacks, optimizer, split);
* :meth:`_BaseRNN._restore_net`: a trained net from saved weights.

Fits are atomic: training runs on a new module or, under warm start, on a
copy of the fitted one, and the fitted attributes are replaced only when
training finished. A fit that raises, diverges or is interrupted leaves the
estimator exactly as it was.
"""

import copy
import dataclasses
import threading
from contextlib import contextmanager, nullcontext
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, check_random_state
from skorch.callbacks import LRScheduler, ProgressBar
from skorch.history import History

from ._callbacks import (
    GradientMonitor,
    LearningRateRecorder,
    LossMonitor,
    ScoreMonitor,
    TailEarlyStopping,
    UserCallback,
)
from ._module import CELLS, INITS, POOLINGS, STATIC_INPUTS, RNNModule
from ._sequences import check_sequences
from ._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _num_samples,
)
from ._static import split_static
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
# An embedding larger than this is refused before it is allocated: token ids
# are vocabulary indices, and one id of 10**12 would otherwise ask for
# terabytes (1M words x 300 dimensions is 1.2 GB).
MAX_EMBEDDING_BYTES = 4 * 2**30
# Module arguments that fix the shape of the weights: a warm start cannot
# change them (``dropout`` can, and is applied to the continued network).
ARCHITECTURE = (
    "cell",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "pooling",
    "per_step",
    "static_input",
    "head_layers",
)
DEVICE_TYPES = ("cpu", "cuda", "mps")
LR_SCHEDULES = ("constant", "plateau", "cosine", "onecycle")
# Names of sksequence's own callbacks: user callbacks may not take them.
OWN_CALLBACKS = (
    "gradients",
    "losses",
    "scores",
    "early_stopping",
    "lr_schedule",
    "lr",
    "progress",
)


class _BaseRNN(BaseEstimator):
    """Base class; use :class:`RNNClassifier` or :class:`RNNRegressor`."""

    _parameter_constraints = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "per_step": ["boolean"],
        "static_input": [StrOptions(set(STATIC_INPUTS))],
        "head_layers": ["array-like"],
        "static_columns": [None, "array-like"],
        "init": [StrOptions(set(INITS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "callbacks": [None, list, tuple],
        "embedding_weights": [None, "array-like"],
        "freeze_embedding": ["boolean"],
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
        "device": [str],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    # -- subclass hooks --------------------------------------------------------
    # ``_encode_targets(y, *, warm, classes)`` and ``_criterion(fitted)``
    # are defined by the subclasses, as are these two class attributes.
    # ``fitted`` is the mapping of fitted attributes that the target encoding
    # learned (``n_outputs_``, ``classes_``, ``quantiles_``, ...): the dict of
    # the fit in progress, or the estimator's own attributes once fitted.

    #: Score recorded per epoch by :class:`ScoreMonitor`.
    _epoch_score = None
    #: Whether the early-stopping tail is checked for unseen classes.
    _warn_unseen_classes = False

    # -- public API shared by both estimators ---------------------------------

    @property
    def history_(self):
        """skorch ``History``: per-epoch losses, scores, gradient norms, clipping."""
        check_is_fitted(self, "net_")
        return self.net_.history_

    def attention_weights(self, X):
        """Attention weights of every step, for ``pooling="attention"``.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any form ``fit`` accepts.

        Returns
        -------
        weights : ndarray of object, shape (n_samples,)
            One array of ``n_steps_i`` weights per sequence: non-negative,
            summing to 1 over the sequence's valid steps (padding gets
            exactly 0 and is cut off).
        """
        check_is_fitted(self, "net_")
        if self.module_params_["pooling"] != "attention":
            raise ValueError(
                f"attention_weights needs a model fitted with pooling='attention', "
                f"but this {type(self).__name__} pools with "
                f"{self.module_params_['pooling']!r}."
            )
        seqs = self._validate_sequences(X, reset=False)
        module = self.net_.module_.eval()
        static = None if seqs.static is None else torch.from_numpy(seqs.static)
        with torch.inference_mode(), _torch_threads(self.n_threads):
            weights = module.attention_weights(
                torch.from_numpy(seqs.values).to(self.device_),
                torch.from_numpy(seqs.lengths),
                None if static is None else static.to(self.device_),
            )
        weights = weights.double().cpu().numpy()
        return split_steps(
            weights[np.arange(weights.shape[1])[None, :] < seqs.lengths[:, None]],
            seqs.lengths,
        )

    # -- training --------------------------------------------------------------

    def _train(self, X, y, sample_weight, *, warm, epochs, validate, classes=None):
        """Validate, encode, build and train; set fitted attributes on success.

        Nothing of ``self`` changes before training has finished: a fresh
        fit trains a new module, a warm one a copy of the fitted module, so
        an exception, a divergence or an interrupt (re-raised, never taken
        for the end of training) leaves the previous model exactly as it was.
        """
        device = _resolve_device(self.device)
        warm = warm and hasattr(self, "net_")
        self._check_per_step_params()
        # Architecture changes are refused before any work on the data.
        config = self._warm_config() if warm else None
        seqs = self._validate_sequences(X, reset=not warm)
        y_enc, fitted, weight = self._encode(
            seqs, y, warm=warm, classes=classes, sample_weight=sample_weight
        )
        if warm:
            _check_head_units(config, self._head_units(fitted))
        else:
            config = self._module_config(seqs, self._head_units(fitted))
        dataset = SequenceDataset(
            seqs.values, seqs.lengths, y_enc, weight, seqs.static, self.per_step
        )
        seed = _draw_seed(self.random_state)
        # Dropout draws from torch's process-wide generator during training:
        # then the whole fit holds the seeding lock (reproducible under
        # thread-based parallelism); otherwise only building the module does.
        training_rng = _seeded(seed, device) if self.dropout > 0 else nullcontext()
        with _torch_threads(self.n_threads), training_rng:
            if warm:
                module = copy.deepcopy(self.net_.module_)
                module.set_dropout(self.dropout)
            else:
                module = self._new_module(config, seed, device)
            net = self._new_net(
                module,
                device,
                seed,
                epochs,
                validate,
                fitted,
                steps_per_epoch=self._steps_per_epoch(len(seqs), validate),
            )
            net.initialize()
            self._resume(net, warm)
            n_before = len(net.history_)
            net.partial_fit(dataset)
        for key, value in fitted.items():
            setattr(self, key, value)
        self.net_ = net
        self.module_params_ = config
        self.n_features_in_ = seqs.n_features
        self.n_static_features_in_ = 0 if seqs.static is None else seqs.static.shape[1]
        self.input_kind_ = "tokens" if seqs.is_tokens else "float"
        self.vocab_size_ = config["vocab_size"]
        self.device_ = device
        self.n_iter_ = len(net.history_) - n_before
        return self

    # -- the build seam (also used by diagnostics and persistence) -------------

    def _validate_sequences(self, X, *, reset):
        """``X`` as :class:`~sksequence._sequences.Sequences`.

        With ``reset=False`` (prediction, warm start), ``X`` must match the
        fitted input kind and features, and token ids the model has no
        embedding for become the unknown token 1.
        """
        name = type(self).__name__
        sequences, static, _ = split_static(X, name, self.static_columns)
        seqs = check_sequences(sequences, name=name)
        if static is not None:
            seqs = dataclasses.replace(seqs, static=static)
        if reset:
            return seqs
        self._check_sequences_match(seqs)
        if seqs.is_tokens:
            seqs = dataclasses.replace(
                seqs, values=_clip_token_ids(seqs.values, self.vocab_size_)
            )
        return seqs

    def _encode(self, seqs, y, *, warm, classes=None, sample_weight=None):
        """Check ``y`` against ``seqs`` and encode it (the subclass hook).

        Returns ``(encoded, fitted, weight)``: the targets as the loss reads
        them, the fitted attributes the encoding learned (``classes_``, ...)
        and the per-sample (or, with ``per_step``, per-step) loss weights.
        Per-step targets are flattened to one row per valid step for the
        subclass hooks, then padded like the sequences.
        """
        name = type(self).__name__
        _check_n_samples(seqs, y, name)
        if not self.per_step:
            encoded, fitted = self._encode_targets(y, warm=warm, classes=classes)
            weight = self._sample_weights(sample_weight, y, len(seqs), fitted)
            return encoded, fitted, weight
        flat_y = flatten_step_values(y, seqs.lengths, "y", name)
        encoded, fitted = self._encode_targets(flat_y, warm=warm, classes=classes)
        flat_weight = None
        if sample_weight is not None:
            flat_weight = _flat_step_weights(sample_weight, seqs.lengths, name)
        weight = self._sample_weights(flat_weight, flat_y, len(flat_y), fitted)
        encoded = _pad_steps(encoded, seqs.lengths)
        return (
            encoded,
            fitted,
            None if weight is None else _pad_steps(weight, seqs.lengths),
        )

    def _predicts_per_step(self):
        """Whether the fitted network emits one output per step."""
        return bool(self._fitted_config().get("per_step", False))

    def _check_per_step_params(self):
        if self.per_step and self.pooling != "last":
            raise ValueError(
                f"per_step=True gives one output per time step, so no pooling "
                f"applies, but pooling={self.pooling!r}. Keep the default "
                "pooling='last' (unused), or set per_step=False for one output "
                "per sequence."
            )

    def _head_units(self, fitted):
        """Output units of the network for the encoding ``fitted`` learned."""
        return fitted["n_outputs_"]

    def _score_monitor(self, fitted):
        """The callback that records the per-epoch training score."""
        return ScoreMonitor(self._epoch_score)

    def _initial_module(self, seqs, n_outputs):
        """The module a fit on ``seqs`` would start from: same seed, same weights."""
        config = self._module_config(seqs, n_outputs)
        return self._new_module(config, _draw_seed(self.random_state))

    def _module_config(self, seqs, n_outputs):
        """Constructor arguments of the module ``fit`` builds for ``seqs``."""
        weights = self._pretrained_embedding(seqs)
        embedding_dim = self.embedding_dim if weights is None else weights.shape[1]
        vocab_size = _vocab_size(seqs, embedding_dim, type(self).__name__)
        if weights is not None:
            vocab_size = max(vocab_size, len(weights))
        return {
            "n_inputs": int(seqs.n_features),
            "n_outputs": int(n_outputs),
            "cell": self.cell,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "bidirectional": bool(self.bidirectional),
            "dropout": float(self.dropout),
            "vocab_size": vocab_size,
            "embedding_dim": int(embedding_dim),
            "pooling": self.pooling,
            "init": self.init,
            "n_static": 0 if seqs.static is None else int(seqs.static.shape[1]),
            "static_input": self.static_input,
            "per_step": bool(self.per_step),
            "head_layers": _check_head_layers(self.head_layers),
            "freeze_embedding": bool(self.freeze_embedding) and seqs.is_tokens,
        }

    def _pretrained_embedding(self, seqs):
        """``embedding_weights`` as a checked float32 matrix, or None."""
        if self.embedding_weights is None:
            return None
        name = type(self).__name__
        if not seqs.is_tokens:
            raise ValueError(
                f"embedding_weights initialises the token embedding, but X holds "
                f"float sequences, which {name} reads without an embedding. Pass "
                "token ids (e.g. from TextTokenizer), or embedding_weights=None."
            )
        weights = np.asarray(self.embedding_weights)
        if weights.ndim != 2 or weights.shape[0] < 2 or weights.shape[1] < 1:
            raise ValueError(
                f"embedding_weights must be a 2-D array (n_ids, embedding_dim) with "
                f"a row for ids 0 (padding) and 1 (unknown) at least, got shape "
                f"{weights.shape}."
            )
        try:
            weights = weights.astype(np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                f"embedding_weights must hold numbers, got dtype {weights.dtype}."
            ) from None
        if not np.isfinite(weights).all():
            raise ValueError(
                "embedding_weights holds NaN or infinite values; give tokens "
                "without a vector a finite row (e.g. zeros or small random values)."
            )
        return weights

    def _new_module(self, config, seed, device="cpu"):
        """A freshly initialised module: the same seed gives the same weights.

        Pretrained ``embedding_weights`` replace the first rows of the
        embedding (ids beyond them keep their random initialisation).
        """
        with _seeded(seed, device):
            module = RNNModule(**config)
        if self.embedding_weights is not None and module.embedding is not None:
            weights = torch.as_tensor(np.asarray(self.embedding_weights, np.float32))
            with torch.no_grad():
                module.embedding.weight[: len(weights)] = weights
        return module

    def _steps_per_epoch(self, n_samples, validate):
        """Training batches per epoch (the validation tail and gap excluded)."""
        if validate:
            n_valid = max(1, round(self.validation_fraction * n_samples))
            n_samples = max(1, n_samples - n_valid - self.validation_gap)
        return -(-n_samples // self.batch_size)

    def _new_net(
        self,
        module,
        device,
        seed,
        epochs,
        validate,
        fitted=None,
        optimizer=None,
        steps_per_epoch=1,
    ):
        """The skorch net that trains ``module`` (not yet initialised).

        ``fitted``: the target encoding's attributes (default: the fitted
        estimator's own); ``optimizer``: a name of ``OPTIMIZERS`` (default:
        the ``optimizer`` parameter); ``steps_per_epoch``: training batches
        per epoch (for the one-cycle schedule).

        Callbacks run in this order: gradient clipping and monitoring, the
        loss-explosion check, the epoch score, early stopping, the learning
        rate schedule and its record, the user's ``callbacks`` (in the order
        given, on copies), then the progress bar.
        """
        fitted = vars(self) if fitted is None else fitted
        callbacks = [
            ("gradients", GradientMonitor(self.clip_norm, self.clip_value)),
            ("losses", LossMonitor()),
            ("scores", self._score_monitor(fitted)),
        ]
        if validate:
            callbacks.append(
                (
                    "early_stopping",
                    TailEarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        load_best=True,
                    ),
                )
            )
        schedule = self._lr_scheduler(validate, epochs, steps_per_epoch)
        if schedule is not None:
            callbacks.append(("lr_schedule", schedule))
        callbacks.append(("lr", LearningRateRecorder()))
        callbacks.extend(self._user_callbacks())
        if self.verbose:
            callbacks.append(("progress", ProgressBar()))
        # None leaves the optimizer's own default (0.01 for AdamW, else 0).
        optimizer_params = {}
        if self.weight_decay is not None:
            optimizer_params["optimizer__weight_decay"] = self.weight_decay
        return SequenceNet(
            module=module,
            criterion=self._criterion(fitted),
            criterion__reduction="none",
            optimizer=OPTIMIZERS[optimizer or self.optimizer],
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
                    classification=self._warn_unseen_classes,
                )
                if validate
                else None
            ),
            callbacks=callbacks,
            verbose=self.verbose,
            device=device,
            **optimizer_params,
        )

    def _lr_scheduler(self, validate, epochs, steps_per_epoch):
        """skorch's ``LRScheduler`` for ``lr_schedule`` (None for "constant").

        "plateau": ``ReduceLROnPlateau`` on the validation loss (with early
        stopping) or the training loss, halving the rate after
        ``max(1, n_iter_no_change // 2)`` epochs without improvement (so
        early stopping sees at least one reduction); "cosine": cosine
        annealing from ``lr`` to 0 over ``max_epochs``; "onecycle": the
        one-cycle policy peaking at ``lr``, stepped every batch.
        """
        if self.lr_schedule == "plateau":
            return LRScheduler(
                policy=torch.optim.lr_scheduler.ReduceLROnPlateau,
                monitor="valid_loss" if validate else "train_loss",
                factor=0.5,
                patience=max(1, self.n_iter_no_change // 2),
                threshold=self.tol,
            )
        if self.lr_schedule == "cosine":
            # last_epoch=-1: every fit (warm starts too) runs its own schedule;
            # skorch would otherwise continue from the copied history.
            return LRScheduler(
                policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                T_max=epochs,
                last_epoch=-1,
            )
        if self.lr_schedule == "onecycle":
            return LRScheduler(
                policy=torch.optim.lr_scheduler.OneCycleLR,
                max_lr=self.lr,
                total_steps=epochs * steps_per_epoch,
                step_every="batch",
                last_epoch=-1,
            )
        return None

    def _user_callbacks(self):
        """The ``callbacks`` parameter as named, wrapped copies."""
        if self.callbacks is None:
            return []
        named = []
        for index, item in enumerate(self.callbacks):
            name, callback = (
                item if isinstance(item, tuple) else (f"user_{index}", item)
            )
            if not hasattr(callback, "on_epoch_end") or isinstance(callback, type):
                raise TypeError(
                    f"callbacks[{index}] must be a skorch callback instance (or a "
                    f"(name, callback) tuple), got {callback!r}. Pass e.g. "
                    "skorch.callbacks.EpochScoring('r2')."
                )
            if name in OWN_CALLBACKS:
                raise ValueError(
                    f"callbacks[{index}] is named {name!r}, which sksequence uses for "
                    f"its own callbacks ({', '.join(OWN_CALLBACKS)}). Give it "
                    "another name."
                )
            # A copy per fit: fitting never changes the parameter's objects.
            named.append((name, UserCallback(copy.deepcopy(callback))))
        return named

    def _restore_net(
        self, module_state, optimizer_state, history, device, optimizer=None
    ):
        """Rebuild the trained net from saved state (for persistence).

        The fitted attributes must already be set. The module is built from
        ``module_params_`` (what was trained, whatever the parameters say
        now) and ``optimizer`` (the name of the optimizer that was trained;
        default: the ``optimizer`` parameter). Raises ``ValueError`` when the
        state does not fit the network; nothing is allocated for weights
        before their shapes are checked.
        """
        device = _resolve_device(device)
        config = self._fitted_config()
        optimizer = optimizer or self.optimizer
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}")
        _check_state_shapes(config, module_state)
        seed = _draw_seed(self.random_state)
        module = self._new_module(config, seed, device)
        net = self._new_net(
            module, device, seed, self.max_epochs, self.early_stopping, None, optimizer
        )
        net.initialize()
        try:
            module.load_state_dict(module_state)
            net.optimizer_.load_state_dict(optimizer_state)
        except (RuntimeError, KeyError) as exc:
            raise ValueError(str(exc)) from exc
        net.history_ = History(history)
        self.net_ = net
        self.device_ = device

    def _fitted_config(self):
        """The arguments the fitted module was built with."""
        config = getattr(self, "module_params_", None)
        if config is None:  # files saved before module_params_ existed
            config = self._legacy_config()
        return config

    def _warm_config(self):
        """The fitted module's arguments; refuse parameters that changed them."""
        config = self._fitted_config()
        defaults = {"per_step": False, "static_input": "head", "head_layers": ()}
        if bool(self.freeze_embedding) != bool(config.get("freeze_embedding", False)):
            if config["vocab_size"] is not None:
                raise ValueError(
                    "warm_start=True continues training the fitted network, but "
                    f"freeze_embedding changed since it was fitted "
                    f"({config.get('freeze_embedding', False)} -> "
                    f"{self.freeze_embedding}). Set warm_start=False to train a "
                    "new network, or set it back."
                )
        changed = [
            f"{key}: {config.get(key, defaults.get(key))!r} -> {getattr(self, key)!r}"
            for key in ARCHITECTURE
            if _architecture_value(key, getattr(self, key))
            != _architecture_value(key, config.get(key, defaults.get(key)))
            and not (key == "static_input" and not config.get("n_static"))
        ]
        embedding_dim = self.embedding_dim
        if self.embedding_weights is not None:
            embedding_dim = np.shape(self.embedding_weights)[-1]
        if (
            config["vocab_size"] is not None
            and embedding_dim != config["embedding_dim"]
        ):
            changed.append(
                f"embedding_dim: {config['embedding_dim']!r} -> {embedding_dim!r}"
            )
        if changed:
            raise ValueError(
                f"warm_start=True continues training the fitted network, but its "
                f"architecture parameters changed since it was fitted "
                f"({', '.join(changed)}). Set warm_start=False to train a new "
                "network with the new parameters, or set them back."
            )
        return {**config, "dropout": float(self.dropout)}

    def _legacy_config(self):
        return {
            "n_inputs": self.n_features_in_,
            "n_outputs": self.n_outputs_,
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "vocab_size": self.vocab_size_,
            "embedding_dim": self.embedding_dim,
            "pooling": self.pooling,
            "init": self.init,
        }

    def _resume(self, net, warm):
        """Carry the optimizer state and history of the previous fit over.

        Both are copied, so a fit that fails leaves the fitted net as it was.
        Learning-rate schedules restart: each fit runs its own.
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
                # A schedule of the previous fit must not set this one's base.
                group.pop("initial_lr", None)
        net.history_ = copy.deepcopy(previous.history_)

    def _sample_weights(self, sample_weight, y, n_samples, fitted):
        if sample_weight is None:
            return None
        weight = _check_sample_weight(
            sample_weight,
            np.empty((n_samples, 0)),
            dtype=np.float64,
            ensure_non_negative=True,
        )
        return _check_weights(weight, "sample_weight")

    # -- prediction ------------------------------------------------------------

    def _forward(self, X):
        """Raw module outputs for ``X``, float64.

        Returns ``(rows, lengths)``: one row per sequence, ``(n_samples,
        n_units)``, and ``lengths=None``; or, with ``per_step``, one row per
        valid step of every sequence in order, ``(sum(lengths), n_units)``,
        and the sequence lengths to split them by.
        """
        check_is_fitted(self, "net_")
        seqs = self._validate_sequences(X, reset=False)
        module = self.net_.module_
        module.eval()
        per_step = getattr(module, "per_step", False)
        units = _n_outputs(module)
        # Sorting by length lets every batch stop at its own longest sequence.
        order = np.argsort(seqs.lengths, kind="stable")
        if per_step:
            starts = np.concatenate([[0], np.cumsum(seqs.lengths)])
            outputs = np.empty((starts[-1], units), dtype=np.float64)
        else:
            outputs = np.empty((len(seqs), units), dtype=np.float64)
        static = None if seqs.static is None else torch.from_numpy(seqs.static)
        with torch.inference_mode(), _torch_threads(self.n_threads):
            for start in range(0, len(order), PREDICT_BATCH_SIZE):
                rows = order[start : start + PREDICT_BATCH_SIZE]
                lengths = seqs.lengths[rows]
                batch = torch.from_numpy(seqs.values[rows, : lengths.max()])
                out = module(
                    batch.to(self.device_),
                    torch.from_numpy(lengths),
                    None if static is None else static[rows].to(self.device_),
                )
                out = out.double().cpu().numpy()
                if not per_step:
                    outputs[rows] = out
                    continue
                # Each row's valid steps go to its slice of the flat output.
                valid = np.arange(out.shape[1])[None, :] < lengths[:, None]
                first = np.cumsum(lengths) - lengths
                within = np.arange(lengths.sum()) - np.repeat(first, lengths)
                outputs[np.repeat(starts[rows], lengths) + within] = out[valid]
        return outputs, (seqs.lengths if per_step else None)

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
        n_static = 0 if seqs.static is None else seqs.static.shape[1]
        expected = getattr(self, "n_static_features_in_", 0)
        if n_static != expected:
            raise ValueError(
                f"X has {n_static} static feature(s) per sequence, but {name} was "
                f"fitted with {expected}. Pass X in the same form as in fit (a "
                "table with the same sequence and static columns)."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _check_head_layers(head_layers):
    """``head_layers`` as a tuple of positive ints, or a clear error."""
    sizes = tuple(np.ravel(np.asarray(head_layers, dtype=object)).tolist())
    if not all(
        isinstance(size, Integral) and not isinstance(size, bool) and size > 0
        for size in sizes
    ):
        raise ValueError(
            "head_layers must hold positive ints, the sizes of the hidden layers "
            f"between the recurrent summary and the output, such as (64,); got "
            f"{head_layers!r}. Use () for a single linear output layer."
        )
    return tuple(int(size) for size in sizes)


def _architecture_value(key, value):
    """A parameter as compared for warm starts (sequences as int tuples)."""
    if key == "head_layers":
        return _check_head_layers(value)
    return value


def _n_outputs(module):
    """Output units of a module (also one pickled before ``n_outputs``)."""
    units = getattr(module, "n_outputs", None)
    if units is None:
        head = module.head
        units = (
            head[-1] if isinstance(head, torch.nn.Sequential) else head
        ).out_features
    return int(units)


def _check_head_units(config, head_units):
    """Refuse a warm start whose targets need another number of output units."""
    if head_units != config["n_outputs"]:
        raise ValueError(
            f"warm_start=True continues training the fitted network, but it has "
            f"{config['n_outputs']} output units and the targets and parameters "
            f"now need {head_units}. Set warm_start=False to train a new network."
        )


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


def flatten_step_values(y, lengths, what, name):
    """Per-step values -> one row per valid step, checked against ``lengths``.

    ``y`` is a list (or object array) of arrays, one per sequence, of
    ``lengths[i]`` rows each; or a post-padded array whose first axis is the
    sequences and second the steps (``y[i, :lengths[i]]`` are sequence
    ``i``'s values; the rest is padding, whatever it holds).
    """
    if (
        isinstance(y, (list, tuple))
        or (isinstance(y, np.ndarray) and y.dtype == object and y.ndim == 1)
        or (hasattr(y, "iloc") and getattr(y, "ndim", 2) == 1)
    ):
        items = [np.asarray(item) for item in y]
        bad = [
            i
            for i, item in enumerate(items)
            if item.ndim == 0 or len(item) != lengths[i]
        ]
        if bad:
            i = bad[0]
            got = "a scalar" if items[i].ndim == 0 else f"{len(items[i])} values"
            raise ValueError(
                f"per_step=True needs one {what} value per time step, but sequence "
                f"{i} has {lengths[i]} steps and {what}[{i}] has {got}. Pass {what} "
                "as a list of arrays with the same lengths as the sequences of X."
            )
        return np.concatenate(items, axis=0)
    array = np.asarray(y)
    if array.ndim < 2 or array.shape[1] < lengths.max():
        raise ValueError(
            f"per_step=True needs {what} with one value per time step: a list of "
            f"arrays, or an array of shape (n_samples, n_steps, ...) with n_steps >= "
            f"the longest sequence ({lengths.max()}); got shape {array.shape}. "
            f"{name} reads {what}[i, :length_i] for sequence i."
        )
    steps = np.arange(array.shape[1])
    return array[steps[None, :] < lengths[:, None]]


def _flat_step_weights(sample_weight, lengths, name):
    """Per-sequence weights broadcast to steps, or per-step weights flattened."""
    first = next(iter(sample_weight), None)
    per_step = first is not None and np.ndim(np.asarray(first, dtype=object)) > 0
    if per_step:
        return flatten_step_values(
            sample_weight, lengths, "sample_weight", name
        ).astype(np.float64)
    weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if len(weight) != len(lengths):
        raise ValueError(
            f"sample_weight has {len(weight)} values for {len(lengths)} "
            "sequences. Pass one weight per sequence, or one array of "
            "per-step weights per sequence."
        )
    return np.repeat(weight, lengths)


def _pad_steps(flat, lengths):
    """Rows of valid steps -> post-padded ``(n, max_len, ...)`` (zeros after)."""
    width = int(lengths.max())
    padded = np.zeros((len(lengths), width, *flat.shape[1:]), dtype=flat.dtype)
    steps = np.arange(width)
    padded[steps[None, :] < lengths[:, None]] = flat
    return padded


def split_steps(rows, lengths):
    """One array per sequence (an object array), from rows of valid steps."""
    out = np.empty(len(lengths), dtype=object)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for i in range(len(lengths)):
        out[i] = rows[starts[i] : starts[i + 1]]
    return out


def _check_weights(weight, what):
    """Per-sample loss weights: finite, non-negative, not all zero, float32-safe."""
    weight = np.asarray(weight, dtype=np.float64)
    bad = ~np.isfinite(weight) | (weight < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{what} must hold finite, non-negative weights, but the weight of "
            f"sample {row} is {weight[row]}. Pass weights >= 0 (0 drops a sample)."
        )
    if weight.max(initial=0.0) > np.finfo(np.float32).max:
        raise ValueError(
            f"{what} holds weights up to {weight.max():.3g}, beyond float32's range "
            "(training runs in float32). Rescale the weights: only their ratios "
            "matter."
        )
    if len(weight) and not weight.any():
        raise ValueError(
            f"{what} gives every sample a weight of 0, so there is nothing to "
            "learn from. Pass at least one positive weight."
        )
    return weight.astype(np.float32)


def _vocab_size(seqs, embedding_dim, name):
    """Embedding rows for token input (largest id + 1), or None for floats."""
    if not seqs.is_tokens:
        return None
    # Ids 0 (padding) and 1 (unknown) always exist.
    vocab_size = max(int(seqs.values.max()) + 1, 2)
    n_bytes = vocab_size * embedding_dim * 4
    if n_bytes > MAX_EMBEDDING_BYTES:
        raise ValueError(
            f"The largest token id in X is {vocab_size - 1}, so {name} would need "
            f"an embedding of {vocab_size} x {embedding_dim} float32 weights "
            f"({n_bytes / 2**30:.1f} GiB; the limit is "
            f"{MAX_EMBEDDING_BYTES / 2**30:.0f} GiB). Token ids are vocabulary "
            "indices 0..n_words: re-index them (sksequence.TextTokenizer, or "
            "np.unique(X, return_inverse=True)), or lower embedding_dim."
        )
    return vocab_size


def _check_state_shapes(config, state):
    """Refuse saved weights whose shapes differ from the configured module.

    The module is first built on torch's "meta" device, which allocates
    nothing: a forged configuration cannot make this allocate terabytes.
    """
    with torch.device("meta"):
        expected = RNNModule(**{**config, "init": "pytorch"}).state_dict()
    if set(expected) != set(state):
        missing = sorted(set(expected) - set(state))[:3]
        extra = sorted(set(state) - set(expected))[:3]
        raise ValueError(f"weights missing: {missing}, unexpected: {extra}")
    for key, tensor in expected.items():
        if tuple(tensor.shape) != tuple(state[key].shape):
            raise ValueError(
                f"weight {key} has shape {tuple(state[key].shape)}, the network "
                f"needs {tuple(tensor.shape)}"
            )


def _clip_token_ids(values, vocab_size):
    """Map ids the model has no embedding for to 1 (the unknown token)."""
    if values.max() < vocab_size:
        return values
    return np.where(values < vocab_size, values, 1)


def _resolve_device(device):
    """Parse a device string once: ``"auto"``, ``"cpu"``, ``"cuda[:i]"``, ``"mps"``."""
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'cpu', 'cuda', 'cuda:1' or 'auto', "
            f"got {type(device).__name__} {device!r}."
        )
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.type not in DEVICE_TYPES:
        raise ValueError(
            f"device={device!r} is not a device sksequence can train on. Use "
            "'cpu', 'cuda', 'cuda:<index>', 'mps' or 'auto' (lower case; 'auto' "
            "takes a GPU only when there is one)."
        )
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on this "
                "machine. Use device='cpu', or device='auto' to take a GPU only when "
                "there is one."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} names GPU {parsed.index}, but this machine has "
                f"{torch.cuda.device_count()} (indices from 0). Use 'cuda' for the "
                "current one."
            )
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device={device!r} was requested but Apple's MPS backend is not "
            "available on this machine. Use device='cpu' or device='auto'."
        )
    return str(parsed)


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


# torch has one process-wide random generator (per device). Seeded blocks
# take turns on it, so that fits running in threads (joblib's threading
# backend, Dask's threaded workers) stay reproducible and never see each
# other's draws or restore each other's state.
_RNG_LOCK = threading.RLock()


@contextmanager
def _seeded(seed, device):
    """Seed torch for the block and restore the caller's RNG state after it."""
    devices = []
    if str(device).startswith("cuda"):
        index = torch.device(device).index
        # "cuda" without an index means the current CUDA device.
        devices = [torch.cuda.current_device() if index is None else index]
    with _RNG_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
