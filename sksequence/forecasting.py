"""Forecast the level of a series by learning its change from the last value."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sklearn_compat import HasMethods, _fit_context

__all__ = ["RelativeTargetRegressor"]


class RelativeTargetRegressor(RegressorMixin, BaseEstimator):
    """Learn a series' change from its last value; predict its level.

    Row ``t`` of ``X`` holds the series up to time ``t`` (the input of
    :class:`~sksequence.SlidingWindow`) and ``y[t]`` a later value of it,
    e.g. the next one. A recurrent network cannot extrapolate a trending
    level it has never seen, but it can learn the change: this meta-estimator
    fits ``regressor`` on ``y - x_t`` (or ``log(y) - log(x_t)`` with
    ``log=True``), where ``x_t = X[t, column]`` is the last observed value,
    and predicts ``x_t + change`` (or ``x_t * exp(change)``). Predictions and
    scores are therefore in the units of ``y``, so ``cross_validate`` and
    ``GridSearchCV`` compare models on the forecast itself.
    ``TransformedTargetRegressor`` cannot do this: its transform may not
    depend on ``X``.

    Parameters
    ----------
    regressor : estimator
        Regressor (or pipeline ending in one) fitted on ``X`` and the change;
        ``X`` reaches it unchanged.
    column : int or str, default=0
        Column of ``X`` holding the series that ``y`` forecasts: a position,
        or a name when ``X`` is a DataFrame.
    log : bool, default=False
        Learn the log-ratio ``log(y / x_t)`` instead of the difference
        (relative changes, for series that grow multiplicatively); ``y`` and
        the column must then be positive.

    Attributes
    ----------
    regressor_ : estimator
        The fitted clone of ``regressor``.
    n_features_in_ : int
        Columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    sksequence.SlidingWindow : Row ``t`` -> the window of history ending at ``t``.
    sklearn.compose.TransformedTargetRegressor : Transform ``y`` alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sksequence.forecasting import RelativeTargetRegressor
    >>> series = np.arange(1.0, 11.0)  # a trend no level model extrapolates
    >>> X, y = series[:-1, None], series[1:]  # row t -> the next value
    >>> model = RelativeTargetRegressor(LinearRegression()).fit(X, y)
    >>> model.predict([[20.0], [30.0]])  # it learnt "one more"
    array([21., 31.])
    """

    _parameter_constraints = {
        "regressor": [HasMethods(["fit", "predict"])],
        "column": [Integral, str],
        "log": ["boolean"],
    }

    def __init__(self, regressor, *, column=0, log=False):
        self.regressor = regressor
        self.column = column
        self.log = log

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit ``regressor`` on ``X`` and the change of ``y`` from ``x_t``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_times, n_features)
            Row ``t``: the series (and any covariates) at time ``t``.
        y : array-like of shape (n_times,) or (n_times, n_targets)
            Values of the series to forecast (e.g. ``X[t + 1, column]``).
        **fit_params : dict
            Passed to ``regressor.fit``.

        Returns
        -------
        self : RelativeTargetRegressor
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None. Pass the values to forecast as y."
            )
        last = self._last_values(X, reset=True)
        try:
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "y must hold numbers (values of the series to forecast), but it "
                f"could not be read as floats: {np.asarray(y).dtype} values such "
                f"as {np.ravel(np.asarray(y, dtype=object))[:1]}."
            ) from None
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y must be 1-D (one value per row) or 2-D (several horizons per "
                f"row), but has shape {y.shape}."
            )
        if len(y) != len(last):
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: X "
                f"has {len(last)} rows but y has {len(y)} targets."
            )
        if not np.all(np.isfinite(y)):
            raise ValueError(
                "y contains NaN or infinity. Drop the rows whose target is "
                "unknown (e.g. the last rows of a series shifted into y)."
            )
        self._check_positive(y, "y")
        change = self._change(y, last)
        self.regressor_ = clone(self.regressor).fit(X, change, **fit_params)
        return self

    def predict(self, X):
        """Forecast levels: ``x_t`` plus (or times ``exp`` of) the change.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_times, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_times,) or (n_times, n_targets)
        """
        check_is_fitted(self, "regressor_")
        last = self._last_values(X, reset=False)
        change = np.asarray(self.regressor_.predict(X), dtype=np.float64)
        base = last if change.ndim == 1 else last[:, None]
        return base * np.exp(change) if self.log else base + change

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A 2-D y (several horizons) is changed from the same last value.
        tags.target_tags.multi_output = True
        return tags

    def _change(self, y, last):
        base = last if y.ndim == 1 else last[:, None]
        return np.log(y) - np.log(base) if self.log else y - base

    def _last_values(self, X, *, reset):
        """``X[:, column]`` as float64, after checking ``X``'s shape and names."""
        if hasattr(X, "columns") and isinstance(self.column, str):
            columns = list(X.columns)
            if self.column not in columns:
                raise ValueError(
                    f"column={self.column!r} is not a column of X; X has the "
                    f"columns {columns}. Pass one of them, or a position."
                )
            position = columns.index(self.column)
        elif isinstance(self.column, str):
            raise ValueError(
                f"column={self.column!r} names a column, but X is not a "
                "DataFrame. Pass the column's position (an int), or X as a "
                "pandas DataFrame."
            )
        else:
            position = self.column
        # The inner regressor validates X itself; here only its shape and
        # the one column we read matter (other columns may be anything).
        array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
        if not -array.shape[1] <= position < array.shape[1]:
            raise ValueError(
                f"column={position} is out of range for X with {array.shape[1]} "
                "columns. Pass the position of the series that y forecasts."
            )
        try:
            last = np.asarray(array[:, position], dtype=np.float64)
        except ValueError as exc:  # a TypeError (e.g. a dict) is clear as is
            raise ValueError(
                f"Column {self.column!r} of X must be numeric (the series that y "
                f"forecasts), but could not be read as numbers: {exc}"
            ) from None
        if not np.all(np.isfinite(last)):
            row = int(np.flatnonzero(~np.isfinite(last))[0])
            raise ValueError(
                f"Column {self.column!r} of X holds the last observed value of "
                f"the series and must be finite (no NaN or inf), but row {row} is "
                f"{last[row]}. Fill or drop that row."
            )
        self._check_positive(last, f"column {self.column!r} of X")
        return last

    def _check_positive(self, values, what):
        if self.log and np.any(values <= 0):
            raise ValueError(
                f"log=True needs positive values, but {what} holds "
                f"{values.min()}. Use log=False (differences), or shift the "
                "series to be positive."
            )
