"""Forecast accuracy: metric functions and backtest scorers.

The functions take arrays: ``y_true`` and ``y_pred`` of shape
``(n_series, horizon)`` (or ``(horizon,)`` for one series). The scorers are
callables ``scorer(forecaster, X, y=None)``, what sklearn's ``scoring=``
accepts: each forecasts the last ``horizon`` rows of every series in ``X``
from the rows before them (the test folds of
:class:`~sksequence.model_selection.ForecastSplit` carry that history) and
scores only those rows. Errors are negated (greater is better), as sklearn's
``neg_*`` scorers; :func:`coverage_scorer` returns the coverage itself.

Examples
--------
>>> import numpy as np
>>> from sksequence.metrics import mase, smape
>>> history = np.array([1.0, 2.0, 3.0, 4.0])  # naive in-sample error 1
>>> float(mase([5.0, 6.0], [5.5, 5.0], history))
0.75
>>> float(smape([1.0, 2.0], [1.0, 2.0]))
0.0
"""

import numpy as np

__all__ = [
    "coverage",
    "coverage_scorer",
    "forecast_scorer",
    "mase",
    "mase_scorer",
    "pinball",
    "pinball_scorer",
    "rmse",
    "rmse_scorer",
    "smape",
    "smape_scorer",
]


def _rows(values):
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(1, -1) if array.ndim == 1 else array


def mase(y_true, y_pred, y_train, *, season_length=1):
    """Mean absolute scaled error, averaged over series.

    Each series' mean absolute error is divided by the mean absolute error
    of the seasonal naive forecast on its own history ``y_train`` (lag
    ``season_length``); below 1 beats that in-sample naive forecast.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_series, horizon) or (horizon,)
    y_train : array-like or list of array-like
        The history of each series (one array for one series).
    season_length : int, default=1

    Returns
    -------
    float
    """
    y_true, y_pred = _rows(y_true), _rows(y_pred)
    if np.ndim(y_train[0]) == 0:
        y_train = [y_train]
    m = season_length
    errors = []
    for truth, pred, history in zip(y_true, y_pred, y_train, strict=True):
        history = np.asarray(history, dtype=np.float64)
        if len(history) <= m:
            raise ValueError(
                f"MASE with season_length={m} needs more than {m} history "
                f"values per series, got {len(history)}."
            )
        scale = np.mean(np.abs(history[m:] - history[:-m]))
        scale = scale if scale > 0 else np.finfo(np.float64).eps
        errors.append(np.mean(np.abs(truth - pred)) / scale)
    return float(np.mean(errors))


def smape(y_true, y_pred):
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    ``200 * |y - yhat| / (|y| + |yhat|)`` averaged over all steps; a step
    where both are 0 counts as 0.
    """
    y_true, y_pred = _rows(y_true), _rows(y_pred)
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(y_true - y_pred),
        denominator,
        out=np.zeros_like(denominator),
        where=denominator > 0,
    )
    return float(100 * ratio.mean())


def rmse(y_true, y_pred):
    """Root mean squared error over all series and steps."""
    y_true, y_pred = _rows(y_true), _rows(y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def pinball(y_true, y_quantiles, quantiles):
    """Mean pinball (quantile) loss over series, steps and levels.

    Parameters
    ----------
    y_true : array-like of shape (n_series, horizon) or (horizon,)
    y_quantiles : array-like of shape (n_series, horizon, n_quantiles) or \
            (horizon, n_quantiles)
    quantiles : array-like of shape (n_quantiles,)
    """
    y_true = _rows(y_true)
    pred = np.asarray(y_quantiles, dtype=np.float64).reshape(
        (*y_true.shape, len(quantiles))
    )
    levels = np.asarray(quantiles, dtype=np.float64)
    diff = y_true[..., None] - pred
    return float(np.mean(np.maximum(levels * diff, (levels - 1) * diff)))


def coverage(y_true, lower, upper):
    """Share of ``y_true`` inside ``[lower, upper]``."""
    y_true, lower, upper = _rows(y_true), _rows(lower), _rows(upper)
    return float(np.mean((y_true >= lower) & (y_true <= upper)))


class _ForecastScorer:
    """``scorer(forecaster, X, y=None)`` on the last ``horizon`` rows."""

    def __init__(self, name, **kwargs):
        self.name = name
        self.kwargs = kwargs

    def __call__(self, estimator, X, y=None, **kwargs):
        if self.name == "pinball":
            truth, pred, _ = estimator._holdout(X, "quantiles")
            return -pinball(truth, pred, estimator.quantiles_)
        if self.name == "coverage":
            kind = ("interval", self.kwargs["coverage"])
            truth, pred, _ = estimator._holdout(X, kind)
            return coverage(truth, pred[..., 0], pred[..., 1])
        truth, pred, histories = estimator._holdout(X)
        if self.name == "mase":
            return -mase(truth, pred, histories, **self.kwargs)
        return -{"smape": smape, "rmse": rmse}[self.name](truth, pred)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.name}_scorer({args})"


def forecast_scorer(metric, **kwargs):
    """The backtest scorer of ``metric``.

    Parameters
    ----------
    metric : {"mase", "smape", "rmse", "pinball", "coverage"}
    **kwargs
        ``season_length`` for ``"mase"``, ``coverage`` for ``"coverage"``.

    Returns
    -------
    callable
        ``scorer(forecaster, X, y=None)``: the negated error (greater is
        better), or the empirical coverage for ``"coverage"``.
    """
    factories = {
        "mase": mase_scorer,
        "smape": smape_scorer,
        "rmse": rmse_scorer,
        "pinball": pinball_scorer,
        "coverage": coverage_scorer,
    }
    if metric not in factories:
        raise ValueError(
            f"Unknown forecast metric {metric!r}; choose one of {sorted(factories)}."
        )
    return factories[metric](**kwargs)


def mase_scorer(season_length=1):
    """Negative :func:`mase` of a forecaster's last ``horizon`` steps."""
    return _ForecastScorer("mase", season_length=season_length)


def smape_scorer():
    """Negative :func:`smape` of a forecaster's last ``horizon`` steps."""
    return _ForecastScorer("smape")


def rmse_scorer():
    """Negative :func:`rmse` of a forecaster's last ``horizon`` steps."""
    return _ForecastScorer("rmse")


def pinball_scorer():
    """Negative :func:`pinball` loss of a quantile forecaster."""
    return _ForecastScorer("pinball")


def coverage_scorer(coverage=0.8):
    """Empirical coverage of the central interval of ``coverage``."""
    return _ForecastScorer("coverage", coverage=coverage)
