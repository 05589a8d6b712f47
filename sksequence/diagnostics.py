"""Training diagnostics: gradient flow through time, parameter counts, plots.

Every fitted estimator records, per epoch and at no extra cost, its losses,
scores, gradient norms and clipping in ``estimator.history_``. This module
adds what training cannot record cheaply:

* :func:`gradient_flow`: how strongly the loss gradient reaches each time
  step of the input, for a fitted estimator or for the network a fresh one
  would start from. Comparing it across cells and initialisations shows the
  vanishing-gradient problem directly.
* :func:`count_parameters`: the size of the network.
* :func:`plot_history`, :func:`plot_gradient_norms` and
  :func:`plot_gradient_flow`: matplotlib figures of the above. matplotlib is
  an optional dependency, imported only when a plot is drawn.
"""

import copy

import numpy as np
import torch

from ._base import PREDICT_BATCH_SIZE, _n_outputs

__all__ = [
    "count_parameters",
    "gradient_flow",
    "plot_gradient_flow",
    "plot_gradient_norms",
    "plot_history",
]


def gradient_flow(estimator, X, y=None, *, dtype=torch.float64, align="start"):
    """Norm of the loss gradient with respect to the input at each time step.

    For every sequence and time step ``t``, the L2 norm (over features) of
    ``dL/dx_t``, averaged over the sequences that have a step ``t``. A
    recurrent network learns from step ``t`` only through this gradient:
    when it is many orders of magnitude smaller at the first steps than at
    the last, the early part of the sequence is effectively invisible to
    training (the vanishing-gradient problem).

    The estimator is not modified: the computation runs on a copy of its
    network, in eval mode (no dropout), on the CPU.

    Parameters
    ----------
    estimator : RNNClassifier or RNNRegressor
        A fitted estimator (its trained network is used) or an unfitted one:
        then the network is built exactly as ``fit`` would build it before
        the first step, with the same ``random_state`` giving the same
        initial weights.
    X : array-like or list of array-like
        Sequences, in any form the estimator accepts. For token ids the
        gradient is taken with respect to the embedding output.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Targets. When given, ``L`` is the training loss (summed over
        samples, so that each sequence's gradient is that of its own loss).
        When None, ``L`` is the sum of the network's raw outputs (logits for
        a classifier, standardised predictions for a regressor): the
        gradient then measures how much each step can move the prediction,
        whatever the targets. An unfitted classifier without ``y`` gets one
        output unit.
    dtype : torch.dtype, default=torch.float64
        Precision of the computation. Gradients through long sequences can be
        far below float32's smallest positive number (about 1e-45): in
        float32 they underflow to exactly 0.
    align : {"start", "end"}, default="start"
        How sequences of different lengths are lined up: element ``t`` of
        the result is step ``t`` counted from each sequence's start, or, with
        ``"end"``, the ``n_timesteps - t``-th step before each sequence's
        end (so the last element is every sequence's last step). Equal-length
        sequences give the same result either way.

    Returns
    -------
    flow : ndarray of shape (n_timesteps,)
        Mean gradient norm per time step; ``n_timesteps`` is the longest
        sequence in ``X``.

    See Also
    --------
    plot_gradient_flow : Plot the result on a log scale.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNRegressor
    >>> from sksequence.diagnostics import gradient_flow
    >>> X = np.random.default_rng(0).normal(size=(16, 50, 1))
    >>> flows = {
    ...     cell: gradient_flow(RNNRegressor(cell=cell, random_state=0), X)
    ...     for cell in ("rnn", "lstm")
    ... }
    >>> flows["rnn"].shape
    (50,)
    >>> ratios = {cell: flow[0] / flow[-1] for cell, flow in flows.items()}
    >>> bool(ratios["rnn"] < ratios["lstm"])
    True
    """
    if align not in ("start", "end"):
        raise ValueError(f"align must be 'start' or 'end', got {align!r}.")
    module, seqs, values, targets, info = _network(estimator, X, y)
    module = copy.deepcopy(module).to(device="cpu", dtype=dtype).eval()
    module.requires_grad_(False)
    criterion = None
    if targets is not None:
        criterion = estimator._criterion(info)(reduction="sum")
    norms = np.full(seqs.values.shape[:2], np.nan)
    for start in range(0, len(seqs), PREDICT_BATCH_SIZE):
        rows = slice(start, start + PREDICT_BATCH_SIZE)
        lengths = torch.from_numpy(seqs.lengths[rows])
        width = int(lengths.max())
        batch_targets = None if targets is None else targets[rows]
        grads = _input_gradients(
            module, values[rows, :width], lengths, batch_targets, criterion, dtype
        )
        norms[rows, :width] = grads.flatten(2).norm(dim=2).numpy()
    steps = np.arange(norms.shape[1])
    norms[steps >= seqs.lengths[:, None]] = np.nan
    if align == "end":
        shift = (steps - (norms.shape[1] - seqs.lengths[:, None])) % norms.shape[1]
        norms = np.take_along_axis(norms, shift, axis=1)
    return np.nanmean(norms, axis=0)


