"""Scores over all valid time steps, for models with one output per step.

A per-step model (``per_step=True``) predicts one array per sequence.
scikit-learn's metrics read flat arrays, so these functions check that the
true and predicted sequences line up (same number of sequences, same
length each), flatten both, and call the scikit-learn metric: every valid
step counts once, whatever the sequence it belongs to (the "micro" view
used for tagging). The scorers plug into ``cross_validate`` and
``GridSearchCV`` as ``scoring=``.

Examples
--------
>>> import numpy as np
>>> from sksequence.scoring import per_step_score
>>> y_true = [np.array(["a", "b"]), np.array(["b", "b", "a"])]
>>> y_pred = [np.array(["a", "a"]), np.array(["b", "b", "a"])]
>>> per_step_score("accuracy", y_true, y_pred)
0.8
"""

from functools import partial

import numpy as np
from sklearn import metrics

__all__ = [
    "PER_STEP_METRICS",
    "flatten_steps",
    "get_per_step_scorer",
    "per_step_score",
    "per_step_scorer",
]

# name -> (metric, reads probabilities, greater is better)
PER_STEP_METRICS = {
    "accuracy": (metrics.accuracy_score, False, True),
    "f1_micro": (partial(metrics.f1_score, average="micro"), False, True),
    "f1_macro": (partial(metrics.f1_score, average="macro"), False, True),
    "f1": (metrics.f1_score, False, True),
    "log_loss": (metrics.log_loss, True, False),
    "rmse": (metrics.root_mean_squared_error, False, False),
    "mae": (metrics.mean_absolute_error, False, False),
    "r2": (metrics.r2_score, False, True),
}


def flatten_steps(y_true, y_pred, sample_weight=None):
    """Concatenate per-sequence arrays after checking that they line up.

    Parameters
    ----------
    y_true, y_pred : sequence of array-like
        One array per sequence (lists, object arrays, or 2-D arrays whose
        rows are equal-length sequences).
    sample_weight : array-like of shape (n_sequences,), default=None
        One weight per sequence, repeated for each of its steps.

    Returns
    -------
    y_true, y_pred : ndarray
        All steps, in order.
    sample_weight : ndarray or None
    """
    true_items, pred_items = _items(y_true, "y_true"), _items(y_pred, "y_pred")
    if len(true_items) != len(pred_items):
        raise ValueError(
            f"y_true holds {len(true_items)} sequences but y_pred {len(pred_items)}. "
            "Pass the per-step targets and predictions of the same sequences."
        )
    for i, (t, p) in enumerate(zip(true_items, pred_items, strict=True)):
        if len(t) != len(p):
            raise ValueError(
                f"Sequence {i} has {len(t)} true steps but {len(p)} predicted steps. "
                "Per-step targets must have the lengths of the sequences of X."
            )
    lengths = np.array([len(t) for t in true_items])
    weight = None
    if sample_weight is not None:
        weight = np.repeat(np.asarray(sample_weight, dtype=float), lengths)
    return np.concatenate(true_items), np.concatenate(pred_items), weight


def per_step_score(metric, y_true, y_pred, sample_weight=None, **kwargs):
    """A scikit-learn metric over all valid steps of all sequences.

    Parameters
    ----------
    metric : str
        A key of :data:`PER_STEP_METRICS`: ``"accuracy"``, ``"f1_micro"``,
        ``"f1_macro"``, ``"f1"``, ``"log_loss"`` (``y_pred`` holds
        probabilities), ``"rmse"``, ``"mae"``, ``"r2"``.
    y_true, y_pred : sequence of array-like
        One array per sequence.
    sample_weight : array-like of shape (n_sequences,), default=None
    **kwargs
        Passed to the metric (e.g. ``labels`` for ``log_loss``).

    Returns
    -------
    score : float
    """
    function = _metric(metric)[0]
    y_true, y_pred, weight = flatten_steps(y_true, y_pred, sample_weight)
    return float(function(y_true, y_pred, sample_weight=weight, **kwargs))


def per_step_scorer(metric):
    """A scorer ``scorer(estimator, X, y)`` for ``scoring=`` in model selection.

    Error metrics are negated (as scikit-learn's ``neg_*`` scorers), so that
    greater is always better.

    Parameters
    ----------
    metric : str
        A key of :data:`PER_STEP_METRICS`.

    Returns
    -------
    scorer : callable
    """
    return _PerStepScorer(metric)


def get_per_step_scorer(name):
    """The scorer for ``"per_step_<metric>"`` (``"per_step_neg_<metric>"`` for errors).

    Parameters
    ----------
    name : str
        E.g. ``"per_step_f1_macro"`` or ``"per_step_neg_log_loss"``.

    Returns
    -------
    scorer : callable
    """
    metric = name.removeprefix("per_step_").removeprefix("neg_")
    return per_step_scorer(metric)


class _PerStepScorer:
    def __init__(self, metric):
        _metric(metric)
        self.metric = metric

    def __call__(self, estimator, X, y, sample_weight=None):
        _, uses_proba, greater_is_better = _metric(self.metric)
        kwargs = {}
        if uses_proba:
            y_pred = estimator.predict_proba(X)
            kwargs["labels"] = estimator.classes_
        else:
            y_pred = estimator.predict(X)
        score = per_step_score(self.metric, y, y_pred, sample_weight, **kwargs)
        return score if greater_is_better else -score

    def __repr__(self):
        return f"per_step_scorer({self.metric!r})"


def _metric(name):
    if name not in PER_STEP_METRICS:
        raise ValueError(
            f"Unknown per-step metric {name!r}; choose one of "
            f"{sorted(PER_STEP_METRICS)}."
        )
    return PER_STEP_METRICS[name]


def _items(y, what):
    if isinstance(y, np.ndarray) and y.dtype != object and y.ndim >= 2:
        return list(y)
    try:
        items = [np.asarray(item) for item in y]
    except TypeError:
        raise ValueError(
            f"{what} must hold one array per sequence, got {type(y).__name__}."
        ) from None
    if any(item.ndim == 0 for item in items):
        raise ValueError(
            f"{what} must hold one array per sequence (per-step values), but it "
            "holds scalars: is this the output of a model fitted with "
            "per_step=False?"
        )
    return items
