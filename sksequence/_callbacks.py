"""skorch callbacks: gradient clipping with diagnostics, divergence stop, scores."""

import math

import torch
from skorch.callbacks import Callback

__all__ = ["GradientMonitor", "ScoreMonitor", "TrainingDivergedError"]


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss or the gradient becomes NaN or infinite in training.

    The optimizer step that would have applied the non-finite gradient is
    never taken, so the weights stay finite.
    """


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
        # Collected once, not on every step from skorch's generator.
        self._params = [p for _, p in net.get_all_learnable_params()]
        self._same_device = len({(p.device, p.dtype) for p in self._params}) == 1

    def on_epoch_begin(self, net, **kwargs):
        self._norms = []
        self._clipped = 0

    def on_grad_computed(self, net, named_parameters, **kwargs):
        params = [p for p in self._params if p.grad is not None]
        grads = [p.grad for p in params]
        norm = float(_total_norm(grads, self._same_device))
        if not math.isfinite(norm):
            self._diverged(net, norm)
        clipped = False
        if self.clip_norm is not None and norm > self.clip_norm:
            torch.nn.utils.clip_grads_with_norm_(grads, self.clip_norm, norm)
            clipped = True
        if self.clip_value is not None:
            largest = float(torch.nn.utils.get_total_norm(grads, math.inf))
            clipped |= largest > self.clip_value
            torch.nn.utils.clip_grad_value_(params, self.clip_value)
        self._norms.append(norm)
        self._clipped += clipped

    def on_epoch_end(self, net, **kwargs):
        if not self._norms:
            return
        net.history.record("grad_norm_mean", sum(self._norms) / len(self._norms))
        net.history.record("grad_norm_max", max(self._norms))
        net.history.record("clipped_fraction", self._clipped / len(self._norms))

    def _diverged(self, net, norm):
        epoch = len(net.history)
        batch = len(self._norms) + 1
        hint = (
            "Lower the learning rate (lr)"
            if self.clip_norm is not None or self.clip_value is not None
            else "Clip the gradients (e.g. clip_norm=1.0), lower the learning rate"
        )
        raise TrainingDivergedError(
            f"Training diverged in epoch {epoch}, batch {batch}: the gradient norm "
            f"is {norm} (the loss became NaN or infinite). {hint}, or standardise "
            "the inputs. The weights were left at their last finite values."
        )


def _total_norm(grads, same_device):
    """Global L2 norm; for one device and dtype, ``get_total_norm`` in half the time."""
    if same_device and grads:
        return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    return torch.nn.utils.get_total_norm(grads)


class ScoreMonitor(Callback):
    """Record ``train_score`` and ``valid_score`` per epoch, at no extra cost.

    No extra forward pass: the predictions every batch already made for its
    loss are compared with the batch's targets, and the counts are summed
    over the epoch. The train score is therefore a *running* score (as in
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
    """

    def __init__(self, kind):
        self.kind = kind

    def on_epoch_begin(self, net, **kwargs):
        self._totals = {}

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        y_true = batch[1]
        if y_pred is None or y_true is None:
            return
        with torch.no_grad():
            stats = _SCORE_STATS[self.kind](
                y_pred.detach().double(), y_true.to(y_pred.device).double()
            )
        total = self._totals.get(training)
        self._totals[training] = stats if total is None else total + stats

    def on_epoch_end(self, net, **kwargs):
        for training, prefix in ((True, "train"), (False, "valid")):
            if training in self._totals:
                score = _SCORES[self.kind](self._totals[training].cpu())
                net.history.record(f"{prefix}_score", score)


def _accuracy_stats(y_pred, y_true):
    """``[n_correct, n]`` for one batch of logits and encoded labels."""
    if y_pred.shape[1] == 1:
        correct = (y_pred[:, 0] > 0) == (y_true.reshape(-1) > 0.5)
    else:
        correct = y_pred.argmax(dim=1) == y_true.reshape(-1)
    return torch.stack([correct.sum().double(), y_pred.new_tensor(len(correct))])


def _r2_stats(y_pred, y_true):
    """Per output: ``[n, sum(y), sum(y**2), sum((y - y_pred)**2)]``."""
    y_true = y_true.reshape(y_pred.shape)
    n = torch.full_like(y_true[0], len(y_true))
    return torch.stack(
        [
            n,
            y_true.sum(dim=0),
            (y_true**2).sum(dim=0),
            ((y_true - y_pred) ** 2).sum(dim=0),
        ]
    )


def _accuracy(stats):
    return float(stats[0] / stats[1])


def _r2(stats):
    n, total, squares, residual = stats
    variation = squares - total**2 / n
    # As sklearn's r2_score (force_finite): a constant target scores 1 when
    # predicted exactly, else 0.
    exact = torch.where(residual == 0, 1.0, 0.0).double()
    safe = torch.where(variation > 0, variation, 1.0)
    per_output = torch.where(variation > 0, 1 - residual / safe, exact)
    return float(per_output.mean())


_SCORE_STATS = {"accuracy": _accuracy_stats, "r2": _r2_stats}
_SCORES = {"accuracy": _accuracy, "r2": _r2}
