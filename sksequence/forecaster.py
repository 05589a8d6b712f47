"""Forecasters: RNNForecaster and the naive baselines, one fit/predict contract.

``fit(X)`` takes one series (array, Series, DataFrame) or a long panel
DataFrame (series id, time, target and covariate columns);
``predict(X=None, future=None)`` returns the next ``horizon`` steps of every
series, from the end of the training data or of the history ``X`` passed.
The backtest (:class:`~sksequence.model_selection.ForecastSplit` and the
scorers of :mod:`sksequence.metrics`) runs every forecaster here the same
way. See docs/design.md, "Forecasting", for the decisions.

:class:`RNNForecaster` composes: its windows come from
:func:`~sksequence._panel.forecast_windows` and its network is trained by a
clone of an :class:`~sksequence.RNNRegressor` (no second training loop).
This module does not import torch; the regressor is imported on first fit.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ._calibration import (
    calibration_origins,
    conformal_quantile,
    held_out_tail,
    quantile_offsets,
)
from ._panel import (
    Layout,
    Series,
    forecast_windows,
    next_times,
    profile_base,
    read_future,
    read_panel,
    seasonal_base,
)
from ._sklearn_compat import HasMethods, Interval, StrOptions, _fit_context

__all__ = ["NaiveForecaster", "RNNForecaster", "SeasonalNaiveForecaster"]


class _BaseForecaster(BaseEstimator):
    """Reading, history, output formatting and scoring shared by forecasters."""

    _parameter_constraints = {
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "id_column": [None, str, Integral],
        "time_column": [None, str, Integral],
        "target_column": [None, str, Integral],
    }

    # -- subclass hooks -----------------------------------------------------
    def _covariates(self):
        return (), (), ()

    def _min_history(self):
        return 1

    def _fit_panel(self, panel):
        raise NotImplementedError

    def _forecast(self, panel, futures, kind):
        """Array (n_series, horizon) or (n_series, horizon, n_quantiles)."""
        raise NotImplementedError

    # -- public API ---------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit on one series or a long panel.

        Parameters
        ----------
        X : array-like, Series or DataFrame
            One series (1-D array or Series; or a DataFrame with a target
            column and covariate columns), or a long panel DataFrame with
            ``id_column``, ``time_column``, ``target_column`` and covariate
            columns, rows of each series in increasing time.
        y : None
            Ignored: the target is a column of ``X``.

        Returns
        -------
        self
        """
        panel = self._read(X)
        need = self._min_training_length()
        for series in panel:
            if len(series.target) < need:
                raise ValueError(
                    f"{type(self).__name__}: {_name(series.id)} has "
                    f"{len(series.target)} rows, but training needs at least "
                    f"{need} ({self._length_reason()}). Use a shorter "
                    f"{self._length_knobs()}, or drop the series from training (it "
                    "can still be forecast from its history later)."
                )
        # Fitted on a fresh copy and committed at the end: a fit that fails
        # or is interrupted leaves a previously fitted forecaster as it was.
        work = clone(self)
        unfitted = set(vars(work))
        work._store_history(panel)
        work._fit_panel(panel)
        # Every fit sets the same attributes, so the old ones are all replaced.
        vars(self).update(
            {name: value for name, value in vars(work).items() if name not in unfitted}
        )
        return self

    def predict(self, X=None, future=None):
        """Forecast the next ``horizon`` steps of every series.

        Parameters
        ----------
        X : array-like, Series or DataFrame, default=None
            History to forecast from, in the format of ``fit`` (series
            unseen in training are forecast from their history too).
            ``None`` forecasts from the end of the training data.
        future : DataFrame or array-like, default=None
            The future-known covariates of the ``horizon`` forecast steps
            (required when ``future_covariates`` were declared): for a panel
            a DataFrame with ``id_column``, ``time_column`` and those
            columns, exactly the ``horizon`` steps after each series' last
            history row; for one series ``horizon`` rows in order.

        Returns
        -------
        forecast : ndarray of shape (horizon,) or DataFrame
            One series: the values. A panel: a tidy DataFrame with columns
            ``id_column``, ``time_column`` and ``target_column``.
        """
        panel, futures = self._inputs(X, future)
        values = self._forecast(panel, futures, "point")
        return self._format(panel, values, [self.target_name_])

    def score(self, X, y=None):
        """Negative MASE (seasonality 1) of the last ``horizon`` steps.

        Each series of ``X`` is forecast from all its rows but the last
        ``horizon`` (those rows give only their future-known covariates),
        and the forecast is scored against those rows, scaled by the
        in-sample naive error of the history (higher is better). This is
        what :class:`~sksequence.model_selection.ForecastSplit` test folds
        are made for.
        """
        from .metrics import mase

        truth, pred, histories = self._holdout(X)
        return -mase(truth, pred, histories)

    # -- internals ----------------------------------------------------------
    def _layout(self):
        past, future, static = self._covariates()
        return Layout(
            self.target_column,
            self.id_column,
            self.time_column,
            tuple(past),
            tuple(future),
            tuple(static),
        )

    def _read(self, X):
        return read_panel(X, self._layout(), type(self).__name__)

    def _min_training_length(self):
        return self._min_history()

    def _length_reason(self):
        return f"a history of {self._min_history()}"

    def _length_knobs(self):
        return "window or horizon"

    def _store_history(self, panel):
        keep = self._min_history()
        self.series_ids_ = np.array([s.id for s in panel], dtype=object)
        self.n_series_ = len(panel)
        self.target_name_ = _target_name(self.target_column, self.id_column)
        self._time_is_datetime = bool(panel[0].times.dtype.kind == "M")
        self._tails = []
        for series in panel:
            tail = series.tail(max(keep, 2))
            times = tail.times
            if self._time_is_datetime:
                times = times.astype("datetime64[ns]").astype(np.int64)
            self._tails.append(
                {
                    "times": np.asarray(times),
                    "target": tail.target,
                    "past": tail.past,
                    "future": tail.future,
                    "static": tail.static,
                }
            )

    def _stored_panel(self):
        panel = []
        for sid, tail in zip(self.series_ids_, self._tails, strict=True):
            times = tail["times"]
            if self._time_is_datetime:
                times = times.astype("datetime64[ns]")
            panel.append(
                Series(
                    sid,
                    times,
                    tail["target"],
                    tail["past"],
                    tail["future"],
                    tail["static"],
                )
            )
        return panel

    def _inputs(self, X, future):
        check_is_fitted(self, "series_ids_")
        panel = self._stored_panel() if X is None else self._read(X)
        self._check_history(panel)
        futures = read_future(
            future, panel, self._layout(), self.horizon, type(self).__name__
        )
        return panel, futures

    def _check_history(self, panel):
        need = self._min_history()
        for series in panel:
            if len(series.target) < need:
                raise ValueError(
                    f"{type(self).__name__}: {_name(series.id)} has "
                    f"{len(series.target)} rows of history, but forecasting "
                    f"needs at least {need}. Pass a longer history."
                )

    def _holdout(self, X, kind="point"):
        """Truth, forecasts and histories of the last ``horizon`` rows of X."""
        check_is_fitted(self, "series_ids_")
        panel = self._read(X)
        h = self.horizon
        histories, futures, truth = [], [], []
        for series in panel:
            n = len(series.target)
            if n <= h:
                raise ValueError(
                    f"{type(self).__name__}: scoring forecasts the last "
                    f"horizon={h} rows of every series from the rows before "
                    f"them, but {_name(series.id)} has only {n} rows. Use "
                    "ForecastSplit test folds, which carry their history."
                )
            histories.append(series.head(n - h))
            futures.append(series.future[n - h :])
            truth.append(series.target[n - h :])
        self._check_history(histories)
        pred = self._forecast(histories, futures, kind)
        return np.array(truth), pred, [s.target for s in histories]

    def _format(self, panel, values, names):
        """ndarray for one series, a tidy DataFrame for a panel."""
        if self.id_column is None:
            return values[0]
        h = values.shape[1]
        values = values.reshape(len(panel) * h, -1)
        ids = np.repeat(np.array([s.id for s in panel], dtype=object), h)
        times = np.concatenate([next_times(s.times, h) for s in panel])
        frame = pd.DataFrame(
            {self.id_column: ids, self.time_column: times}
            | {name: values[:, j] for j, name in enumerate(names)}
        )
        return frame

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.non_deterministic = False
        return tags


