"""skorch callbacks: gradient clipping with diagnostics, divergence stop, scores."""

import math

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping

__all__ = [
    "GradientMonitor",
    "LearningRateRecorder",
    "LossMonitor",
    "ScoreMonitor",
    "StopTraining",
    "TailEarlyStopping",
    "TrainingDivergedError",
    "UserCallback",
]

# A training loss this many times above the run's first one (or above 1, if
# that is larger) means the run exploded, even while it stays finite. Losses
# of a fresh network start near their worst (about 1 for standardised
# regression targets, log(n_classes) for classifiers); a healthy run never
# rises 10,000-fold, an exploding one (SGD, lr=1e6) reached 1e36 in 2 steps.
EXPLOSION_FACTOR = 1e4


class TrainingDivergedError(FloatingPointError):
    """Raised when training diverges.

    The loss or the gradient became NaN or infinite, or the training loss
    exploded while staying finite (rose :data:`EXPLOSION_FACTOR` times above
    its start). The estimator is left exactly as it was before the fit.
    """


class StopTraining(Exception):
    """Raised by a callback to end training early, as a completed fit.

    skorch's callbacks signal this with ``KeyboardInterrupt``, which
    sksequence reserves for the user's Ctrl-C (an interrupted fit raises and
    leaves the estimator as it was).
    """


class TailEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, stopping with :class:`StopTraining`."""

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            raise StopTraining from None


class LearningRateRecorder(Callback):
    """Record each epoch's learning rate (the first parameter group's) as ``lr``."""

    def on_epoch_begin(self, net, **kwargs):
        net.history.record("lr", float(net.optimizer_.param_groups[0]["lr"]))


class UserCallback(Callback):
    """A user's skorch callback, run after sksequence's own.

    skorch callbacks stop training by raising ``KeyboardInterrupt``; here
    that becomes :class:`StopTraining` (a finished fit), so that a real
    Ctrl-C stays distinguishable. Everything else is delegated unchanged.

    Parameters
    ----------
    callback : skorch.callbacks.Callback
    """

    def __init__(self, callback):
        self.callback = callback

    def initialize(self):
        self.callback.initialize()
        return self

    def __getattribute__(self, name):
        if name.startswith("on_"):
            method = getattr(object.__getattribute__(self, "callback"), name)

            def call(*args, **kwargs):
                try:
                    return method(*args, **kwargs)
                except KeyboardInterrupt:
                    raise StopTraining from None

            return call
        return object.__getattribute__(self, name)


def _advice(clipping):
    first = (
        "Lower the learning rate (lr)"
        if clipping
        else "Clip the gradients (e.g. clip_norm=1.0), lower the learning rate"
    )
    return (
        f"{first}, or standardise the inputs. The estimator was left as it was "
        "before this fit."
    )


class GradientMonitor(Callback):
    """Clip gradients and record their norm, every training step.

    After each backward pass: the global L2 norm of all gradients is
    computed (before clipping); a non-finite norm stops training with
    :class:`TrainingDivergedError`; gradients are then clipped by global norm
    (``clip_norm``) and/or element-wise by value (``clip_value``). Per epoch
    the history gets ``grad_norm_mean``, ``grad_norm_max`` and
    ``clipped_fraction`` (share of steps where clipping changed a gradient).

    Parameters
    ----------
    clip_norm : float or None
    clip_value : float or None
    """

    def __init__(self, clip_norm=None, clip_value=None):
        self.clip_norm = clip_norm
        self.clip_value = clip_value

    def on_train_begin(self, net, **kwargs):
        # Collected once, not on every step from skorch's generator. Frozen
        # parameters get no gradient (a zero one would make optimizers with
        # momentum or weight decay move them).
        params = [p for _, p in net.get_all_learnable_params()]
        for param in params:
            if not param.requires_grad:
                param.grad = None  # a stale gradient would still be applied
        self._params = [p for p in params if p.requires_grad]
        self._flat, self._views = _flat_gradients(self._params)

    def on_train_end(self, net, **kwargs):
        # The buffer and parameter references are only needed while training:
        # release the gradients (the next fit makes a new buffer), and keep
        # pickles of the fitted net free of them.
        for param in self._params:
            param.grad = None
        self._params = self._flat = self._views = None

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("_params", "_flat", "_views"):
            state.pop(name, None)
        return state

    def on_epoch_begin(self, net, **kwargs):
        self._norms = []
        self._clipped = 0

    def on_grad_computed(self, net, named_parameters, **kwargs):
        if self._flat is not None and self._grads_are_views():
            # One contiguous gradient: norm and clipping are single kernels.
            flat = self._flat
            grads = params = None
            norm = float(torch.linalg.vector_norm(flat))
        else:
            params = [p for p in self._params if p.grad is not None]
            grads = [p.grad for p in params]
            norm = float(_total_norm(grads))
        if not math.isfinite(norm):
            self._diverged(net, norm)
        clipped = False
        if self.clip_norm is not None and norm > self.clip_norm:
            # The factor of torch.nn.utils.clip_grad_norm_.
            factor = self.clip_norm / (norm + 1e-6)
            if grads is None:
                flat.mul_(factor)
            else:
                torch._foreach_mul_(grads, factor)
            clipped = True
        if self.clip_value is not None:
            if grads is None:
                largest = float(torch.linalg.vector_norm(flat, math.inf))
                flat.clamp_(-self.clip_value, self.clip_value)
            else:
                largest = float(torch.nn.utils.get_total_norm(grads, math.inf))
                torch.nn.utils.clip_grad_value_(params, self.clip_value)
            clipped |= largest > self.clip_value
        self._norms.append(norm)
        self._clipped += clipped

    def _grads_are_views(self):
        """Whether every gradient is still its view of the flat buffer.

        ``Module.to``/``_apply`` can swap a gradient's data in place (same
        object, new storage), so the storage is compared as well.
        """
        views = self._views
        return views[0].untyped_storage().data_ptr() == (
            self._flat.untyped_storage().data_ptr()
        ) and all(p.grad is view for p, view in zip(self._params, views, strict=True))

    def on_epoch_end(self, net, **kwargs):
        if not self._norms:
            return
        net.history.record("grad_norm_mean", sum(self._norms) / len(self._norms))
        net.history.record("grad_norm_max", max(self._norms))
        net.history.record("clipped_fraction", self._clipped / len(self._norms))

    def _diverged(self, net, norm):
        epoch = len(net.history)
        batch = len(self._norms) + 1
        hint = _advice(self.clip_norm is not None or self.clip_value is not None)
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}, batch {batch}: the gradient norm "
            f"is {norm} (the loss became NaN or infinite). {hint}"
        )


class LossMonitor(Callback):
    """Stop a run whose training loss explodes while staying finite.

    A non-finite loss gives a non-finite gradient norm, which
    :class:`GradientMonitor` catches; this catches the finite explosions
    (loss 1.07 -> 1.7e36 with SGD at lr=1e6): a training batch whose loss is
    more than :data:`EXPLOSION_FACTOR` times the run's first training loss
    (or 1, if larger) raises :class:`TrainingDivergedError`.
    """

    def on_train_begin(self, net, **kwargs):
        self._reference = None
        self._batch = 0

    def on_epoch_begin(self, net, **kwargs):
        self._batch = 0

    def on_batch_end(self, net, training, loss_value=None, **kwargs):
        # loss_value: the batch loss SequenceNet already read as a float.
        if not training or loss_value is None:
            return
        self._batch += 1
        value = loss_value
        if self._reference is None:
            self._reference = max(value, 1.0) if math.isfinite(value) else 1.0
            return
        if value > EXPLOSION_FACTOR * self._reference:
            clipping = any(
                getattr(cb, "clip_norm", None) is not None
                or getattr(cb, "clip_value", None) is not None
                for _, cb in net.callbacks_
            )
            raise TrainingDivergedError(
                f"Training diverged in epoch {len(net.history)}, batch "
                f"{self._batch}: the training loss rose to {value:.3g}, more than "
                f"{EXPLOSION_FACTOR:.0e} times its start ({self._reference:.3g}). "
                f"{_advice(clipping)}"
            )


def _flat_gradients(params):
    """Give ``params`` gradients that are views of one flat buffer.

    Returns ``(flat, views)``, or ``(None, None)`` when the parameters do not
    share one device and dtype. The network must then zero gradients in
    place (``SequenceNet`` does) so that backward accumulates into the views
    instead of replacing them; the norm of all gradients is then one kernel
    on ``flat`` instead of one per parameter.
    """
    if not params or len({(p.device, p.dtype) for p in params}) != 1:
        return None, None
    sizes = [p.numel() for p in params]
    flat = torch.zeros(sum(sizes), device=params[0].device, dtype=params[0].dtype)
    views = [
        chunk.view_as(p) for chunk, p in zip(flat.split(sizes), params, strict=True)
    ]
    for param, view in zip(params, views, strict=True):
        if param.grad is not None:
            view.copy_(param.grad)
        param.grad = view
    return flat, views


def _total_norm(grads):
    """Global L2 norm; for one device and dtype, ``get_total_norm`` in half the time."""
    if grads and len({(g.device, g.dtype) for g in grads}) == 1:
        return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    return torch.nn.utils.get_total_norm(grads)


class ScoreMonitor(Callback):
    """Record ``train_score`` and ``valid_score`` per epoch, at no extra cost.

    No extra forward pass: the predictions every batch already made for its
    loss are kept (by reference) with the batch's targets and scored once,
    at the end of the epoch. The train score is therefore a *running* score (as in
    Keras): it comes from train-mode predictions (dropout active) by weights
    that change during the epoch. The validation score, recorded only when
    there is a validation split (``early_stopping=True``), is computed like
    ``valid_loss``: eval mode, weights at the end of the epoch. Scores ignore
    sample weights, as ``estimator.score(X, y)`` does without them.

    Parameters
    ----------
    kind : {"accuracy", "r2"}
        ``"accuracy"``: logits against encoded labels (one logit: positive
        class when it is above 0; several: the largest). ``"r2"``: the
        coefficient of determination, averaged uniformly over outputs (as
        ``RegressorMixin.score``); R^2 is unchanged by the estimator's
        target standardisation.
    columns : array-like of int or None, default=None
        Output units that are scored against the targets (e.g. the median
        of each target of a quantile regressor); None scores all.
    """

    def __init__(self, kind, columns=None):
        self.kind = kind
        self.columns = columns

    def on_epoch_begin(self, net, **kwargs):
        self._outputs = {True: [], False: []}

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        # Only keep references: no tensor op, no host sync per batch.
        if y_pred is not None and batch[1] is not None:
            lengths = batch[0]["lengths"] if y_pred.ndim == 3 else None
            self._outputs[training].append((y_pred.detach(), batch[1], lengths))

    def on_epoch_end(self, net, **kwargs):
        for training, prefix in ((True, "train"), (False, "valid")):
            if self._outputs[training]:
                pairs = [_valid_rows(*entry) for entry in self._outputs[training]]
                y_pred = torch.cat([p for p, _ in pairs]).cpu().double().numpy()
                y_true = torch.cat([t for _, t in pairs]).cpu().numpy()
                y_true = y_true.reshape(len(y_pred), -1)
                if self.columns is not None:
                    y_pred = y_pred[:, self.columns]
                score = _SCORES[self.kind](y_true, y_pred)
                net.history.record(f"{prefix}_score", score)
        self._outputs = {True: [], False: []}


def _valid_rows(y_pred, y_true, lengths):
    """Per-step outputs flattened to one row per valid step; others unchanged."""
    if lengths is None:
        return y_pred, y_true
    lengths = lengths.to(y_pred.device)
    steps = torch.arange(y_pred.shape[1], device=y_pred.device)
    mask = steps[None, :] < lengths[:, None]
    return y_pred[mask], y_true.to(y_pred.device)[mask]


def _accuracy(y_true, logits):
    """Accuracy of logits against encoded labels (0/1 or class codes)."""
    if logits.shape[1] == 1:
        return float(np.mean((logits[:, 0] > 0) == (y_true[:, 0] > 0.5)))
    return float(np.mean(logits.argmax(axis=1) == y_true[:, 0]))


def _r2(y_true, y_pred):
    """R^2 averaged over outputs, as ``r2_score`` but silent on one sample."""
    if len(y_true) < 2:
        return math.nan
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    variation = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    # As r2_score (force_finite): a constant target scores 1 if predicted
    # exactly, else 0.
    per_output = np.where(residual == 0, 1.0, 0.0)
    varies = variation > 0
    per_output[varies] = 1 - residual[varies] / variation[varies]
    return float(per_output.mean())


_SCORES = {"accuracy": _accuracy, "r2": _r2}
