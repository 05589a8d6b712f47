"""Tests for sksequence.windowing and the airline loader.

Both windowing paths are checked against naive Python loops, for look-ahead,
for zero copies, and for every hand-written error message.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sksequence.datasets._airline import load_airline
from sksequence.windowing import SlidingWindow, make_windows

# --------------------------------------------------------------------------
# Reference implementations: plain loops, written for clarity only.


def loop_make_windows(series, window, horizon, stride, target):
    X, y = [], []
    start = 0
    while start + window - 1 + horizon < len(series):
        X.append(series[start : start + window])
        y.append(series[start + window - 1 + horizon])
        start += stride
    X, y = np.array(X, dtype=float), np.array(y, dtype=float)
    return X, (y if target is None else y[:, target])


def loop_history(series, window, *, log=False, difference=False):
    values = np.asarray(series, dtype=float).reshape(len(series), -1)
    if log:
        values = np.log(values)
    if difference:
        previous = np.vstack([values[:1], values[:-1]])  # row 0: no change
        values = values - previous
    n_times, n_features = values.shape
    out = np.full((n_times, window, n_features), np.nan)
    for t in range(n_times):
        for k in range(window):
            source = t - window + 1 + k
            if source >= 0:
                out[t, k] = values[source]
    return out


def root_buffer(array):
    while array.base is not None:
        array = array.base
    return array


@pytest.fixture
def walk(rng):
    """A positive random walk: 40 steps, 3 features."""
    return 50 + rng.normal(size=(40, 3)).cumsum(axis=0)


# --------------------------------------------------------------------------
# make_windows


@pytest.mark.parametrize(
    "window, horizon, stride",
    [(1, 1, 1), (3, 1, 1), (4, 2, 3), (5, 3, 2), (7, 1, 5), (39, 1, 1)],
)
@pytest.mark.parametrize("target", [None, 0, [2, 0]])
def test_make_windows_matches_loop_multivariate(walk, window, horizon, stride, target):
    X, y = make_windows(walk, window, horizon=horizon, stride=stride, target=target)
    X_ref, y_ref = loop_make_windows(walk, window, horizon, stride, target)
    assert X.shape == (len(X_ref), window, 3)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("window, horizon, stride", [(1, 1, 1), (4, 2, 3), (6, 5, 2)])
def test_make_windows_matches_loop_univariate(walk, window, horizon, stride):
    series = walk[:, 0]
    X, y = make_windows(series, window, horizon=horizon, stride=stride)
    X_ref, y_ref = loop_make_windows(series, window, horizon, stride, None)
    assert X.ndim == 2 and y.ndim == 1
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_make_windows_one_column_stays_3d(walk):
    X, y = make_windows(walk[:, :1], 5)
    assert X.shape == (35, 5, 1) and y.shape == (35, 1)


def test_make_windows_exact_fit_gives_one_window():
    X, y = make_windows(np.arange(5.0), 3, horizon=2)
    np.testing.assert_array_equal(X, [[0.0, 1.0, 2.0]])
    np.testing.assert_array_equal(y, [4.0])


def test_make_windows_never_looks_ahead():
    # Values equal their time index: every window must end before its target.
    series = np.arange(100.0)
    X, y = make_windows(series, 7, horizon=3, stride=2)
    assert np.all(X.max(axis=1) + 3 == y)


def test_make_windows_is_a_read_only_view(walk):
    X, y = make_windows(walk, 8, stride=3, target=1)
    assert np.shares_memory(X, walk) and np.shares_memory(y, walk)
    assert not X.flags.writeable and not y.flags.writeable
    X1, _ = make_windows(walk[:, 0], 8)
    assert np.shares_memory(X1, walk)


def test_make_windows_float32_kept_and_integers_become_float64():
    X, y = make_windows(np.arange(10, dtype=np.float32), 3)
    assert X.dtype == y.dtype == np.float32
    X, y = make_windows(np.arange(10), 3)
    assert X.dtype == y.dtype == np.float64


def test_make_windows_pandas(walk):
    frame = pd.DataFrame(walk, columns=["a", "b", "c"])
    X, y = make_windows(frame, 4, target="c")
    X_ref, y_ref = make_windows(walk, 4, target=2)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    _, y2 = make_windows(frame, 4, target=["c", "a"])
    assert y2.shape == (36, 2)
    X, y = make_windows(frame["a"], 4)
    assert isinstance(X, np.ndarray) and X.shape == (36, 4)


def test_make_windows_mixed_dtype_frame_becomes_float():
    frame = pd.DataFrame({"n": [1, 2, 3, 4], "x": [0.5, 1.5, 2.5, 3.5]})
    X, y = make_windows(frame, 2, target="n")
    assert X.dtype == np.float64
    np.testing.assert_array_equal(y, [3.0, 4.0])


def test_make_windows_allow_nan():
    series = np.array([np.nan, np.nan, 1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"holds nan at time step 0.*allow_nan=True"):
        make_windows(series, 2)
    X, y = make_windows(series, 2, allow_nan=True)
    assert np.isnan(X[0]).all() and y[-1] == 4.0
    with pytest.raises(ValueError, match="holds inf at time step 1"):
        make_windows(np.array([1.0, np.inf, 2.0]), 1, allow_nan=True)


# --------------------------------------------------------------------------
# make_windows errors


@pytest.mark.parametrize("name", ["window", "horizon", "stride"])
@pytest.mark.parametrize("value", [0, -2])
def test_make_windows_rejects_non_positive(name, value):
    kwargs = {"window": 2, name: value}
    with pytest.raises(ValueError, match=f"{name} must be an int >= 1, got {name}="):
        make_windows(np.arange(10.0), **kwargs)


@pytest.mark.parametrize("value", [2.0, "3", True, None])
def test_make_windows_rejects_non_integer(value):
    with pytest.raises(TypeError, match=r"window must be an int >= 1, got .* of type"):
        make_windows(np.arange(10.0), value)


def test_make_windows_window_longer_than_series():
    with pytest.raises(ValueError, match="window=11 is longer than the series"):
        make_windows(np.arange(10.0), 11)


def test_make_windows_no_target_left():
    with pytest.raises(ValueError, match="No window has a target: window \\+ horizon"):
        make_windows(np.arange(10.0), 8, horizon=3)


@pytest.mark.parametrize(
    "series, match",
    [
        (np.zeros((3, 4, 2)), "expects a series of shape .* got an array of shape"),
        (np.float64(3.0), "expects a series of shape"),
        (np.array([]), "empty series"),
        (np.zeros((5, 0)), "empty series"),
        (pd.DataFrame(), "empty series"),
    ],
)
def test_make_windows_rejects_bad_shapes(series, match):
    with pytest.raises(ValueError, match=match):
        make_windows(series, 1)


@pytest.mark.parametrize(
    "series, match",
    [
        (
            pd.DataFrame({"x": [1.0, 2.0, 3.0], "city": ["a", "b", "c"]}),
            "column 'city' has dtype",
        ),
        (pd.Series(["a", "b", "c"], name="s"), "column 's' has dtype"),
        (
            np.array([[1.0, 2.0], [3.0, "x"]], dtype=object),
            "column 1 holds object values",
        ),
        (np.array(["1", "2", "3"]), "the series has dtype <U1"),
        (np.array([1j, 2j]), "the series has dtype complex128"),
    ],
)
def test_make_windows_rejects_non_numeric(series, match):
    with pytest.raises(TypeError, match=match):
        make_windows(series, 1)


def test_make_windows_reports_column_of_non_finite_value():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.nan, 3.0]})
    with pytest.raises(ValueError, match="holds nan at time step 1, column 'b'"):
        make_windows(frame, 1)


@pytest.mark.parametrize(
    "series, target, match",
    [
        (np.arange(10.0), 0, "selects columns of a 2-D series, but the series is 1-D"),
        (np.zeros((10, 2)), 2, "target 2 is not a column .* 2 column\\(s\\)"),
        (np.zeros((10, 2)), "a", "target 'a' is not a column .* no names"),
        (pd.DataFrame(np.zeros((10, 2)), columns=["a", "b"]), "c", "names \\['a'"),
    ],
)
def test_make_windows_rejects_bad_target(series, target, match):
    with pytest.raises(ValueError, match=match):
        make_windows(series, 2, target=target)


# --------------------------------------------------------------------------
# SlidingWindow


@pytest.mark.parametrize("window", [1, 2, 5, 40, 45])
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("difference", [False, True])
def test_sliding_window_matches_loop(walk, window, log, difference):
    transformer = SlidingWindow(window=window, log=log, difference=difference)
    windows = transformer.fit_transform(walk)
    assert windows.shape == (40, window, 3)
    ref = loop_history(walk, window, log=log, difference=difference)
    np.testing.assert_allclose(windows, ref, rtol=1e-12)


def test_sliding_window_univariate_input_is_one_feature(walk):
    windows = SlidingWindow(window=4).fit_transform(walk[:, 0])
    np.testing.assert_array_equal(windows, loop_history(walk[:, 0], 4))
    assert windows.shape == (40, 4, 1)


def test_sliding_window_never_looks_ahead(walk):
    # Row t may only hold rows <= t: with values equal to their time index,
    # no window holds a value greater than its own row number.
    index = np.arange(30.0)
    windows = SlidingWindow(window=6).fit_transform(index)
    assert np.all(np.nanmax(windows[:, :, 0], axis=1) == index)
    # Perturbing the future leaves every earlier window unchanged.
    transformer = SlidingWindow(window=5, log=True, difference=True).fit(walk)
    future = walk.copy()
    future[25:] *= 3.0
    before, after = transformer.transform(walk), transformer.transform(future)
    np.testing.assert_array_equal(before[:25], after[:25])
    assert not np.allclose(before[25:], after[25:])


def test_sliding_window_makes_one_copy_of_the_series_not_of_the_windows():
    series = np.arange(1000.0).reshape(500, 2)
    windows = SlidingWindow(window=64).fit_transform(series)
    buffer = root_buffer(windows)
    assert np.shares_memory(windows, buffer)
    assert buffer.nbytes == (500 + 63) * 2 * 8  # the padded series, not 500 * 64
    assert not windows.flags.writeable


def test_sliding_window_dtypes():
    assert SlidingWindow(3).fit_transform(np.ones((5, 2), np.float32)).dtype == (
        np.float32
    )
    assert SlidingWindow(3).fit_transform(np.ones((5, 2), int)).dtype == np.float64


def test_sliding_window_pandas_feature_names():
    series = pd.Series([1.0, 2.0, 3.0], name="Passengers")
    transformer = SlidingWindow(window=2).fit(series)
    assert transformer.feature_names_in_.tolist() == ["Passengers"]
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    windows = SlidingWindow(window=2).fit_transform(frame)
    np.testing.assert_array_equal(windows[2], [[2.0, 5.0], [3.0, 6.0]])


def test_sliding_window_has_no_flat_feature_names():
    # 3-D output has no flat columns to name; see the class Notes.
    transformer = SlidingWindow(window=2)
    assert not hasattr(transformer, "get_feature_names_out")
    assert transformer.set_output(transform="default") is transformer
    with pytest.raises(ValueError, match="SlidingWindow cannot output a pandas"):
        transformer.set_output(transform="pandas")


def test_sliding_window_allow_nan_keeps_leading_nan_as_padding():
    series = np.array([np.nan, 1.0, 2.0])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SlidingWindow(window=2).fit(series)
    windows = SlidingWindow(window=2, allow_nan=True).fit_transform(series)
    np.testing.assert_array_equal(windows[2, :, 0], [1.0, 2.0])
    assert np.isnan(windows[:2, 0, 0]).all()


def test_sliding_window_rejects_other_number_of_features(walk):
    transformer = SlidingWindow(window=3).fit(walk)
    with pytest.raises(ValueError, match="X has 2 features, but SlidingWindow is"):
        transformer.transform(walk[:, :2])
    with pytest.raises(ValueError, match=r"fitted with 3 features .* got a 1-D series"):
        transformer.transform(walk[:, 0])


@pytest.mark.parametrize("window", [0, -1, 2.0, "3"])
def test_sliding_window_rejects_bad_window(window):
    with pytest.raises(ValueError, match="The 'window' parameter of SlidingWindow"):
        SlidingWindow(window=window).fit(np.arange(5.0))


def test_sliding_window_log_needs_positive_values():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 0.0, 2.0]})
    with pytest.raises(ValueError, match=r"column 'b' holds 0\.0 at time step 1"):
        SlidingWindow(window=2, log=True).fit(frame)
    transformer = SlidingWindow(window=2, log=True).fit(frame + 1)
    with pytest.raises(ValueError, match="log=True needs strictly positive values"):
        transformer.transform(frame - 5)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((3, 4, 2)), ValueError, "expects a series of shape"),
        (pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]}), TypeError, "column 's'"),
        (np.zeros((0, 2)), ValueError, "0 sample\\(s\\)"),
    ],
)
def test_sliding_window_rejects_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        SlidingWindow(window=2).fit(X)


# scikit-learn's checks for SlidingWindow run in tests/test_common.py.


# --------------------------------------------------------------------------
# Airline data


def test_load_airline():
    airline = load_airline()
    assert airline.data.shape == (144,) and airline.data.dtype == np.float64
    assert airline.data[0] == 112.0 and airline.data[-1] == 432.0
    assert airline.data.sum() == 40363.0
    assert (airline.data.min(), airline.data.max()) == (104.0, 622.0)
    assert str(airline.dates[0]) == "1949-01" and str(airline.dates[-1]) == "1960-12"
    assert np.all(np.diff(airline.dates).astype(int) == 1)  # consecutive months
    assert airline.feature_names == ["Passengers"]
    assert "Box" in airline.DESCR


def test_load_airline_as_series():
    series = load_airline(as_series=True)
    assert isinstance(series.index, pd.PeriodIndex) and series.index.freqstr == "M"
    np.testing.assert_array_equal(series.to_numpy(), load_airline().data)
    X, y = make_windows(series, 12)
    assert X.shape == (132, 12) and y[0] == series.iloc[12]


# --------------------------------------------------------------------------
# Integration with the estimators (tiny on purpose: 2 epochs, 8 units).


def test_grid_search_over_window_length_with_rnn():
    from sksequence import RNNRegressor

    series = np.sin(np.arange(81) / 3.0) + np.arange(81) / 80.0
    X, y = series[:-1], series[1:]  # row t predicts the next value
    pipeline = Pipeline(
        [
            ("slidingwindow", SlidingWindow(window=4)),
            ("rnn", RNNRegressor(hidden_size=8, max_epochs=2, random_state=0)),
        ]
    )
    search = GridSearchCV(
        pipeline,
        {"slidingwindow__window": [3, 6]},
        cv=TimeSeriesSplit(3),
        error_score="raise",
    )
    search.fit(X, y)
    assert search.best_params_["slidingwindow__window"] in (3, 6)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X[-10:]).shape == (10,)
