"""Training losses beyond torch's own (plain torch, no scikit-learn)."""

import torch
from torch import nn

__all__ = ["PinballLoss", "StepCrossEntropyLoss"]


class StepCrossEntropyLoss(nn.CrossEntropyLoss):
    """``CrossEntropyLoss`` that also reads per-step logits ``(batch, steps, C)``.

    torch wants the class axis second, ``(batch, C, steps)``; the per-step
    module emits it last, so it is moved here.
    """

    def forward(self, input, target):
        if input.ndim == 3:
            input = input.transpose(1, 2)
        return super().forward(input, target)


class PinballLoss(nn.Module):
    """Pinball (quantile) loss for several quantile levels at once.

    The network emits ``n_targets * n_quantiles`` units per sample, target
    by target (all quantiles of target 0, then of target 1, ...). For a
    residual ``r = y - prediction`` at level ``q`` the loss is
    ``max(q * r, (q - 1) * r)``: its minimiser is the ``q``-quantile of
    ``y`` given the input.

    Parameters
    ----------
    quantiles : sequence of float in (0, 1)
    reduction : {"none", "mean", "sum"}, default="mean"
        ``"none"`` returns the per-element loss, shape
        ``(batch, n_targets, n_quantiles)``.

    Examples
    --------
    >>> import torch
    >>> loss = PinballLoss([0.1, 0.9], reduction="none")
    >>> loss(torch.zeros(1, 2), torch.ones(1, 1))  # under-prediction by 1
    tensor([[[0.1000, 0.9000]]])
    """

    def __init__(self, quantiles, reduction="mean"):
        super().__init__()
        levels = torch.as_tensor(list(quantiles), dtype=torch.float32)
        if (
            levels.ndim != 1
            or not len(levels)
            or not bool(((levels > 0) & (levels < 1)).all())
        ):
            raise ValueError(f"quantiles must lie in (0, 1), got {levels.tolist()}.")
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"reduction must be none, mean or sum, got {reduction!r}.")
        self.register_buffer("levels", levels, persistent=False)
        self.reduction = reduction

    def forward(self, y_pred, y_true):
        n_quantiles = len(self.levels)
        y_pred = y_pred.reshape(len(y_pred), -1, n_quantiles)
        residual = y_true.reshape(len(y_true), -1, 1) - y_pred
        levels = self.levels.to(y_pred.dtype)
        loss = torch.maximum(levels * residual, (levels - 1) * residual)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss
