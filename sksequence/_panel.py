"""Reading forecasting data: one series or a long panel, checked once.

Everything the forecasters read goes through :func:`read_panel`, which turns
an array, a Series or a (long) DataFrame into a list of :class:`Series`:
one per series id, in order of first appearance, each with its times, its
target and its covariates as float arrays. The checks (unknown columns,
duplicate or unsorted times, missing values, static covariates that vary)
live here, so every forecaster and the splitter raise the same messages.

:func:`forecast_windows` is the one definition of a forecasting window; the
estimators and the tests against a naive loop both read it.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = ["Series", "forecast_windows", "read_future", "read_panel"]


class Series(NamedTuple):
    """One series: ``times`` and ``target`` of length n, covariates (n, k)."""

    id: object
    times: np.ndarray
    target: np.ndarray
    past: np.ndarray
    future: np.ndarray
    static: np.ndarray

    def head(self, n):
        """The first ``n`` rows (static covariates unchanged)."""
        return self._replace(
            times=self.times[:n],
            target=self.target[:n],
            past=self.past[:n],
            future=self.future[:n],
        )

    def tail(self, n):
        """The last ``n`` rows."""
        start = max(len(self.target) - n, 0)
        return self._replace(
            times=self.times[start:],
            target=self.target[start:],
            past=self.past[start:],
            future=self.future[start:],
        )


class Layout(NamedTuple):
    """The column roles a forecaster declares."""

    target: object
    id: object
    time: object
    past: tuple
    future: tuple
    static: tuple


# -- windows ------------------------------------------------------------------


def forecast_windows(
    target,
    window,
    horizon,
    *,
    past=None,
    future=None,
    difference=False,
    profile=None,
    origins=None,
):
    """Input windows and targets of one series, aligned on forecast origins.

    The forecast origin ``o`` of a window is the index of its first forecast
    step. Its inputs are the ``window`` steps ``o - window .. o - 1``, each
    ``[u_t, past_t..., future_t..., 0]`` with ``u_t = target[t]`` (or
    ``target[t] - target[t - d]`` with ``difference=d``); when ``future``
    is given, ``horizon`` more steps ``o .. o + horizon - 1`` follow, each
    ``[0, 0..., future_t..., 1]``: the future-known covariates of the forecast
    steps and a flag, nothing else. Nothing at or after the origin enters
    otherwise. The targets are ``target[o + h]`` for ``h = 0 .. horizon - 1``,
    or with ``difference=d`` the change from the level ``d`` steps earlier,
    seen last: ``target[o + h] - target[o - d + (h mod d)]`` (``d = 1``
    (``True``): from the last observed value; ``d`` = the season length: from
    the seasonal naive forecast). With ``profile=m`` the inputs are
    ``target[t]`` minus the window's level (the mean of its last ``m``
    steps) and the targets the deviation from :func:`profile_base`: that
    level plus the window's average seasonal profile.

    Parameters
    ----------
    target : ndarray of shape (n_times,)
    window, horizon : int
    past, future : ndarray of shape (n_times, k) or None
    difference : bool or int, default=False
        The lag ``d`` of the differences (``True`` is 1, ``False`` 0: none).
    profile : int or None, default=None
        The season length ``m`` of the profile transform (``window`` a
        multiple of ``m``); not with ``difference``.
    origins : ndarray of int or None, default=None
        Origins to build; ``None``: every origin whose targets exist. With
        explicit origins no target is returned (prediction), and ``target``
        and ``past`` need rows only before the last origin, ``future`` up to
        ``origin + horizon - 1``.

    Returns
    -------
    X : ndarray of shape (n_windows, window [+ horizon], n_features)
    y : ndarray of shape (n_windows, horizon) or None
    origins : ndarray of shape (n_windows,)
    """
    target = np.asarray(target, dtype=np.float64)
    n = len(target)
    lag = int(difference)
    first = window + lag
    with_targets = origins is None
    if origins is None:
        origins = np.arange(first, n - horizon + 1)
    origins = np.asarray(origins, dtype=np.int64)
    if lag:
        stream = np.full_like(target, np.nan)  # the first lag rows are never read
        stream[lag:] = target[lag:] - target[:-lag]
    else:
        stream = target
    steps = origins[:, None] - window + np.arange(window)[None, :]
    values = stream[steps]
    if profile:
        values = values - values[:, window - profile :].mean(axis=1, keepdims=True)
    parts = [values[..., None]]
    if past is not None and past.shape[1]:
        parts.append(past[steps])
    n_future = 0 if future is None else future.shape[1]
    if future is not None:
        parts.append(future[steps])
        parts.append(np.zeros((*steps.shape, 1)))
    X = np.concatenate(parts, axis=2)
    if future is not None:
        ahead = origins[:, None] + np.arange(horizon)[None, :]
        tail = np.zeros((*ahead.shape, X.shape[2]))
        tail[..., X.shape[2] - 1 - n_future : X.shape[2] - 1] = future[ahead]
        tail[..., -1] = 1.0
        X = np.concatenate([X, tail], axis=1)
    y = None
    if with_targets:
        y = target[origins[:, None] + np.arange(horizon)[None, :]]
        if lag:
            y = y - target[seasonal_base(origins, horizon, lag)]
        elif profile:
            y = y - profile_base(target, origins, window, horizon, profile)
    return X, y, origins


def profile_base(target, origins, window, horizon, season):
    """Level plus average seasonal profile of each window, for ``horizon`` steps.

    The level is the mean of the window's last ``season`` steps; the profile
    of phase ``j`` the mean, over the window's ``window // season`` seasons,
    of the deviation of phase ``j`` from its season's mean. The window ends
    a whole number of seasons before the origin, so step ``h`` has phase
    ``h mod season``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 3, 2, 4, 5, 7])  # two seasons of 2; origin 6
    >>> profile_base(y, np.array([6]), 4, 3, 2)  # level 6, profile (-1, +1)
    array([[5., 7., 5.]])
    """
    steps = origins[:, None] - window + np.arange(window)[None, :]
    seasons = target[steps].reshape(len(origins), window // season, season)
    shape = (seasons - seasons.mean(axis=2, keepdims=True)).mean(axis=1)
    level = seasons[:, -1].mean(axis=1, keepdims=True)
    return level + shape[:, np.arange(horizon) % season]


def seasonal_base(origins, horizon, lag):
    """Index of the level each target is a change from: ``o - lag + h mod lag``."""
    return origins[:, None] - lag + np.arange(horizon)[None, :] % lag


# -- reading ------------------------------------------------------------------


def read_panel(X, layout, caller, *, need_target=True):
    """``X`` as a list of :class:`Series` (one per id), checked."""
    frame, target, time = _as_frame(X, layout, caller)
    _check_columns(frame, layout, target, time, caller)
    if layout.id is None:
        groups = [(None, np.arange(len(frame)))]
    else:
        codes, uniques = pd.factorize(frame[layout.id], sort=False)
        if (codes < 0).any():
            raise ValueError(
                f"{caller}: the id column {layout.id!r} holds missing values; "
                "every row needs a series id."
            )
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        groups = [
            (_python(uniques[i]), order[bounds[i] : bounds[i + 1]])
            for i in range(len(uniques))
        ]
    times_all = _times(frame, time)
    y_all = _numeric(frame, [target], caller, need_target)[:, 0]
    past_all = _numeric(frame, layout.past, caller, True)
    future_all = _numeric(frame, layout.future, caller, True)
    static_all = _numeric(frame, layout.static, caller, True)
    panel = []
    for sid, rows in groups:
        times = times_all[rows]
        _check_times(times, sid, caller, layout)
        static = static_all[rows]
        if len(rows) and not (static == static[:1]).all():
            column = layout.static[int(np.argwhere(static != static[:1])[0, 1])]
            raise ValueError(
                f"{caller}: static covariate {column!r} must be constant within "
                f"each series, but it changes within series {sid!r}. Declare it "
                "in past_covariates or future_covariates instead."
            )
        panel.append(
            Series(
                sid,
                times,
                y_all[rows],
                past_all[rows],
                future_all[rows],
                static[0] if len(rows) else np.zeros(len(layout.static)),
            )
        )
    return panel


def read_future(future, panel, layout, horizon, caller):
    """Future-known covariates of the ``horizon`` steps after each series.

    Returns one ``(horizon, n_future)`` array per series of ``panel``; raises
    naming the missing, extra or misaligned rows.
    """
    n_future = len(layout.future)
    if not n_future:
        return [np.zeros((horizon, 0))] * len(panel)
    if future is None:
        raise ValueError(
            f"{caller} was fitted with future_covariates {list(layout.future)}: "
            f"pass their values for the {horizon} forecast steps of every series "
            "as future=, a DataFrame with those columns"
            + (
                f" and {layout.id!r}, {layout.time!r}"
                if layout.id is not None
                else " (one row per step)"
            )
            + "."
        )
    if not isinstance(future, pd.DataFrame):
        future = pd.DataFrame(np.asarray(future, dtype=np.float64))
        if future.shape[1] != n_future:
            raise ValueError(
                f"{caller}: future has {future.shape[1]} columns, but "
                f"{n_future} future covariates {list(layout.future)} were "
                "declared. Pass a DataFrame with those columns."
            )
        future.columns = list(layout.future)
    needed = [c for c in (layout.id, layout.time) if c is not None]
    needed += [c for c in layout.future if c not in needed]
    missing = [c for c in needed if c not in future.columns]
    if layout.time is not None and layout.id is None and layout.time in missing:
        missing.remove(layout.time)
    if missing:
        raise ValueError(
            f"{caller}: future lacks the column(s) {missing}; it has "
            f"{list(future.columns)}. It needs {needed}."
        )
    values = _numeric(future, layout.future, caller, True)
    if layout.id is None:
        return [_future_of_single(future, values, panel[0], layout, horizon, caller)]
    codes = future[layout.id].map(_python).to_numpy(dtype=object)
    times = _times(future, layout.time)
    known = {s.id for s in panel}
    strangers = sorted({c for c in codes if c not in known}, key=str)
    if strangers:
        raise ValueError(
            f"{caller}: future has rows for series {strangers[:5]} that are not "
            "in the history being forecast. Drop them, or add their history."
        )
    out = []
    for series in panel:
        rows = np.flatnonzero(codes == series.id)
        expected = next_times(series.times, horizon)
        got = times[rows]
        _check_future_rows(series.id, expected, got, caller, layout)
        order = np.argsort(got, kind="stable")
        out.append(values[rows[order]])
    return out


def _future_of_single(future, values, series, layout, horizon, caller):
    if layout.time is not None and layout.time in future.columns:
        got = _times(future, layout.time)
        _check_future_rows(None, next_times(series.times, horizon), got, caller, layout)
        return values[np.argsort(got, kind="stable")]
    if len(values) != horizon:
        raise ValueError(
            f"{caller}: future must hold exactly horizon={horizon} rows (the "
            f"forecast steps, in order), but it has {len(values)}."
        )
    return values


def _check_future_rows(sid, expected, got, caller, layout):
    where = "" if sid is None else f" of series {sid!r}"
    if len(np.unique(got)) != len(got):
        raise ValueError(
            f"{caller}: future holds duplicate time stamps{where}: "
            f"{_show(got[pd.Series(got).duplicated().to_numpy()])}."
        )
    missing = np.setdiff1d(expected, got)
    extra = np.setdiff1d(got, expected)
    if len(missing) or len(extra):
        parts = []
        if len(missing):
            parts.append(f"missing the forecast steps {_show(missing)}")
        if len(extra):
            parts.append(
                f"extra rows at {_show(extra)}, outside the {len(expected)} "
                "forecast steps"
            )
        raise ValueError(
            f"{caller}: the future covariates{where} are misaligned: "
            + "; ".join(parts)
            + f". Expected exactly the times {_show(expected)} (the steps after "
            "the last history row)."
        )


def next_times(times, horizon):
    """The ``horizon`` time stamps after ``times`` (its usual step)."""
    times = np.asarray(times)
    if times.dtype.kind == "M":
        index = pd.DatetimeIndex(times)
        freq = pd.infer_freq(index[-min(len(index), 12) :]) if len(index) >= 3 else None
        if freq is not None:
            return pd.date_range(index[-1], periods=horizon + 1, freq=freq)[
                1:
            ].to_numpy()
    if len(times) < 2:
        step = np.ones((), dtype=times.dtype) if times.dtype.kind != "M" else None
        if step is None:
            raise ValueError("A series of one row has no time step to extend.")
    else:
        steps = np.diff(times)
        values, counts = np.unique(steps, return_counts=True)
        step = values[np.argmax(counts)]
    return times[-1] + step * np.arange(1, horizon + 1)


def _as_frame(X, layout, caller):
    if isinstance(X, pd.Series):
        name = X.name if X.name is not None else "y"
        frame = X.to_frame(name=name)
        target = layout.target if layout.target is not None else name
    elif isinstance(X, pd.DataFrame):
        frame = X
        target = layout.target
        if target is None:
            roles = {layout.id, layout.time, *layout.past, *layout.future}
            roles |= set(layout.static)
            rest = [c for c in frame.columns if c not in roles]
            if len(rest) != 1:
                raise ValueError(
                    f"{caller} cannot tell which column is the target: X has "
                    f"the columns {list(frame.columns)}. Set target_column."
                )
            target = rest[0]
    else:
        if sparse.issparse(X):
            raise TypeError(
                f"{caller} does not accept sparse input: pass the series as a "
                "dense array, a pandas Series or a DataFrame."
            )
        if np.iscomplexobj(X):
            raise ValueError(f"{caller}: complex data not supported.")
        try:
            array = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{caller} expects a series (1-D array-like or pandas Series) or "
                f"a DataFrame, got {type(X).__name__} that is not numeric."
            ) from None
        if array.ndim == 1:
            frame = pd.DataFrame({"y": array})
            target = "y" if layout.target is None else layout.target
        elif array.ndim == 2:
            frame = pd.DataFrame(array)
            target = 0 if layout.target is None else layout.target
        else:
            raise ValueError(
                f"{caller} expects a series of shape (n_times,) or a table "
                f"(n_times, n_columns), got an array of shape {array.shape}."
            )
    time = layout.time
    return frame, target, time


def _check_columns(frame, layout, target, time, caller):
    declared = {"target_column": [target]}
    if layout.id is not None:
        declared["id_column"] = [layout.id]
    if time is not None:
        declared["time_column"] = [time]
    declared["past_covariates"] = list(layout.past)
    declared["future_covariates"] = list(layout.future)
    declared["static_covariates"] = list(layout.static)
    for role, names in declared.items():
        unknown = [n for n in names if n not in frame.columns]
        if unknown:
            raise ValueError(
                f"{caller}: {role} names {unknown}, which X does not have. X "
                f"has the columns {list(frame.columns)}."
            )
    if layout.id is not None and time is None:
        raise ValueError(
            f"{caller}: a panel (id_column={layout.id!r}) needs time_column, the "
            "column that orders each series and aligns the series."
        )


def _times(frame, time):
    if time is None:
        index = frame.index
        if isinstance(index, pd.DatetimeIndex):
            return index.to_numpy(dtype="datetime64[ns]")
        if pd.api.types.is_integer_dtype(index.dtype):
            return index.to_numpy(dtype=np.int64)
        return np.arange(len(frame), dtype=np.int64)
    column = frame[time]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy()
    try:
        return pd.to_datetime(column).to_numpy(dtype="datetime64[ns]")
    except (TypeError, ValueError):
        raise ValueError(
            f"time column {time!r} must hold numbers or dates, got values such "
            f"as {column.iloc[0]!r}."
        ) from None


def _check_times(times, sid, caller, layout):
    where = "" if sid is None else f" in series {sid!r}"
    if len(times) < 2:
        return
    steps = np.diff(times)
    zero = steps == steps.dtype.type(0)
    if zero.any():
        at = times[1:][zero][0]
        raise ValueError(
            f"{caller}: duplicate time stamp {_show([at])}{where}. Each series "
            "needs one row per time step; aggregate or drop the duplicates."
        )
    negative = steps < steps.dtype.type(0)
    if negative.any():
        at = int(np.flatnonzero(negative)[0]) + 1
        keys = [layout.id, layout.time] if layout.id is not None else [layout.time]
        keys = [k for k in keys if k is not None] or ["the index"]
        raise ValueError(
            f"{caller}: time is not increasing{where}: row {at} "
            f"({_show([times[at]])}) comes after {_show([times[at - 1]])}. Sort "
            f"by {keys} first (e.g. X.sort_values({keys}))."
        )


def _numeric(frame, columns, caller, required):
    if not len(columns):
        return np.zeros((len(frame), 0))
    if not required:
        present = [c for c in columns if c in frame.columns]
        if len(present) < len(columns):
            return np.full((len(frame), len(columns)), np.nan)
    try:
        values = frame[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        for c in columns:
            try:
                frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{caller}: column {c!r} must be numeric, got dtype "
                    f"{frame[c].dtype} (e.g. {frame[c].iloc[0]!r}). Encode it as "
                    "numbers first (e.g. one-hot)."
                ) from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{caller}: column {columns[col]!r} holds {values[row, col]} at row "
            f"{row}. Fill or drop missing values first."
        )
    return values


def _python(value):
    return value.item() if isinstance(value, np.generic) else value


def _show(values, limit=5):
    values = list(values)
    shown = []
    for v in values[:limit]:
        if isinstance(v, np.datetime64):
            shown.append(str(pd.Timestamp(v)))
        else:
            shown.append(repr(_python(v)))
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return "[" + ", ".join(shown) + "]" + more
