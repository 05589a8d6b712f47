"""Turn a time series into windows of history for sequence models.

Two routes, one convention (docs/design.md, "Windowing"):

- :func:`make_windows` cuts a series into ``(X, y)`` pairs, the classic
  supervised setup (fewer rows out than in);
- :class:`SlidingWindow` keeps one row per time step: row ``t`` becomes the
  window of history ending at ``t``, so the window length is an ordinary
  :class:`~sklearn.pipeline.Pipeline` hyperparameter.

Windows are zero-copy views made with
:func:`numpy.lib.stride_tricks.sliding_window_view`; they are read-only
because overlapping windows share memory.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._output import ArrayOutputMixin
from ._sequences import _first_non_number, _is_sequence_like, _short
from ._sklearn_compat import Interval, _fit_context

__all__ = ["SlidingWindow", "make_windows"]

_FLOAT_DTYPES = (np.float64, np.float32)


def make_windows(series, window, *, horizon=1, stride=1, target=None, allow_nan=False):
    """Cut a time series into input windows and the value that follows each.

    ``X[i] = series[i*stride : i*stride + window]`` and
    ``y[i] = series[i*stride + window - 1 + horizon]``: the value ``horizon``
    steps after the window's last point. Only windows whose target exists are
    produced, so no window ever contains its own target or anything later.

    Parameters
    ----------
    series : array-like, Series or DataFrame of shape (n_times,) or \
            (n_times, n_features)
        The series, oldest time step first. Integer and boolean values are
        converted to float64 (a 2-D integer array would otherwise be read as
        token ids by the estimators); float32 and float64 are kept as they are.
    window : int
        Number of time steps in each input window (at least 1).
    horizon : int, default=1
        How many steps after the window's last point the target lies
        (1 = the next value).
    stride : int, default=1
        Step between the starts of consecutive windows.
    target : int, str or list of them, default=None
        For a 2-D series, which columns ``y`` holds: a column position, a
        DataFrame column name, or a list of them. A single key gives a 1-D
        ``y``; a list gives a 2-D ``y``. ``None`` means every column
        (``y`` of shape ``(n_windows, n_features)``). Must be ``None`` for a
        1-D series.
    allow_nan : bool, default=False
        Accept NaN in the series (for instance leading all-NaN rows that the
        estimators treat as padding). Infinite values are always rejected.

    Returns
    -------
    X : ndarray of shape (n_windows, window) or (n_windows, window, n_features)
        2-D for a 1-D series (the estimators read 2-D floats as univariate
        sequences), 3-D for a 2-D series, even with one column. A read-only
        view of the series' values: no window is copied.
    y : ndarray of shape (n_windows,) or (n_windows, n_targets)
        The targets; a read-only view where basic slicing allows (a list
        ``target`` selects columns with a copy).

    See Also
    --------
    SlidingWindow : Row-preserving windows for use inside a Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence.windowing import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3)
    >>> X
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(12.0).reshape(6, 2), 2, horizon=2, target=1)
    >>> X.shape, y
    ((3, 2, 2), array([ 7.,  9., 11.]))
    """
    for name, value in (("window", window), ("horizon", horizon), ("stride", stride)):
        _check_positive_int(value, name)
    values, columns = _as_float_series(series, "make_windows", allow_nan=allow_nan)
    n_starts = _count_window_starts(len(values), window, horizon)
    keys = _target_keys(target, values, columns)
    X = _window_view(values, window)[:n_starts:stride]
    first = window - 1 + horizon
    y = values[first : first + n_starts : stride]
    if keys is not None:
        y = y[:, keys]
    y = y.view()
    y.flags.writeable = False
    return X, y


class SlidingWindow(
    ArrayOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Replace each time step by the window of history that ends at it.

    A row-preserving transformer: input ``(n_times, n_features)``, output
    ``(n_times, window, n_features)``, where row ``t`` holds rows
    ``t - window + 1`` to ``t`` of the input. The first ``window - 1`` rows
    have a shorter history and are padded in front with all-NaN time steps,
    which the sksequence estimators skip exactly. No window contains a later
    row, and since the number of rows never changes, ``X`` and ``y`` stay
    aligned in a :class:`~sklearn.pipeline.Pipeline` and the window length
    can be searched with :class:`~sklearn.model_selection.GridSearchCV`.

    The series is copied once (padded with ``window - 1`` NaN rows in front)
    and the output is a read-only
    :func:`~numpy.lib.stride_tricks.sliding_window_view` of that copy: the
    windows themselves are never materialised.

    Parameters
    ----------
    window : int, default=10
        Number of time steps of history in each row (at least 1).
    log : bool, default=False
        Take the natural logarithm of the inputs before windowing (needs
        strictly positive values). Only the inputs change; see Notes for the
        target.
    difference : bool, default=False
        Replace the inputs by their first differences ``x_t - x_{t-1}``
        (after the log if ``log=True``, giving log-returns). The first row has
        no previous value; its difference is taken as 0 (no change), so that
        row 0 stays a valid one-step sequence rather than an empty one.
    allow_nan : bool, default=False
        Accept NaN in the input. NaN rows at the start of the series then
        act as extra padding; NaN anywhere else is rejected by the
        estimators. Infinite values are always rejected.

    Attributes
    ----------
    n_features_in_ : int
        Number of features per time step seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during :meth:`fit`. Defined only when
        ``X`` has feature names that are all strings.

    See Also
    --------
    make_windows : Cut a series into ``(X, y)`` window/target pairs.

    Notes
    -----
    **Feature names.** There is no ``get_feature_names_out``: the output is
    3-D (rows, window steps, features) and has no flat columns to name, so
    ``set_output(transform="pandas")`` is refused with a clear message (and
    the global ``transform_output="pandas"`` setting never wraps it). The
    names of the last axis are ``feature_names_in_``.

    **Cross-validation.** Each call to :meth:`transform` sees only the rows
    it is given. Inside a Pipeline evaluated with
    :class:`~sklearn.model_selection.TimeSeriesSplit`, the first
    ``window - 1`` rows of every test fold therefore get a shorter, padded
    history (they do not see the end of the training fold), and with
    ``difference=True`` the first row of every fold has a difference of 0.
    This never leaks the future but makes the scores pessimistic, by a lot
    when folds are short (nearly 2x the RMSE on 17-26-month airline folds
    with ``window=13``, enough to reorder a window search); it matters
    little when folds are much longer than ``window``. To give every scored
    row its full history, wrap the splitter in
    :class:`~sksequence.model_selection.WithHistory` (with ``history`` at
    least ``window``), which starts each test fold early, and score with
    its ``scorer``, which skips those early rows; or window the whole series
    with :func:`make_windows` first and split the windows instead.

    **Targets.** Input transforms need no inverse. To forecast levels of a
    trending series, transform the target too, for instance with
    ``TransformedTargetRegressor(regressor, func=np.log,
    inverse_func=np.exp)``, or learn the change from the last observed value
    and predict levels with
    :class:`~sksequence.forecasting.RelativeTargetRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence.windowing import SlidingWindow
    >>> windows = SlidingWindow(window=3).fit_transform(np.arange(5.0))
    >>> windows.shape
    (5, 3, 1)
    >>> windows[:, :, 0]
    array([[nan, nan,  0.],
           [nan,  0.,  1.],
           [ 0.,  1.,  2.],
           [ 1.,  2.,  3.],
           [ 2.,  3.,  4.]])
    >>> SlidingWindow(window=2, difference=True).fit_transform([1.0, 3.0, 6.0])[:, :, 0]
    array([[nan,  0.],
           [ 0.,  2.],
           [ 2.,  3.]])

    One-step-ahead forecasting: row ``t`` of ``X`` predicts ``series[t + 1]``.

    >>> series = np.sin(np.arange(50) / 4)
    >>> X, y = series[:-1], series[1:]
    >>> SlidingWindow(window=8).fit_transform(X).shape, y.shape
    ((49, 8, 1), (49,))
    """

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "log": ["boolean"],
        "difference": ["boolean"],
        "allow_nan": ["boolean"],
    }

    def __init__(self, window=10, *, log=False, difference=False, allow_nan=False):
        self.window = window
        self.log = log
        self.difference = difference
        self.allow_nan = allow_nan

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the series and record its number of features.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_times,) or \
                (n_times, n_features)
            The series, oldest time step first. A 1-D input is one feature.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindow
            The fitted transformer.
        """
        self._check_series(X, reset=True)
        return self

    def transform(self, X):
        """Return the window of history ending at each row.

        Parameters
        ----------
        X : array-like, Series or DataFrame of shape (n_times,) or \
                (n_times, n_features)
            The series, oldest time step first, with the features seen in
            :meth:`fit`.

        Returns
        -------
        windows : ndarray of shape (n_times, window, n_features)
            Read-only view; float32 input stays float32, anything else
            becomes float64.
        """
        check_is_fitted(self)
        values = self._check_series(X, reset=False)
        return _history_windows(
            values, self.window, log=self.log, difference=self.difference
        )

    def _check_series(self, X, *, reset):
        name = type(self).__name__
        X, is_1d = _as_2d_input(X, name)
        if not reset and is_1d and self.n_features_in_ != 1:
            raise ValueError(
                f"{name} was fitted with {self.n_features_in_} features per time "
                "step, but got a 1-D series, which is read as one feature. "
                "Reshape your data to (n_times, n_features), or fit on 1-D data."
            )
        values = validate_data(
            self,
            X,
            reset=reset,
            dtype=_FLOAT_DTYPES,
            ensure_all_finite="allow-nan" if self.allow_nan else True,
        )
        if self.log:
            _check_positive_values(values, getattr(self, "feature_names_in_", None))
        return values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.allow_nan
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(
            f"{name} must be an int >= 1, got {value!r} of type "
            f"{type(value).__name__}. Pass a whole number, e.g. {name}=3."
        )
    if value < 1:
        raise ValueError(
            f"{name} must be an int >= 1, got {name}={value}. Windows need at "
            "least one time step, and targets and strides at least one step."
        )


def _as_float_series(series, caller, *, allow_nan):
    """Validate a series; return (values, column names or None), no copy if float."""
    columns = None
    if isinstance(series, pd.DataFrame):
        _check_numeric_columns(series, caller)
        columns = list(series.columns)
    if isinstance(series, pd.Series):
        _check_numeric_columns(series.to_frame(), caller)
    if isinstance(series, (pd.Series, pd.DataFrame)):
        values = _pandas_values(series)
    else:
        values = _as_array(series, caller)
    _check_shape(values, caller)
    values = _to_float(values, columns, caller)
    _check_finite(values, columns, caller, allow_nan=allow_nan)
    return values, columns


def _check_numeric_columns(frame, caller):
    for name, dtype in frame.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_complex_dtype(
            dtype
        ):
            raise TypeError(
                f"{caller} needs numeric columns, but column {name!r} has dtype "
                f"{dtype}. Drop it or encode it as numbers first."
            )


def _pandas_values(series):
    dtypes = series.dtypes if isinstance(series, pd.DataFrame) else [series.dtype]
    if all(dtype in _FLOAT_DTYPES for dtype in dtypes) and len(set(dtypes)) == 1:
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _as_array(series, caller):
    """``np.asarray(series)``, with the row shapes named if they differ."""
    try:
        values = np.asarray(series)
    except ValueError:  # numpy refuses nested lists of unequal lengths
        _raise_ragged(series, caller)
        raise
    if values.dtype == object and values.ndim == 1:
        # An object array of arrays: numpy kept unequal rows as objects.
        found = _first_non_number(values)
        if found is not None and _is_sequence_like(found[1]):
            _raise_ragged(values, caller)
    return values


def _raise_ragged(rows, caller):
    first_row = {}  # shape -> first row with it; two shapes show the mismatch
    for i, row in enumerate(rows):
        try:
            shape = np.shape(row)
        except ValueError:
            shape = "(ragged)"
        first_row.setdefault(shape, i)
        if len(first_row) == 2:
            break
    if len(first_row) < 2:
        return
    seen = ", ".join(f"row {i} has shape {shape}" for shape, i in first_row.items())
    raise ValueError(
        f"{caller} expects a series: a 1-D or 2-D numeric array-like whose rows "
        f"(time steps) all have the same length, but {seen}. To window several "
        "series, window each one separately and concatenate the results."
    )


def _check_shape(values, caller):
    if values.ndim not in (1, 2):
        raise ValueError(
            f"{caller} expects a series of shape (n_times,) or (n_times, "
            f"n_features), got an array of shape {values.shape}. To window "
            "several series, window each one and concatenate the results."
        )
    if values.size == 0:
        raise ValueError(
            f"{caller} got an empty series (shape {values.shape}); it needs at "
            "least one time step with at least one feature."
        )


def _to_float(values, columns, caller):
    if values.dtype in _FLOAT_DTYPES:
        return values
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind != "O":
        found = _non_number(values, columns) if values.dtype.kind in "SU" else None
        example = f" ({found.example})" if found else ""
        raise TypeError(
            f"{caller} needs numeric values, but the series has dtype "
            f"{values.dtype}{example}. Convert it to floats first, e.g. "
            "series.astype(float), or drop the non-numeric columns or encode "
            "them as numbers."
        )
    _check_numbers(values, columns, caller)
    return values.astype(np.float64)


_KIND_NAMES = {"O": "object values", "S": "bytes", "U": "strings"}


def _check_numbers(values, columns, caller):
    """Raise a TypeError naming the first value float() rejects, if any."""
    found = _non_number(values, columns)
    if found is None:
        return
    fix = "Encode it" if values.ndim == 1 else "Drop that column or encode it"
    raise TypeError(
        f"{caller} needs numeric values, but {found.where} holds "
        f"{_KIND_NAMES[values.dtype.kind]} that are not numbers "
        f"({found.example}). {fix} as numbers first (e.g. with "
        "sklearn.preprocessing.OrdinalEncoder)."
    )


class _NonNumber(NamedTuple):
    where: str  # "column 'city'" or "the series"
    example: str  # "e.g. 'a' at time step 3"


def _non_number(values, columns):
    """Where the first value of ``values`` that float() rejects is, or None."""
    found = _first_non_number(values)
    if found is None:
        return None
    index, value, exc = found
    step, *column = (int(i) for i in np.unravel_index(index, values.shape))
    if values.ndim == 1:
        where = "the series"
    else:
        where = f"column {repr(columns[column[0]]) if columns else column[0]}"
    # float()'s own TypeError names the type ("... not 'dict'"): keep it.
    detail = f": {exc}" if isinstance(exc, TypeError) else ""
    return _NonNumber(where, f"e.g. {_short(value)} at time step {step}{detail}")


def _check_finite(values, columns, caller, *, allow_nan):
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return  # O(1) extra memory for the common, all-finite case.
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if not bad.any():
        return
    where = np.argwhere(bad)[0]
    at = f"time step {where[0]}"
    if values.ndim == 2:
        name = repr(columns[where[1]]) if columns is not None else where[1]
        at += f", column {name}"
    hint = "" if allow_nan else " or pass allow_nan=True if NaN marks padding"
    raise ValueError(
        f"{caller} needs finite values, but the series holds "
        f"{values[tuple(where)]} at {at}. Impute or drop missing values{hint}."
    )


def _count_window_starts(n_times, window, horizon):
    if window > n_times:
        raise ValueError(
            f"window={window} is longer than the series ({n_times} time steps). "
            "Use a shorter window or a longer series."
        )
    n_starts = n_times - window - horizon + 1
    if n_starts < 1:
        raise ValueError(
            f"No window has a target: window + horizon = {window + horizon} "
            f"time steps are needed, but the series has {n_times}. Use a "
            "shorter window or horizon."
        )
    return n_starts


def _target_keys(target, values, columns):
    if values.ndim == 1:
        if target is not None:
            raise ValueError(
                f"target={target!r} selects columns of a 2-D series, but the "
                "series is 1-D and is its own target. Leave target=None."
            )
        return None
    if target is None:
        return None
    if isinstance(target, (list, np.ndarray)):
        return [_column_position(key, values.shape[1], columns) for key in target]
    return _column_position(target, values.shape[1], columns)


def _column_position(key, n_features, columns):
    if columns is not None and key in columns:
        return columns.index(key)
    if isinstance(key, Integral) and not isinstance(key, bool):
        if -n_features <= key < n_features:
            return int(key)
    known = f"names {columns}" if columns is not None else "no names (not a DataFrame)"
    raise ValueError(
        f"target {key!r} is not a column of the series, which has {n_features} "
        f"column(s) and {known}. Pass a column position in "
        f"[0, {n_features - 1}] or a DataFrame column name."
    )


def _window_view(values, window):
    """Read-only windows along axis 0, shape (n - window + 1, window, ...)."""
    view = sliding_window_view(values, window, axis=0)
    return view if values.ndim == 1 else view.swapaxes(1, 2)


def _as_2d_input(X, caller):
    """Make a 1-D series one feature; leave 2-D, pandas and sparse input to sklearn.

    Returns the input and whether it was 1-D.
    """
    if isinstance(X, pd.Series):
        X = X.to_frame()
        _check_numeric_columns(X, caller)
        return X, True
    if isinstance(X, pd.DataFrame):
        _check_numeric_columns(X, caller)
        return X, False
    if sparse.issparse(X):
        return X, False
    array = _as_array(X, caller)
    if array.dtype.kind in "OSU" and array.ndim in (1, 2):
        # Numeric strings are converted by validate_data; anything else would
        # fail there with numpy's message, which names neither column nor row.
        _check_numbers(array.reshape(len(array), -1), None, caller)
    if array.ndim == 1:
        return array.reshape(-1, 1), True
    if array.ndim != 2:
        raise ValueError(
            f"{caller} expects a series of shape (n_times,) or (n_times, "
            f"n_features), got an array of shape {array.shape}. It windows one "
            "series; its output is the 3-D (n_times, window, n_features) batch."
        )
    return X, False


def _check_positive_values(values, names):
    nonpositive = values <= 0  # NaN compares False: allowed NaN is not an error.
    if not nonpositive.any():
        return
    step, j = np.argwhere(nonpositive)[0]
    name = repr(names[j]) if names is not None else j
    raise ValueError(
        f"log=True needs strictly positive values, but column {name} holds "
        f"{values[step, j]} at time step {step}. Use log=False, or shift the "
        "series to be positive first."
    )


def _history_windows(values, window, *, log=False, difference=False):
    """Row t -> rows t-window+1..t of the (transformed) series, NaN in front.

    One padded copy of the series is made; the windows are a view of it.
    """
    n_times, n_features = values.shape
    padded = np.empty((window - 1 + n_times, n_features), dtype=values.dtype)
    padded[: window - 1] = np.nan
    body = padded[window - 1 :]
    if log:
        np.log(values, out=body)
    else:
        body[...] = values
    if difference:
        body[1:] = np.diff(body, axis=0)
        body[0] = 0.0
    return _window_view(padded, window)