def _name(sid):
    return "the series" if sid is None else f"series {sid!r}"


def _target_name(target_column, id_column):
    if target_column is not None:
        return target_column
    return "y"


class NaiveForecaster(_BaseForecaster):
    """Repeat the last observed value of every series.

    The baseline of last resort, with the fit/predict contract of
    :class:`RNNForecaster`, so that the same backtest runs it.

    Parameters
    ----------
    horizon : int, default=1
        Number of steps forecast.
    id_column, time_column, target_column : str or None, default=None
        Columns of a long panel DataFrame (see :class:`RNNForecaster`).

    Attributes
    ----------
    series_ids_ : ndarray of object
        The series seen in ``fit``, in order of first appearance.
    n_series_ : int
        Their number.

    See Also
    --------
    SeasonalNaiveForecaster : Repeat the last season.
    RNNForecaster : A recurrent network forecaster.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence.forecaster import NaiveForecaster
    >>> NaiveForecaster(horizon=3).fit(np.arange(5.0)).predict()
    array([4., 4., 4.])
    """

    def __init__(
        self, *, horizon=1, id_column=None, time_column=None, target_column=None
    ):
        self.horizon = horizon
        self.id_column = id_column
        self.time_column = time_column
        self.target_column = target_column

    def _fit_panel(self, panel):
        pass

    def _forecast(self, panel, futures, kind):
        _point_only(self, kind)
        return np.array([np.repeat(s.target[-1], self.horizon) for s in panel])