def count_parameters(estimator, X=None, y=None):
    """Number of trainable weights of the estimator's network.

    Parameters
    ----------
    estimator : RNNClassifier or RNNRegressor
        A fitted estimator, or an unfitted one together with ``X`` (and
        ``y``, which sets the size of the output layer; without it an
        unfitted estimator is counted with one output unit).
    X : array-like or list of array-like, default=None
        Sequences; needed only when ``estimator`` is not fitted (the input
        size, or the vocabulary size for token ids, comes from them).
    y : array-like, default=None
        Targets; used only when ``estimator`` is not fitted.

    Returns
    -------
    n_parameters : int

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNClassifier
    >>> from sksequence.diagnostics import count_parameters
    >>> X, y = np.zeros((4, 10, 3)), [0, 1, 2, 0]
    >>> {cell: count_parameters(RNNClassifier(cell=cell, hidden_size=8), X, y)
    ...  for cell in ("rnn", "lstm", "gru")}
    {'rnn': 131, 'lstm': 443, 'gru': 339}
    """
    if not hasattr(estimator, "net_") and X is None:
        raise ValueError(
            f"count_parameters needs X for an unfitted {type(estimator).__name__}: "
            "the network's size depends on the number of features per time step "
            "(or the vocabulary). Pass X (and y), or fit the estimator first."
        )
    if hasattr(estimator, "net_"):
        module = estimator.net_.module_
    else:
        module = _network(estimator, X, y)[0]
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def plot_history(estimator, *, axes=None):
    """Plot the learning curves: losses and scores per epoch.

    Training and validation loss on the first axes, training and validation
    score (accuracy or R^2) on the second. Validation curves exist only when
    the estimator was fitted with ``early_stopping=True``. The training
    score is a running score over each epoch (see ``history_``).

    Parameters
    ----------
    estimator : fitted RNNClassifier or RNNRegressor
    axes : sequence of two matplotlib Axes, default=None
        Where to draw; by default a new figure with two panels.

    Returns
    -------
    axes : sequence of two matplotlib Axes

    Examples
    --------
    >>> from sksequence.diagnostics import plot_history
    >>> plot_history(fitted_estimator)  # doctest: +SKIP
    """
    history = _history(estimator, "plot_history")
    if axes is None:
        plt = _pyplot("plot_history")
        _, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    for ax, what in zip(axes, ("loss", "score"), strict=True):
        for part in ("train", "valid"):
            epochs, values = _series(history, f"{part}_{what}")
            if len(values):
                ax.plot(epochs, values, marker=".", label=f"{part}_{what}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(what)
        ax.legend()
    return axes


def plot_gradient_norms(estimator, *, ax=None):
    """Plot the gradient norm before clipping and the share of clipped steps.

    The mean and maximum global gradient norm per epoch (log scale, left
    axis) and the fraction of training steps that clipping changed (right
    axis, 0 to 1).

    Parameters
    ----------
    estimator : fitted RNNClassifier or RNNRegressor
    ax : matplotlib Axes, default=None
        Where to draw; by default a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The axes of the gradient norms; the clipping fraction is drawn on
        its twin (``ax.right_ax``).

    Examples
    --------
    >>> from sksequence.diagnostics import plot_gradient_norms
    >>> plot_gradient_norms(fitted_estimator)  # doctest: +SKIP
    """
    history = _history(estimator, "plot_gradient_norms")
    if ax is None:
        plt = _pyplot("plot_gradient_norms")
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    for key, style in (("grad_norm_mean", "-"), ("grad_norm_max", "--")):
        ax.plot(*_series(history, key), style, marker=".", label=key)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (before clipping)")
    right = ax.twinx()
    right.plot(*_series(history, "clipped_fraction"), ":", color="tab:red")
    right.set_ylim(-0.05, 1.05)
    right.set_ylabel("clipped fraction", color="tab:red")
    ax.legend(loc="upper left")
    ax.right_ax = right
    return ax


def plot_gradient_flow(flows, *, ax=None):
    """Plot gradient norms by time step on a log scale.

    Parameters
    ----------
    flows : array-like of shape (n_timesteps,) or dict of str to array-like
        The output of :func:`gradient_flow`, or several of them by label
        (e.g. one per cell) to compare on one figure.
    ax : matplotlib Axes, default=None
        Where to draw; by default a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sksequence.diagnostics import gradient_flow, plot_gradient_flow
    >>> plot_gradient_flow({"lstm": gradient_flow(lstm, X)})  # doctest: +SKIP
    """
    if ax is None:
        plt = _pyplot("plot_gradient_flow")
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    labelled = flows if isinstance(flows, dict) else {None: flows}
    for label, flow in labelled.items():
        flow = np.asarray(flow, dtype=float)
        ax.plot(np.arange(len(flow)), flow, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time step")
    ax.set_ylabel("mean ||dL/dx_t||")
    if isinstance(flows, dict):
        ax.legend()
    return ax


# -- helpers ------------------------------------------------------------------


def _network(estimator, X, y):
    """The estimator's module (or the one fit would build) and the inputs.

    Returns ``(module, seqs, values, targets, info)``: ``values`` is the
    padded input as a tensor (token ids clipped to the vocabulary),
    ``targets`` the encoded targets as a tensor and ``info`` what their
    encoding learned (both None without ``y``). Everything goes through the
    estimator's build seam, exactly as in ``fit``.
    """
    fitted = hasattr(estimator, "net_")
    seqs = estimator._validate_sequences(X, reset=not fitted)
    targets = info = None
    n_outputs = _n_outputs(estimator.net_.module_) if fitted else 1
    if y is not None:
        targets, info, _ = estimator._encode(seqs, y, warm=fitted)
        targets = torch.from_numpy(targets)
        n_outputs = estimator._head_units(info)
    if fitted:
        module = estimator.net_.module_
    else:
        module = estimator._initial_module(seqs, n_outputs)
    return module, seqs, torch.from_numpy(seqs.values), targets, info


def _input_gradients(module, values, lengths, targets, criterion, dtype):
    """``dL/dx`` for one batch; for token ids, x is the embedding output."""
    inputs = []

    def as_leaf(embedding, args, output):
        leaf = output.detach().requires_grad_()
        inputs.append(leaf)
        return leaf

    if module.embedding is None:
        inputs.append(values.to(dtype).requires_grad_())
        out = module(inputs[0], lengths)
    else:
        handle = module.embedding.register_forward_hook(as_leaf)
        try:
            out = module(values, lengths)
        finally:
            handle.remove()
    if criterion is None:
        loss = out.sum()
    else:
        if targets.is_floating_point():
            targets = targets.to(dtype)
        loss = criterion(out, targets)
    (grad,) = torch.autograd.grad(loss, inputs)
    return grad


def _history(estimator, caller):
    if not hasattr(estimator, "net_"):
        raise ValueError(
            f"{caller} needs a fitted estimator: {type(estimator).__name__} has "
            "no training history yet. Call fit first."
        )
    return estimator.history_


def _series(history, key):
    rows = [row for row in history if key in row]
    return [row["epoch"] for row in rows], [row[key] for row in rows]


def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, an optional dependency of sksequence. "
            "Install it with `pip install matplotlib`."
        ) from exc
    return plt
