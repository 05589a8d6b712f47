"""Cross-validate windowed pipelines with the history each test fold needs.

Inside :func:`~sklearn.model_selection.cross_validate` or
:class:`~sklearn.model_selection.GridSearchCV`, a pipeline sees only the rows
of the current test fold, so :class:`~sksequence.windowing.SlidingWindow`
windows each fold on its own and the first ``window - 1`` test rows lose
their history. :class:`WithHistory` starts every test fold ``history`` rows
early, and :meth:`WithHistory.scorer` scores only the rows after them: the
early rows are read as inputs, never scored.
"""

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.metrics import get_scorer
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._sklearn_compat import _num_samples

__all__ = ["ForecastSplit", "WithHistory"]

_RESPONSE_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
)


class WithHistory(BaseCrossValidator):
    """Start each test fold early, so that its first windows see their history.

    Wraps a time-ordered splitter such as
    :class:`~sklearn.model_selection.TimeSeriesSplit`: for each
    ``(train, test)`` split of ``cv`` it yields ``train`` unchanged and the
    ``history`` rows before ``test`` followed by ``test``. Pair it with
    :meth:`scorer`, which scores only the rows after those ``history``
    rows, so that every scored row is predicted from a full window of
    history (pick ``history`` at least as long as the longest window
    searched).

    The early rows usually belong to the training fold too. That leaks
    nothing: they are inputs only, never scored, and windows look back
    only, so no scored row sees anything later than itself.

    Parameters
    ----------
    cv : cross-validation generator or iterable
        A splitter whose test folds are runs of consecutive rows, such as
        ``TimeSeriesSplit(5)``, or an iterable of ``(train, test)`` index
        arrays. Not an int: sklearn would turn it into an unshuffled
        ``KFold``, whose training folds lie partly after the test fold.
    history : int
        Number of rows prepended to each test fold (at least 0; 0 leaves
        the folds as they are): the longest window of history the model
        reads. Every test fold must start at least ``history`` rows into
        the data.

    See Also
    --------
    sksequence.windowing.SlidingWindow : Row-preserving windows for a Pipeline.
    sklearn.model_selection.TimeSeriesSplit : Time-ordered train/test splits.

    Notes
    -----
    Use the folds with a scorer from :meth:`scorer`: a plain scorer would
    also score the ``history`` rows, which the model may have been trained
    on. Conversely, that scorer drops the first ``history`` rows it is
    given, so it belongs with these folds only.

    The test folds overlap, so the folds suit ``cross_validate``,
    ``cross_val_score``, ``GridSearchCV`` and the like, but not
    ``cross_val_predict``, which needs a partition of the rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import TimeSeriesSplit
    >>> from sksequence.model_selection import WithHistory
    >>> cv = WithHistory(TimeSeriesSplit(n_splits=2, test_size=3), history=2)
    >>> for train, test in cv.split(np.zeros((10, 1))):
    ...     print(train, test)
    [0 1 2 3] [2 3 4 5 6]
    [0 1 2 3 4 5 6] [5 6 7 8 9]

    Cross-validate a pipeline whose windows reach back 3 rows; the scorer
    skips the first 3 rows of each test fold, which only give the others
    their history.

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sksequence import SlidingWindow
    >>> series = np.sin(np.arange(60) / 3)
    >>> X, y = series[:-1], series[1:]  # row t predicts the value at t + 1
    >>> flatten = FunctionTransformer(lambda w: np.nan_to_num(w.reshape(len(w), -1)))
    >>> pipe = make_pipeline(SlidingWindow(window=3), flatten, Ridge(alpha=1e-3))
    >>> cv = WithHistory(TimeSeriesSplit(n_splits=3), history=3)
    >>> scoring = cv.scorer({"mae": "neg_mean_absolute_error", "r2": "r2"})
    >>> scores = cross_validate(pipe, X, y, cv=cv, scoring=scoring)
    >>> bool(scores["test_r2"].min() > 0.99)
    True
    """

    def __init__(self, cv, *, history):
        self.cv = cv
        self.history = history

    def split(self, X, y=None, groups=None):
        """Yield the training rows and the test rows preceded by their history.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The data, oldest row first; passed to ``cv.split``.
        y : array-like of shape (n_samples,), default=None
            The target; passed to ``cv.split``.
        groups : array-like of shape (n_samples,), default=None
            Group labels; passed to ``cv.split``.

        Yields
        ------
        train : ndarray
            The training indices of ``cv``'s split, unchanged.
        test : ndarray
            The ``history`` indices before the test fold, then the test
            fold's indices.
        """
        _check_history(self.history)
        cv = self._check_cv()
        for fold, (train, test) in enumerate(cv.split(X, y, groups)):
            yield train, self._extend(np.asarray(test), fold)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits of the wrapped splitter.

        Parameters
        ----------
        X, y, groups : object, default=None
            Passed to ``cv.get_n_splits``.

        Returns
        -------
        n_splits : int
            The number of ``(train, test)`` pairs that :meth:`split` yields.
        """
        return self._check_cv().get_n_splits(X, y, groups)

    def scorer(self, scoring=None, *, use_history=True):
        """Make a scorer that ignores the first ``history`` rows of each fold.

        Parameters
        ----------
        scoring : str, callable, list, tuple, dict or None, default=None
            What to compute on the rows after the history, as sklearn's
            ``scoring`` parameter takes it: a scorer name such as
            ``"neg_root_mean_squared_error"``, a scorer callable
            ``scorer(estimator, X, y)`` (for instance from
            :func:`~sklearn.metrics.make_scorer`), a list or tuple of names,
            or a dict mapping names to either. ``None`` computes what the
            ``score`` method of sklearn's regressors and classifiers
            computes: :math:`R^2` for a regressor, accuracy for a
            classifier.
        use_history : bool, default=True
            If True, the estimator predicts the whole fold and the
            predictions of the first ``history`` rows are dropped: every
            scored row sees its history. If False, the estimator is given
            only the rows after the history, as if the fold had come from
            ``cv`` alone: a way to measure what the history changes.

        Returns
        -------
        scorer : callable
            ``scorer(estimator, X, y)`` returning a float; for a list, tuple
            or dict ``scoring``, a dict of such scorers (one per metric)
            that is itself callable and returns a dict of scores, predicting
            once for all metrics. Both can be passed as ``scoring=`` to
            ``cross_validate`` and ``GridSearchCV`` (for several metrics,
            ``refit`` names the metric to refit on).

        Notes
        -----
        ``GridSearchCV`` keeps its scoring for ``search.score(X, y)``, which
        therefore also skips the first ``history`` rows of what it is given.
        To score a held-out period, pass its history rows in front of it, or
        compute the metric on ``search.predict`` yourself.
        """
        _check_history(self.history)
        if not isinstance(use_history, (bool, np.bool_)):
            raise TypeError(
                f"use_history must be True or False, got {use_history!r} of type "
                f"{type(use_history).__name__}."
            )
        if isinstance(scoring, (list, tuple)):
            scoring = {name: name for name in scoring}
        if isinstance(scoring, dict):
            return _MultiHistoryScorer(
                {
                    name: _HistoryScorer(metric, self.history, bool(use_history))
                    for name, metric in scoring.items()
                }
            )
        return _HistoryScorer(scoring, self.history, bool(use_history))

    def _check_cv(self):
        if hasattr(self.cv, "__next__"):
            raise TypeError(
                "WithHistory needs a splitter or a list of (train, test) pairs as "
                f"cv, got an iterator ({type(self.cv).__name__}), which can be "
                "read only once (sklearn reads cv twice). Pass the splitter "
                "itself, or list(splitter.split(X))."
            )
        if self.cv is None or isinstance(self.cv, Integral):
            raise TypeError(
                f"WithHistory needs a time-ordered splitter as cv, got "
                f"cv={self.cv!r}, which sklearn would read as an unshuffled "
                f"KFold. Pass a splitter such as TimeSeriesSplit("
                f"{self.cv if isinstance(self.cv, Integral) else 5})."
            )
        return check_cv(self.cv)

    def _extend(self, test, fold):
        if test.size == 0 or not np.array_equal(
            test, np.arange(test[0], test[0] + test.size)
        ):
            raise ValueError(
                f"WithHistory needs test folds of consecutive, increasing rows, "
                f"as TimeSeriesSplit makes, but test fold {fold} of "
                f"{self.cv!r} is {_describe(test)}. Use a time-ordered splitter."
            )
        if test[0] < self.history:
            raise ValueError(
                f"history={self.history} rows are needed before each test fold, "
                f"but test fold {fold} of {self.cv!r} starts at row {test[0]}. "
                f"Use history <= {test[0]}, or leave more rows before the first "
                "test fold (fewer splits or a smaller test_size)."
            )
        return np.arange(test[0] - self.history, test[-1] + 1, dtype=test.dtype)


class _HistoryScorer:
    """Score the rows after the first ``history`` rows of each fold."""

    def __init__(self, scoring, history, use_history):
        self.scoring = scoring
        self.history = history
        self.use_history = use_history
        if isinstance(scoring, str):
            self._scorer = get_scorer(scoring)
        elif scoring is None or callable(scoring):
            self._scorer = scoring
        else:
            raise TypeError(
                "scoring must be a scorer name, a callable scorer(estimator, X, y), "
                f"a list or tuple of names, a dict of them, or None; got "
                f"{scoring!r} of type {type(scoring).__name__}."
            )

    def __call__(self, estimator, X, y=None, **kwargs):
        return self._score(estimator, X, y, None, **kwargs)

    def _score(self, estimator, X, y, cache, **kwargs):
        n_samples = _num_samples(X)
        if n_samples <= self.history:
            raise ValueError(
                f"This scorer skips the first history={self.history} rows of each "
                f"test fold, but got a fold of {n_samples} rows, which leaves "
                "nothing to score. Use it with "
                f"cv=WithHistory(..., history={self.history})."
            )
        scorer = self._scorer
        if scorer is None:
            scorer = _default_scorer(estimator)
        if kwargs.get("sample_weight") is not None:
            kwargs["sample_weight"] = _drop_rows(kwargs["sample_weight"], self.history)
        y = _drop_rows(y, self.history)
        if self.use_history:
            proxy = _PredictionsAfter(estimator, self.history, cache)
            return scorer(proxy, X, y, **kwargs)
        return scorer(estimator, _drop_rows(X, self.history), y, **kwargs)

    def __repr__(self):
        extra = "" if self.use_history else ", use_history=False"
        return (
            f"WithHistory(..., history={self.history}).scorer({self.scoring!r}{extra})"
        )


class _MultiHistoryScorer(dict):
    """Several history scorers (a dict of them) that share one prediction.

    Called, it returns a dict of scores, which ``cross_validate`` and
    ``GridSearchCV`` take as multi-metric scoring (``refit`` names the
    metric); each response method (``predict``, ``predict_proba``...) runs
    once per fold instead of once per metric.
    """

    def __call__(self, estimator, X, y=None, **kwargs):
        cache = {}
        return {
            name: scorer._score(estimator, X, y, cache, **kwargs)
            for name, scorer in self.items()
        }


def _default_scorer(estimator):
    if is_classifier(estimator):
        return get_scorer("accuracy")
    if is_regressor(estimator):
        return get_scorer("r2")
    raise TypeError(
        f"scoring=None scores regressors with R^2 and classifiers with accuracy, "
        f"but {type(estimator).__name__} is neither. Pass a scoring, for "
        "instance cv.scorer('neg_mean_squared_error')."
    )


def _estimator_has(method):
    def check(self):
        return hasattr(self.estimator, method)

    return check


class _PredictionsAfter:
    """A fitted estimator whose responses skip the first ``start`` rows.

    sklearn's scorers find the response method (``predict``,
    ``predict_proba``...) and the estimator type through it as through the
    estimator itself.
    """

    def __init__(self, estimator, start, cache=None):
        self.estimator = estimator
        self.start = start
        # Shared by the metrics of one multi-metric call: one prediction each.
        self._cache = cache

    def _response(self, method, X):
        if self._cache is None:
            return getattr(self.estimator, method)(X)
        key = (method, id(X))
        if key not in self._cache:
            self._cache[key] = (X, getattr(self.estimator, method)(X))
        return self._cache[key][1]

    @property
    def classes_(self):
        return self.estimator.classes_

    def __sklearn_tags__(self):
        return get_tags(self.estimator)

    def __sklearn_is_fitted__(self):
        try:
            check_is_fitted(self.estimator)
        except NotFittedError:
            return False
        return True

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        return _drop_predictions(self._response("predict", X), self.start)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        return _drop_predictions(self._response("predict_proba", X), self.start)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        return _drop_predictions(self._response("predict_log_proba", X), self.start)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        return _drop_predictions(self._response("decision_function", X), self.start)


def _drop_rows(data, start):
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[start:]
    return data[start:]


def _drop_predictions(predictions, start):
    if isinstance(predictions, list) and all(
        isinstance(output, np.ndarray) for output in predictions
    ):  # multi-output predict_proba: one array per output
        return [output[start:] for output in predictions]
    return _drop_rows(predictions, start)


def _check_history(history):
    if not isinstance(history, Integral) or isinstance(history, (bool, np.bool_)):
        raise TypeError(
            f"history must be an int >= 0, got {history!r} of type "
            f"{type(history).__name__}. Pass the number of rows, e.g. history=12."
        )
    if history < 0:
        raise ValueError(
            f"history must be an int >= 0, got history={history}. It counts the "
            "rows of history prepended to each test fold; 0 adds none."
        )


def _describe(test):
    if test.size == 0:
        return "empty"
    shown = np.array2string(test[:8], separator=", ")
    return shown if test.size <= 8 else shown[:-1] + ", ...]"


class ForecastSplit(BaseCrossValidator):
    """Backtest folds for forecasters: every series cut at the same times.

    For a single series or a long panel DataFrame, fold ``k`` trains on the
    rows before a cutoff time stamp and tests on the next ``horizon`` time
    stamps, preceded by their history. The cutoffs are common to all series
    (panels are cut at the same time stamps) and move forward by ``step``;
    the last fold ends at the last time stamp. Each test fold holds, for
    every series that has all ``horizon`` of its steps, its history rows
    (all rows before the forecast origin, or the last ``context`` time
    stamps) followed by those ``horizon`` rows: a forecaster's ``score``
    and the scorers of :mod:`sksequence.metrics` forecast the last
    ``horizon`` rows of each series from the rows before them and score only
    those, so plain ``cross_validate`` and ``GridSearchCV`` backtest it.

    Parameters
    ----------
    n_splits : int, default=3
        Number of forecast origins (folds).
    horizon : int, default=1
        Time stamps forecast per fold; use the forecaster's ``horizon``.
    step : int or None, default=None
        Time stamps between consecutive origins; ``None``: ``horizon``
        (test periods that tile the end of the data).
    gap : int, default=0
        Time stamps between the end of training and the forecast origin:
        left out of training, still given to the test fold as history.
    max_train_size : int or None, default=None
        ``None``: expanding training windows; an int: sliding windows of the
        last ``max_train_size`` time stamps before the gap.
    context : int or None, default=None
        History time stamps in each test fold; ``None``: all rows before the
        origin. It must cover the forecaster's window (and one more step
        with ``difference=True``).
    id_column, time_column : str or None, default=None
        Columns of a panel DataFrame, as given to the forecaster. For one
        series, ``time_column=None`` uses the row order.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence.model_selection import ForecastSplit
    >>> cv = ForecastSplit(n_splits=2, horizon=2, context=3)
    >>> for train, test in cv.split(np.arange(10.0)):
    ...     print(train, test)
    [0 1 2 3 4 5] [3 4 5 6 7]
    [0 1 2 3 4 5 6 7] [5 6 7 8 9]
    """

    def __init__(
        self,
        n_splits=3,
        *,
        horizon=1,
        step=None,
        gap=0,
        max_train_size=None,
        context=None,
        id_column=None,
        time_column=None,
    ):
        self.n_splits = n_splits
        self.horizon = horizon
        self.step = step
        self.gap = gap
        self.max_train_size = max_train_size
        self.context = context
        self.id_column = id_column
        self.time_column = time_column

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds, ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` row positions of ``X`` for every fold.

        Parameters
        ----------
        X : array-like, Series or DataFrame
            The data given to the forecaster's ``fit``.
        y, groups : None
            Ignored.

        Yields
        ------
        train, test : ndarray of int
        """
        self._check_params()
        times, ids = self._times_and_ids(X)
        stamps = np.unique(times)
        step = self.horizon if self.step is None else self.step
        n_stamps = len(stamps)
        starts = [
            n_stamps - self.horizon - (self.n_splits - 1 - k) * step
            for k in range(self.n_splits)
        ]
        train_end = starts[0] - self.gap
        if train_end < 1:
            raise ValueError(
                f"ForecastSplit(n_splits={self.n_splits}, horizon={self.horizon}, "
                f"step={step}, gap={self.gap}) needs more than "
                f"{n_stamps - train_end} time stamps, but the data has {n_stamps}. "
                "Use fewer splits, a shorter horizon or step."
            )
        positions = np.searchsorted(stamps, times)
        for start in starts:
            end = start - self.gap
            first = (
                0 if self.max_train_size is None else max(end - self.max_train_size, 0)
            )
            train = np.flatnonzero((positions >= first) & (positions < end))
            in_test = (positions >= start) & (positions < start + self.horizon)
            lo = 0 if self.context is None else max(start - self.context, 0)
            in_context = (positions >= lo) & (positions < start)
            keep = _complete_series(ids, in_test, self.horizon)
            test = np.flatnonzero((in_test | in_context) & keep)
            yield train, test

    def _check_params(self):
        for name in ("n_splits", "horizon"):
            value = getattr(self, name)
            if not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
        for name in ("gap",):
            value = getattr(self, name)
            if not isinstance(value, Integral) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}.")
        for name in ("step", "max_train_size", "context"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Integral) or value < 1):
                raise ValueError(f"{name} must be None or an int >= 1, got {value!r}.")

    def _times_and_ids(self, X):
        import pandas as pd

        if self.id_column is not None or self.time_column is not None:
            if not isinstance(X, pd.DataFrame):
                raise TypeError(
                    "ForecastSplit with id_column or time_column needs X as a "
                    f"pandas DataFrame, got {type(X).__name__}."
                )
            for column in (self.id_column, self.time_column):
                if column is not None and column not in X.columns:
                    raise ValueError(
                        f"ForecastSplit: column {column!r} is not in X, which has "
                        f"{list(X.columns)}."
                    )
        n = _num_samples(X)
        if self.time_column is None:
            if self.id_column is not None:
                raise ValueError(
                    "ForecastSplit on a panel (id_column set) needs time_column, "
                    "to cut all series at the same time stamps."
                )
            times = np.arange(n)
        else:
            column = X[self.time_column]
            times = (
                pd.to_datetime(column).to_numpy()
                if column.dtype == object
                else (column.to_numpy())
            )
        ids = np.zeros(n, dtype=np.int64)
        if self.id_column is not None:
            ids = pd.factorize(X[self.id_column])[0]
        return times, ids


def _complete_series(ids, in_test, horizon):
    """Rows of the series that have all ``horizon`` test steps."""
    counts = np.bincount(ids[in_test], minlength=ids.max() + 1 if len(ids) else 0)
    return counts[ids] == horizon