class SeasonalNaiveForecaster(_BaseForecaster):
    """Repeat the last observed season of every series.

    The forecast of step ``h`` (0-based) after a history ``y`` of length
    ``n`` is ``y[n - m + (h mod m)]`` with ``m = season_length``.

    Parameters
    ----------
    season_length : int, default=1
        Steps per season (12 for monthly data with a yearly cycle, 4 for
        quarterly, 48 for a daily cycle of half-hours); 1 is the naive
        forecast.
    horizon : int, default=1
        Number of steps forecast.
    id_column, time_column, target_column : str or None, default=None
        Columns of a long panel DataFrame (see :class:`RNNForecaster`).

    Attributes
    ----------
    series_ids_ : ndarray of object
        The series seen in ``fit``.
    n_series_ : int
        Their number.

    See Also
    --------
    NaiveForecaster : Repeat the last value.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence.forecaster import SeasonalNaiveForecaster
    >>> model = SeasonalNaiveForecaster(season_length=3, horizon=4)
    >>> model.fit(np.array([1.0, 2, 3, 4, 5, 6])).predict()
    array([4., 5., 6., 4.])
    """

    _parameter_constraints = {
        **_BaseForecaster._parameter_constraints,
        "season_length": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        season_length=1,
        horizon=1,
        id_column=None,
        time_column=None,
        target_column=None,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.id_column = id_column
        self.time_column = time_column
        self.target_column = target_column

    def _min_history(self):
        return self.season_length

    def _fit_panel(self, panel):
        pass

    def _forecast(self, panel, futures, kind):
        _point_only(self, kind)
        m = self.season_length
        steps = np.arange(self.horizon) % m
        return np.array([s.target[len(s.target) - m + steps] for s in panel])


def _point_only(estimator, kind):
    if kind != "point":
        raise ValueError(
            f"{type(estimator).__name__} makes point forecasts only; quantiles "
            "and intervals need RNNForecaster(quantiles=...)."
        )


class RNNForecaster(_BaseForecaster):
    """Forecast one series or a panel of many with a recurrent network.

    Each training example is a window of ``window`` steps of history that
    ends just before a forecast origin, and its targets are the ``horizon``
    steps from the origin on (``strategy="direct"``: one network emits all
    of them), the next step only (``strategy="recursive"``: a one-step
    model rolled forward, feeding back its own forecasts) or the next
    ``block_size`` steps (``strategy="hybrid"``: direct blocks rolled
    forward, each block fed back as history for the next). Windows are cut
    from every series separately, so no window spans two series, and all
    series train one model. The network is a clone of ``regressor`` (an
    :class:`~sksequence.RNNRegressor`) trained on those windows: its knobs
    are searchable as ``regressor__cell``, ``regressor__hidden_size`` ...

    Target transforms are applied per series inside and inverted at
    predict, also under recursion: ``log``, then ``difference`` (inputs are
    changes, targets the change from the last observed level, which lets a
    network extrapolate trends) or ``profile`` (targets the deviation from
    last season's level plus the window's average season), then ``scale``
    (standardise each series by its own spread).

    Covariates are declared once, by column name: ``past_covariates`` are
    seen in the history only; ``future_covariates`` are known ahead
    (calendar, forecasts of temperature, promotions) and also read for the
    forecast steps, so :meth:`predict` needs them for the horizon;
    ``static_covariates`` are constant per series and, with the series id
    (``id_feature=True``), reach the network through the estimators' static
    features (``regressor__static_input`` chooses how).

    Parameters
    ----------
    horizon : int, default=1
        Number of steps forecast. For ``strategy="recursive"`` or
        ``"hybrid"`` it may be changed after fitting
        (``set_params(horizon=...)``): the model is rolled forward as far as
        asked (a hybrid with future covariates: whole blocks only; the
        calibrated intervals cover the horizon fitted, no further). A
        direct model's horizon is its network's output size: changing it
        needs a new fit.
    window : int, default=24
        Steps of history each forecast reads.
    strategy : {"direct", "recursive", "hybrid"}, default="direct"
        Multi-step strategy (see above). The rolled strategies refuse past
        covariates (unknown at the forecast steps) and quantiles (the
        quantiles of one step do not roll forward); they get intervals from
        their calibrated errors.
    block_size : int or None, default=None
        Steps per block of ``strategy="hybrid"`` (required there, ignored
        otherwise): a direct model of ``block_size`` outputs, rolled forward
        ``ceil(horizon / block_size)`` times. With future covariates the
        horizon must be a whole number of blocks.
    regressor : RNNRegressor or None, default=None
        The configured network; ``None`` means ``RNNRegressor()``.
    log : bool, default=False
        Model the log of the target (needs positive values).
    difference : bool or int, default=False
        Model changes: inputs are differences of lag ``d`` (``True``: 1),
        targets the change of each forecast step from the level ``d`` steps
        before it that was seen last. ``True`` learns the change from the
        last value (trends); the season length (e.g. 4 for quarterly data)
        learns the correction to the seasonal naive forecast, so that a
        network that outputs 0 is the seasonal naive forecaster.
    profile : int or None, default=None
        The season length ``m`` of a level-and-profile transform, the
        alternative to ``difference=m`` for noisy seasonal series (ES-RNN's
        deseasonalising, without the smoothing): inputs are the window minus
        its level (the mean of its last ``m`` steps), targets the deviation
        from that level plus the window's average seasonal profile (each
        phase's mean deviation from its season's mean, over the window's
        seasons), so that a network that outputs 0 forecasts "last season's
        level with the average season". ``window`` must be a multiple of
        ``m``; not with ``difference``. On visnights it is what beats the
        seasonal naive forecast (see docs/design.md, "Forecasting").
    scale : bool, default=True
        Standardise each series (after ``log``) in training: by its mean
        and standard deviation, or with ``difference=d`` or ``profile=d``
        by the standard deviation of its changes over ``d`` steps (the
        targets are changes, so no mean is subtracted). A series unseen in
        training is scaled by its history. Covariates are standardised per
        column over all series.
    past_covariates, future_covariates, static_covariates : list of str, \
            default=None
        Numeric covariate columns (see above).
    id_feature : bool, default=False
        Give the network the series id (one-hot over the training series)
        as a static feature; a series unseen in training gets all zeros.
    quantiles : sequence of float in (0, 1) or None, default=None
        Train the pinball loss for these levels (``strategy="direct"``):
        :meth:`predict_quantiles` and :meth:`predict_interval` become
        available, and :meth:`predict` returns the level nearest 0.5.
        Overrides the regressor's own ``quantiles``.
    future_input : {"both", "steps", "head"}, default="both"
        How the future-known covariates of the forecast steps reach the
        network: ``"steps"`` appends one input step per forecast step of a
        window (``horizon``, or 1 or ``block_size`` for the rolled
        strategies) that carries only them (and a flag) after the window;
        ``"head"`` gives them, flattened, to the output layer beside the
        static features (each output reads
        its step's covariates directly, as an MLP decoder would); ``"both"``
        does both (the best on elecdemand: MASE 0.59 against 0.64 and 0.89).
        The history steps carry them in every case. With ``difference=d``
        the output layer also reads the covariates of each target's base
        step (``o - d + h mod d``, in the history): the level its change is
        measured from.
    calibration : {"auto", "conformal"} or None, default="auto"
        Calibrate the forecast intervals on the latest training windows,
        which the network never trains on (split conformal): the central
        intervals of the quantile levels are widened per forecast step where
        they covered too little there (never narrowed; the median never
        moves), and a point forecaster gets :meth:`predict_interval` for any
        coverage from its errors there (for every strategy). ``"auto"``
        calibrates on the regressor's early-stopping tail when it stops
        early (no data lost), and not otherwise; ``"conformal"`` holds a tail
        of ``regressor.validation_fraction`` of the windows out of training
        when the regressor does not; ``None`` never calibrates (quantiles
        are the network's own). In every case training windows whose targets
        reach into the held-out tail are left out of training.
    id_column, time_column, target_column : str or None, default=None
        Columns of the DataFrame ``X``: the series id (a long panel; then
        ``time_column`` is required), the time stamps (numbers or dates;
        ``None`` reads the index) and the target (``None``: the only column
        without a role).

    Attributes
    ----------
    regressor_ : RNNRegressor
        The fitted network.
    series_ids_ : ndarray of object
        The series seen in ``fit``, in order of first appearance.
    n_series_ : int
        Their number.
    series_mean_, series_scale_ : ndarray of shape (n_series_,)
        Per-series standardisation of the (transformed) target.
    n_windows_ : int
        Training windows cut from all series.
    n_calibration_origins_ : int
        Forecast origins the intervals were calibrated on (0: none).
    calibration_errors_ : ndarray of shape (n_calibration_origins_, horizon) \
            or None
        A point forecaster's errors at those origins, in scaled units.
    quantile_offsets_ : ndarray of shape (horizon, n_quantiles) or None
        The shift of each quantile level, per step, in scaled units.

    See Also
    --------
    NaiveForecaster, SeasonalNaiveForecaster : Baselines, same contract.
    sksequence.model_selection.ForecastSplit : Backtest splitter.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNForecaster, RNNRegressor
    >>> series = np.sin(np.arange(120) / 3)
    >>> model = RNNForecaster(horizon=4, window=12,
    ...     regressor=RNNRegressor(hidden_size=8, lr=0.01, max_epochs=3,
    ...                            random_state=0))
    >>> model.fit(series).predict().shape
    (4,)
    """

    # Defaults of parameters added after 0.1.0, for estimators pickled
    # before them (``__init__`` sets every one on new instances).
    profile = None
    block_size = None
    calibration = "auto"

    _parameter_constraints = {
        **_BaseForecaster._parameter_constraints,
        "window": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"direct", "recursive", "hybrid"})],
        "block_size": [None, Interval(Integral, 1, None, closed="left")],
        "regressor": [None, HasMethods(["fit", "predict"])],
        "log": ["boolean"],
        "difference": ["boolean", Interval(Integral, 1, None, closed="left")],
        "profile": [None, Interval(Integral, 1, None, closed="left")],
        "scale": ["boolean"],
        "past_covariates": [None, list, tuple],
        "future_covariates": [None, list, tuple],
        "static_covariates": [None, list, tuple],
        "id_feature": ["boolean"],
        "quantiles": [None, "array-like"],
        "future_input": [StrOptions({"steps", "head", "both"})],
        "calibration": [None, StrOptions({"auto", "conformal"})],
    }

    def __init__(
        self,
        *,
        horizon=1,
        window=24,
        strategy="direct",
        block_size=None,
        regressor=None,
        log=False,
        difference=False,
        profile=None,
        scale=True,
        past_covariates=None,
        future_covariates=None,
        static_covariates=None,
        id_feature=False,
        quantiles=None,
        future_input="both",
        calibration="auto",
        id_column=None,
        time_column=None,
        target_column=None,
    ):
        self.horizon = horizon
        self.window = window
        self.strategy = strategy
        self.block_size = block_size
        self.regressor = regressor
        self.log = log
        self.difference = difference
        self.profile = profile
        self.scale = scale
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.static_covariates = static_covariates
        self.id_feature = id_feature
        self.quantiles = quantiles
        self.future_input = future_input
        self.calibration = calibration
        self.id_column = id_column
        self.time_column = time_column
        self.target_column = target_column

    # -- public API ---------------------------------------------------------
    def predict_quantiles(self, X=None, future=None):
        """Forecast the ``quantiles`` (sorted, never crossing).

        Parameters
        ----------
        X, future : see :meth:`predict`

        Returns
        -------
        ndarray of shape (horizon, n_quantiles) or DataFrame
            For a panel, one column per level named ``"q0.1"``, ``"q0.5"``...
        """
        panel, futures = self._inputs(X, future)
        self._check_quantile_model()
        values = self._forecast(panel, futures, "quantiles")
        return self._format(panel, values, [f"q{q:g}" for q in self.quantiles_])

    def predict_interval(self, X=None, future=None, *, coverage=0.8):
        """Central prediction intervals, calibrated on held-out windows.

        A quantile model returns its two levels ``(1 - coverage) / 2`` and
        ``(1 + coverage) / 2`` (which must be among ``quantiles``), widened
        where they covered too little on the held-out windows; a point
        forecaster returns the forecast plus the conformal quantiles of its
        errors there, for any coverage (see ``calibration``).

        Parameters
        ----------
        X, future : see :meth:`predict`
        coverage : float, default=0.8
            Nominal coverage, in (0, 1).

        Returns
        -------
        ndarray of shape (horizon, 2) or DataFrame
            Lower and upper bounds (columns ``"lower"``, ``"upper"``).
        """
        _check_coverage(coverage)
        panel, futures = self._inputs(X, future)
        values = self._forecast(panel, futures, ("interval", coverage))
        return self._format(panel, values, ["lower", "upper"])

    # -- hooks ----------------------------------------------------------------
    def _covariates(self):
        return (
            list(self.past_covariates or ()),
            list(self.future_covariates or ()),
            list(self.static_covariates or ()),
        )

    def _min_history(self):
        return self.window + int(self.difference)

    @property
    def _lag(self):
        return int(self.difference)

    @property
    def _steps(self):
        """Target steps of a training window (and of one forecast block)."""
        if self.strategy == "recursive":
            return 1
        if self.strategy == "hybrid":
            if self.block_size is None:
                raise ValueError(
                    "strategy='hybrid' rolls direct blocks forward and needs "
                    "their length: set block_size (e.g. the season length), or "
                    "use strategy='direct' or 'recursive'."
                )
            return int(self.block_size)
        return self.horizon

    @property
    def _rolled(self):
        """The strategy feeds its forecasts back as history."""
        return self.strategy in ("recursive", "hybrid")

    @property
    def _relative(self):
        """Targets are changes from a base (so scaling subtracts no mean)."""
        return bool(self._lag or self.profile)

    def _min_training_length(self):
        steps = self._steps
        return self._min_history() + steps

    def _length_reason(self):
        steps = self._steps
        what = f"window + {self._lag} (difference)" if self._lag else "window"
        return f"{what} = {self._min_history()} and {steps} target step(s)"

    def _length_knobs(self):
        return {
            "direct": "window or horizon",
            "recursive": "window",
            "hybrid": "window or block_size",
        }[self.strategy]

    def _check_strategy(self):
        if self.profile and self.difference:
            raise ValueError(
                f"profile={self.profile} and difference={self.difference} are two "
                "ways to take the season out of the targets; use one of them."
            )
        if self.profile and self.window % self.profile:
            above = (self.window // self.profile + 1) * self.profile
            below = self.window // self.profile * self.profile
            hint = f"window={below} or {above}" if below else f"window={above}"
            raise ValueError(
                f"profile={self.profile} averages the window's whole seasons, but "
                f"window={self.window} is not a multiple of {self.profile}. Use "
                f"{hint}."
            )
        past, future, _ = self._covariates()
        if self._rolled and past:
            raise ValueError(
                f"strategy={self.strategy!r} feeds its own forecasts back as "
                f"history, but past_covariates {past} are unknown at the "
                "forecast steps. Use strategy='direct', or declare covariates "
                "known ahead as future_covariates."
            )
        if self._rolled and self.quantiles is not None:
            raise ValueError(
                "quantiles need strategy='direct': a recursive model rolls "
                "forward one path, and the quantiles of one step do not give "
                f"those of the later steps. A {self.strategy} model gets "
                "intervals from its errors on held-out windows instead: drop "
                "quantiles, set regressor__early_stopping=True (or calibration="
                "'conformal') and use predict_interval."
            )
        self._check_blocks(future)

    def _check_fitted_steps(self):
        """The network emits the steps it was trained for: refuse a change."""
        fitted = getattr(self, "_fitted_shape", None)
        if fitted is None:
            return
        strategy, steps = fitted
        # A direct network emits `horizon` steps, a recursive one 1, a hybrid
        # one `block_size`: only the rolled strategies' horizon may change.
        if self.strategy == strategy and self._steps == steps:
            return
        raise ValueError(
            f"RNNForecaster was fitted with strategy={strategy!r} and a network "
            f"of {steps} output step(s), but now has strategy={self.strategy!r}, "
            f"horizon={self.horizon}, block_size={self.block_size}. Only the "
            "horizon of a recursive or hybrid model can change after fitting; "
            "set the others back or fit again."
        )

    def _check_blocks(self, future):
        if self.strategy == "hybrid" and future and self.horizon % self.block_size:
            raise ValueError(
                f"strategy='hybrid' forecasts whole blocks of {self.block_size} "
                f"steps, and its future covariates {future} must cover them, but "
                f"horizon={self.horizon} is not a multiple of block_size. Use "
                f"horizon={-(-self.horizon // self.block_size) * self.block_size}"
                " (and drop the extra steps) or a block_size that divides it."
            )

    def _fit_panel(self, panel):
        self._check_strategy()
        # Models saved before the head read the base steps' covariates load
        # without this attribute and keep their narrower head.
        self._head_base_covariates = True
        self._fitted_shape = (self.strategy, self._steps)
        if self.log:
            for series in panel:
                _check_positive(series)
        self._fit_scaling(panel)
        steps = self._steps
        blocks, targets, stamps, ends, statics, where = [], [], [], [], [], []
        for i, series in enumerate(panel):
            X, y, origins, static = self._windows(series, i, steps)
            blocks.append(X)
            targets.append(y)
            statics.append(static)
            stamps.append(series.times[origins])
            ends.append(series.times[origins + steps - 1])
            where.append(np.column_stack([np.full(len(origins), i), origins]))
        # Windows of all series in time order (stable: series order breaks
        # ties), so that a validation tail is the latest period of every series.
        stamps = _sortable(np.concatenate(stamps))
        order = np.argsort(stamps, kind="stable")
        X = np.concatenate(blocks)[order].astype(np.float32)
        static = np.concatenate(statics)[order]
        y = np.concatenate(targets)[order]
        regressor = self._new_regressor()
        n_train, tail = self._hold_out(
            regressor, stamps[order], _sortable(np.concatenate(ends))[order]
        )
        regressor.fit(_network_input(X[:n_train], static[:n_train]), y[:n_train])
        self.regressor_ = regressor
        self.quantiles_ = getattr(regressor, "quantiles_", None)
        self.n_windows_ = len(X)
        self.n_features_ = int(X.shape[2])
        self.n_static_features_ = int(static.shape[1])
        self._calibrate(
            panel, None if tail is None else np.concatenate(where)[order][tail]
        )

    def _hold_out(self, regressor, stamps, ends):
        """Windows to train on (a prefix) and the calibration tail (or None).

        The tail is the regressor's early-stopping tail when it stops early
        (its ``validation_gap`` is raised so that no training target reaches
        into the tail); with ``calibration="conformal"`` and no early
        stopping, a tail of ``validation_fraction`` held out here.
        """
        params = regressor.get_params(deep=False)
        stops = bool(params.get("early_stopping", False))
        if not stops and self.calibration != "conformal":
            return len(stamps), None
        fraction = params.get("validation_fraction", 0.1)
        first, gap = held_out_tail(stamps, ends, fraction)
        gap = max(gap, int(params.get("validation_gap", 0)))
        if first - gap < 1:
            raise ValueError(
                f"RNNForecaster: {len(stamps)} training windows leave none to "
                f"train on before the held-out tail ({len(stamps) - first} "
                f"windows, validation_fraction={fraction}) and the {gap} windows "
                "whose targets reach into it. Pass longer series, a smaller "
                "regressor__validation_fraction or a shorter horizon, or set "
                "calibration=None and regressor__early_stopping=False."
            )
        tail = slice(first, len(stamps)) if self.calibration else None
        if stops:
            regressor.set_params(validation_gap=gap)
            return len(stamps), tail
        return first - gap, tail

    def _calibrate(self, panel, positions):
        """Forecast from held-out origins; keep the errors (scaled units)."""
        self.calibration_errors_ = None
        self.quantile_offsets_ = None
        self.n_calibration_origins_ = 0
        self._calibration_skipped = None
        if positions is None:
            return
        h = self.horizon
        lengths = np.array([len(s.target) for s in panel])
        n_tail = len(positions)
        positions = calibration_origins(positions, lengths, h)
        if not len(positions):
            self._calibration_skipped = (
                f"none of the {n_tail} held-out windows has all horizon={h} "
                "steps observed after its origin."
            )
            if self.calibration == "conformal":
                raise ValueError(
                    "RNNForecaster: calibration='conformal' found no held-out "
                    f"origin with all horizon={h} steps observed. Pass longer "
                    "series or a larger regressor__validation_fraction."
                )
            return
        keep = self._min_history()
        histories = [panel[i].head(o).tail(keep) for i, o in positions]
        futures = [panel[i].future[o : o + h] for i, o in positions]
        truth = np.array([panel[i].target[o : o + h] for i, o in positions])
        kind = "point" if self.quantiles_ is None else "quantiles"
        pred = self._forecast(histories, futures, kind)
        scales = np.array([self._series_stats(s)[1] for s in histories])
        if kind == "point":
            errors = self._transformed(truth) - self._transformed(pred)
            self.calibration_errors_ = errors / scales[:, None]
        else:
            errors = self._transformed(truth)[..., None] - self._transformed(pred)
            errors = errors / scales[:, None, None]
            self.quantile_offsets_ = quantile_offsets(errors, self.quantiles_)
        self.n_calibration_origins_ = len(positions)

    def _transformed(self, values):
        """Levels -> the modelled level (their log with ``log=True``)."""
        return np.log(values) if self.log else np.asarray(values, np.float64)

    def _new_regressor(self):
        if self.regressor is None:
            from ._regressor import RNNRegressor

            regressor = RNNRegressor()
        else:
            regressor = clone(self.regressor)
        if self.quantiles is not None:
            regressor.set_params(quantiles=self.quantiles)
        return regressor

    def _fit_scaling(self, panel):
        _past, _future, _static = self._covariates()
        means, scales = [], []
        for series in panel:
            mean, scale = self._stream_stats(series)
            means.append(mean)
            scales.append(scale)
        self.series_mean_ = np.array(means)
        self.series_scale_ = np.array(scales)
        rows = np.concatenate([np.hstack([s.past, s.future]) for s in panel])
        self._cov_mean, self._cov_scale = _column_stats(rows)
        statics = np.array([s.static for s in panel]).reshape(len(panel), -1)
        self._static_mean, self._static_scale = _column_stats(statics)

    def _stream(self, series):
        level = np.log(series.target) if self.log else series.target
        # The stream the scaling statistics are taken from: the differences
        # the inputs are made of, or for profile=m the seasonal differences
        # (the spread of a change from the same phase a season earlier).
        lag = self._lag or self.profile or 0
        stream = level[lag:] - level[:-lag] if lag else level
        return level, stream

    def _stream_stats(self, series):
        if not self.scale:
            return 0.0, 1.0
        _, stream = self._stream(series)
        if not len(stream):
            lag = self._lag or self.profile
            raise ValueError(
                f"RNNForecaster: {_name(series.id)} has {len(series.target)} rows, "
                f"too few to measure its spread (its changes over {lag} steps), "
                "which scales a series unseen in training. Pass at least "
                f"{lag + 2} rows of history, or scale=False."
            )
        # profile=m centres every window on its own level: no series mean.
        mean = 0.0 if self.profile else float(np.mean(stream))
        scale = float(np.std(stream))
        return mean, scale if scale > 0 else 1.0

    def _series_stats(self, series):
        """(mean, scale, one-hot position or -1) of a series."""
        match = np.flatnonzero(self.series_ids_ == series.id)
        if len(match):
            i = int(match[0])
            return self.series_mean_[i], self.series_scale_[i], i
        mean, scale = self._stream_stats(series)
        return mean, scale, -1

    def _covariate_arrays(self, series, future_rows=None):
        n_past = series.past.shape[1]
        mean, scale = self._cov_mean, self._cov_scale
        past = (series.past - mean[:n_past]) / scale[:n_past]
        future = series.future
        if future_rows is not None:
            future = np.vstack([future, future_rows])
        future = (future - mean[n_past:]) / scale[n_past:]
        return past, (future if self._covariates()[1] else None)

    def _static_features(self, series, position, n_ids):
        parts = []
        if self._covariates()[2]:
            parts.append((series.static - self._static_mean) / self._static_scale)
        if self.id_feature:
            one_hot = np.zeros(n_ids)
            if position >= 0:
                one_hot[position] = 1.0
            parts.append(one_hot)
        return np.concatenate(parts) if parts else np.zeros(0)

    def _windows(
        self, series, position, steps, origins=None, future_rows=None, stats=None
    ):
        """Scaled windows (and targets) of one series; see forecast_windows.

        ``stats``: the (mean, scale, position) to use (a rollout keeps those
        of the history it started from), else the series' own.
        """
        if origins is None:
            mean, scale = self.series_mean_[position], self.series_scale_[position]
            n_ids = len(self.series_mean_)
        else:
            mean, scale, position = stats or self._series_stats(series)
            n_ids = len(self.series_ids_)
        level, _ = self._stream(series)
        past, future = self._covariate_arrays(series, future_rows)
        X, y, origins = forecast_windows(
            level,
            self.window,
            steps,
            past=past,
            future=future,
            difference=self.difference,
            profile=self.profile,
            origins=origins,
        )
        X[:, : self.window, 0] = (X[:, : self.window, 0] - mean) / scale
        if y is not None:
            y = y / scale if self._relative else (y - mean) / scale
        static = self._static_features(series, position, n_ids)
        static = np.broadcast_to(static, (len(X), len(static)))
        if self.future_input != "steps" and future is not None:
            # The forecast steps' covariates, flattened, beside the static
            # features: each output reads its own step's covariates directly.
            start = 1 + past.shape[1]
            ahead = X[:, self.window :, start : start + future.shape[1]]
            parts = [static, ahead.reshape(len(X), -1)]
            if self._lag and getattr(self, "_head_base_covariates", False):
                # A differenced target is a change from the level at a base
                # step: its covariates explain that level (e.g. yesterday's
                # temperature for today's change in demand).
                base = future[seasonal_base(origins, steps, self._lag)]
                parts.append(base.reshape(len(X), -1))
            static = np.hstack(parts)
            if self.future_input == "head":
                X = X[:, : self.window]
        return X, y, origins, static

    def _forecast(self, panel, futures, kind):
        """Levels of the point forecast, the quantiles or ("interval", c)."""
        check_is_fitted(self, "regressor_")
        if isinstance(kind, tuple):
            return self._forecast_interval(panel, futures, kind[1])
        if kind != "point":
            self._check_quantile_model()
        self._check_fitted_steps()
        if self._rolled:
            self._check_blocks(self._covariates()[1])
            return self._forecast_rolled(panel, futures)
        X = _network_input(
            *(
                np.concatenate(parts)
                for parts in zip(
                    *(
                        self._windows(s, -1, self.horizon, [len(s.target)], f)[::3]
                        for s, f in zip(panel, futures, strict=True)
                    ),
                    strict=True,
                )
            )
        )
        offsets = getattr(self, "quantile_offsets_", None)
        if kind == "point" and offsets is None:
            raw = self.regressor_.predict(X).reshape(len(panel), self.horizon)
            return self._invert(panel, raw)
        raw = self.regressor_.predict_quantiles(X)
        raw = raw.reshape(len(panel), self.horizon, -1)
        if offsets is not None:
            # Widened per interval and step; sorted again, so they never cross.
            raw = np.sort(raw + offsets[None], axis=-1)
        if kind == "point":
            raw = raw[..., int(np.argmin(np.abs(self.quantiles_ - 0.5)))]
        return self._invert(panel, raw)

    def _forecast_interval(self, panel, futures, coverage):
        """(n_series, horizon, 2) bounds: trained levels or calibrated errors."""
        _check_coverage(coverage)
        if self.quantiles_ is not None:
            columns = self._interval_columns(coverage)
            return self._forecast(panel, futures, "quantiles")[..., columns]
        errors = getattr(self, "calibration_errors_", None)
        skipped = getattr(self, "_calibration_skipped", None)
        if errors is None and skipped:
            raise ValueError(
                f"RNNForecaster has no calibrated intervals: {skipped} Pass "
                "longer series or a larger regressor__validation_fraction, or "
                "a shorter horizon, and fit again."
            )
        if errors is None:
            raise ValueError(
                "RNNForecaster was fitted without intervals: train quantiles "
                "(quantiles=(0.1, 0.5, 0.9), strategy='direct'), or calibrate a "
                "point forecaster on held-out windows (regressor__early_stopping="
                "True, or calibration='conformal'), and fit again."
            )
        if self.horizon > errors.shape[1]:
            raise ValueError(
                f"The intervals were calibrated for horizon={errors.shape[1]}, "
                f"but horizon is now {self.horizon}. Fit again with the longer "
                "horizon to calibrate its steps."
            )
        errors = errors[:, : self.horizon]
        point = self._transformed(self._forecast(panel, futures, "point"))
        scales = np.array([self._series_stats(s)[1] for s in panel])
        spread = np.stack(
            [
                conformal_quantile(errors, (1 - coverage) / 2),
                conformal_quantile(errors, (1 + coverage) / 2),
            ],
            axis=-1,
        )
        bounds = point[..., None] + scales[:, None, None] * spread[None]
        return np.exp(bounds) if self.log else bounds

    def _forecast_rolled(self, panel, futures):
        """Blocks of ``_steps`` forecasts, each appended to the history."""
        paths = list(panel)
        block = self._steps
        # A series unseen in training is scaled by its history: by the one
        # it came with, not by the forecasts appended to it.
        stats = [self._series_stats(s) for s in panel]
        for start in range(0, self.horizon, block):
            rows = [f[start : start + block] if f.shape[1] else None for f in futures]
            windows = [
                self._windows(s, -1, block, [len(s.target)], r, stats=st)
                for s, r, st in zip(paths, rows, stats, strict=True)
            ]
            X = _network_input(
                np.concatenate([w[0] for w in windows]),
                np.concatenate([w[3] for w in windows]),
            )
            raw = self.regressor_.predict(X).reshape(len(paths), block)
            levels = self._invert(paths, raw, stats)
            paths = [
                _append(s, values, r)
                for s, values, r in zip(paths, levels, rows, strict=True)
            ]
        return np.array(
            [
                s.target[len(p.target) : len(p.target) + self.horizon]
                for s, p in zip(paths, panel, strict=True)
            ]
        )

    def _invert(self, panel, raw, stats=None):
        """Scaled network outputs -> levels of the series (monotone per step)."""
        out = np.empty_like(raw, dtype=np.float64)
        lag, h = self._lag, raw.shape[1]
        for i, series in enumerate(panel):
            mean, scale, _ = stats[i] if stats else self._series_stats(series)
            level, _ = self._stream(series)
            values = raw[i] * scale
            if lag or self.profile:
                end = np.array([len(level)])
                if lag:
                    base = level[seasonal_base(end, h, lag)[0]]
                else:
                    base = profile_base(level, end, self.window, h, self.profile)[0]
                values = values + (base[:, None] if values.ndim == 2 else base)
            else:
                values = values + mean
            out[i] = np.exp(values) if self.log else values
        return out

    def _check_quantile_model(self):
        check_is_fitted(self, "regressor_")
        if self.quantiles_ is None:
            raise ValueError(
                "RNNForecaster was fitted without quantiles: set quantiles=(0.1, "
                "0.5, 0.9), for example, with strategy='direct', and fit again."
            )

    def _interval_columns(self, coverage):
        self._check_quantile_model()
        columns = []
        for level in ((1 - coverage) / 2, (1 + coverage) / 2):
            match = np.flatnonzero(np.isclose(self.quantiles_, level))
            if not len(match):
                raise ValueError(
                    f"An interval of coverage {coverage} needs the quantile "
                    f"levels {(1 - coverage) / 2:g} and {(1 + coverage) / 2:g}, but "
                    f"the model was trained for {self.quantiles_.tolist()}. Add "
                    "them to quantiles and fit again."
                )
            columns.append(int(match[0]))
        return columns


def _check_coverage(coverage):
    if not (isinstance(coverage, Real) and 0 < coverage < 1):
        raise ValueError(
            f"coverage must be a number in (0, 1), such as 0.8, got {coverage!r}."
        )


def _network_input(windows, static):
    """The regressor's input: the windows, with static features if any.

    Static features use the estimators' one mechanism (docs/design.md,
    "Forecasting"): a table whose sequence column holds one window per row
    and whose other columns hold the static features; the regressor's
    ``static_input`` chooses how they enter the network.
    """
    windows = np.asarray(windows, dtype=np.float32)
    if not static.shape[1]:
        return windows
    static = np.asarray(static, dtype=np.float32)
    columns = {f"static_{j}": static[:, j] for j in range(static.shape[1])}
    return pd.DataFrame({"window": list(windows), **columns})


def _append(series, values, future_rows):
    """``series`` followed by forecast ``values`` (and their future rows)."""
    n, k = len(series.target), len(values)
    future = series.future
    if future_rows is not None:
        future = np.vstack([future, future_rows])
    else:
        future = np.zeros((n + k, future.shape[1]))
    return series._replace(
        times=np.append(series.times, next_times(series.times, k)),
        target=np.append(series.target, values),
        past=np.zeros((n + k, series.past.shape[1])),
        future=future,
    )


def _check_positive(series):
    if (series.target <= 0).any():
        raise ValueError(
            f"log=True needs a positive target, but {_name(series.id)} holds "
            f"{series.target.min()}. Use log=False, or shift the series."
        )


def _column_stats(rows):
    if rows.size == 0:
        return np.zeros(rows.shape[1]), np.ones(rows.shape[1])
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[~(scale > 0)] = 1.0
    return mean, scale


def _sortable(times):
    return times.astype(np.int64) if times.dtype.kind == "M" else times
