"""skorch callbacks: gradient clipping with diagnostics, divergence stop."""

import math

import torch
from skorch.callbacks import Callback

__all__ = ["GradientMonitor", "TrainingDivergedError"]


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

    def on_epoch_begin(self, net, **kwargs):
        self._norms = []
        self._clipped = 0

    def on_grad_computed(self, net, named_parameters, **kwargs):
        params = [p for _, p in named_parameters if p.grad is not None]
        grads = [p.grad for p in params]
        norm = float(torch.nn.utils.get_total_norm(grads))
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
