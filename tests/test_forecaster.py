"""RNNForecaster and the baselines: alignment, transforms, panels, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import GridSearchCV, cross_validate

from sksequence import (
    NaiveForecaster,
    RNNForecaster,
    RNNRegressor,
    SeasonalNaiveForecaster,
)
from sksequence._panel import forecast_windows
from sksequence.metrics import coverage_scorer, mase_scorer, pinball_scorer
from sksequence.model_selection import ForecastSplit
from sksequence.persistence import load, save

TINY = {"hidden_size": 4, "max_epochs": 2, "lr": 0.01, "random_state": 0}
PANEL = {"id_column": "id", "time_column": "t", "target_column": "y"}


class Spy(RegressorMixin, BaseEstimator):
    """Records what it is fitted on; predicts a constant in scaled units."""

    def __init__(self, value=0.0):
        self.value = value

    def fit(self, X, y):
        self.X_, self.y_ = np.array(X), np.array(y)
        self.n_out_ = self.y_.shape[1]
        return self

    def predict(self, X):
        self.seen_ = np.array(X)
        return np.full((len(X), self.n_out_), self.value)


def make_panel(lengths=(30, 24), starts=(0, 4), seed=0, future=False, past=False):
    rng = np.random.default_rng(seed)
    frames = []
    for i, (n, start) in enumerate(zip(lengths, starts, strict=True)):
        t = np.arange(start, start + n)
        frame = {
            "id": f"s{i}",
            "t": t,
            "y": 10 + i + np.sin(t / 2) + rng.normal(0, 0.1, n),
        }
        if future:
            frame["temp"] = np.cos(t / 3)
        if past:
            frame["sales"] = rng.normal(size=n)
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


# -- alignment against naive loops -------------------------------------------


def naive_windows(y, window, horizon, past=None, future=None, difference=False):
    X, Y = [], []
    d = int(difference)
    start = window + d
    for o in range(start, len(y) - horizon + 1):
        rows = []
        for t in range(o - window, o):
            u = y[t] - y[t - d] if d else y[t]
            row = [u]
            if past is not None:
                row += list(past[t])
            if future is not None:
                row += [*list(future[t]), 0.0]
            rows.append(row)
        if future is not None:
            n_past = 0 if past is None else past.shape[1]
            for t in range(o, o + horizon):
                rows.append([0.0] + [0.0] * n_past + list(future[t]) + [1.0])
        X.append(rows)
        Y.append([y[o + h] - (y[o - d + h % d] if d else 0.0) for h in range(horizon)])
    return np.array(X), np.array(Y)


@pytest.mark.parametrize("horizon", [1, 3])  # recursive trains horizon 1
@pytest.mark.parametrize("difference", [False, True, 3])
@pytest.mark.parametrize("covariates", ["none", "past", "future", "both"])
def test_windows_match_a_naive_loop(horizon, difference, covariates):
    rng = np.random.default_rng(1)
    y = rng.normal(size=20).cumsum()
    past = rng.normal(size=(20, 2)) if covariates in ("past", "both") else None
    future = rng.normal(size=(20, 1)) if covariates in ("future", "both") else None
    X, Y, origins = forecast_windows(
        y, 5, horizon, past=past, future=future, difference=difference
    )
    X_ref, Y_ref = naive_windows(y, 5, horizon, past, future, difference)
    np.testing.assert_allclose(X, X_ref)
    np.testing.assert_allclose(Y, Y_ref)
    assert origins[0] == 5 + int(difference)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_seasonal_difference_with_zero_output_is_the_seasonal_naive(strategy):
    y = np.array([1.0, 5, 3, 2, 6, 4, 3, 7, 5, 4, 8, 6])
    model = RNNForecaster(
        horizon=5, window=2, strategy=strategy, difference=3, regressor=Spy()
    ).fit(y)
    expected = SeasonalNaiveForecaster(season_length=3, horizon=5).fit(y).predict()
    np.testing.assert_allclose(model.predict(), expected)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_no_input_reaches_past_the_origin(strategy):
    """Inputs encode their time: history < origin; only future covariates after."""
    n, window, horizon = 30, 4, 3
    t = np.arange(n, dtype=float)
    frame = pd.DataFrame({"y": t + 1.0, "cal": t})
    spy = Spy()
    model = RNNForecaster(
        horizon=horizon,
        window=window,
        strategy=strategy,
        regressor=spy,
        scale=False,
        future_covariates=["cal"],
        future_input="steps",
    ).fit(frame)
    X, steps = model.regressor_.X_, 1 if strategy == "recursive" else horizon
    # With scale=False the covariate is standardised: undo it to read times.
    cal = X[..., 1] * model._cov_scale[0] + model._cov_mean[0]
    origins = X[:, window - 1, 0]  # target at t is t + 1: last input = origin
    assert np.all(X[:, :window, 0] <= origins[:, None])  # targets before origin
    np.testing.assert_allclose(cal[:, :window].max(axis=1), origins - 1, atol=1e-4)
    np.testing.assert_allclose(
        cal[:, window:], origins[:, None] + np.arange(steps), atol=1e-4
    )
    assert np.all(X[:, window:, 0] == 0)  # no target value in forecast steps
    # Scoring: the held-out target rows never change the forecast.
    base = model._holdout(frame)[1]
    poisoned = frame.copy()
    poisoned.loc[n - horizon :, "y"] = 1e6
    np.testing.assert_array_equal(model._holdout(poisoned)[1], base)


def test_a_window_crossing_two_series_would_be_detected():
    frame = make_panel(lengths=(20, 16))
    frame.loc[frame["id"] == "s1", "y"] += 1000  # series 1 lives above 1000
    model = RNNForecaster(horizon=2, window=5, regressor=Spy(), scale=False, **PANEL)
    model.fit(frame)
    X, y = model.regressor_.X_, model.regressor_.y_
    high = X[:, :, 0] > 500
    assert high.any() and not high.all()
    assert np.all(high.all(axis=1) | (~high).all(axis=1))  # never mixed
    assert np.all((y > 500) == high[:, :1])  # targets from the same series
    assert len(X) == (20 - 5 - 2 + 1) + (16 - 5 - 2 + 1)


def test_training_windows_are_in_time_order_across_series():
    frame = make_panel(lengths=(12, 12), starts=(0, 3))
    model = RNNForecaster(horizon=1, window=3, regressor=Spy(), scale=False, **PANEL)
    model.fit(frame)
    last = model.regressor_.X_[:, -1, 0]
    values = frame.set_index(["id", "t"])["y"]
    times = [next(t for (i, t), v in values.items() if np.isclose(v, x)) for x in last]
    assert times == sorted(times)


# -- transforms are inverted, also under recursion ---------------------------


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
@pytest.mark.parametrize("log", [False, True])
def test_zero_change_inverts_to_the_last_value(strategy, log):
    y = np.array([3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 10.0])
    model = RNNForecaster(
        horizon=3,
        window=2,
        strategy=strategy,
        log=log,
        difference=True,
        regressor=Spy(),
    ).fit(y)
    np.testing.assert_allclose(model.predict(), [10.0] * 3)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_zero_level_inverts_to_the_series_mean(strategy):
    y = np.arange(1.0, 11.0)
    model = RNNForecaster(horizon=2, window=3, strategy=strategy, regressor=Spy())
    np.testing.assert_allclose(model.fit(y).predict(), [5.5, 5.5])
    logged = RNNForecaster(horizon=2, window=3, log=True, regressor=Spy()).fit(y)
    np.testing.assert_allclose(logged.predict(), [np.exp(np.log(y).mean())] * 2)


def test_recursive_feeds_back_its_forecasts():
    y = np.arange(10.0)
    model = RNNForecaster(
        horizon=4,
        window=3,
        strategy="recursive",
        difference=True,
        scale=False,
        regressor=Spy(value=1.0),  # "one more each step"
    ).fit(y)
    np.testing.assert_allclose(model.predict(), [10.0, 11.0, 12.0, 13.0])
    np.testing.assert_allclose(model.regressor_.seen_[0, :, 0], [1.0, 1.0, 1.0])
    model.set_params(horizon=6)  # any length
    assert model.predict().shape == (6,)


# -- panels, covariates, unseen series ----------------------------------------


def test_panel_forecast_is_a_tidy_frame_from_history_or_training_end():
    frame = make_panel(future=True)
    model = RNNForecaster(
        horizon=2,
        window=4,
        future_covariates=["temp"],
        id_feature=True,
        regressor=RNNRegressor(**TINY),
        **PANEL,
    ).fit(frame)
    future = pd.DataFrame(
        {"id": ["s0", "s0", "s1", "s1"], "t": [30, 31, 28, 29], "temp": [0.0] * 4}
    )
    out = model.predict(future=future)
    assert list(out.columns) == ["id", "t", "y"]
    assert out[["id", "t"]].values.tolist() == future[["id", "t"]].values.tolist()
    # A series unseen in training, forecast from its history.
    new = make_panel(lengths=(10,), starts=(50,), seed=3, future=True)
    new["id"] = "new"
    fut = pd.DataFrame({"id": ["new"] * 2, "t": [60, 61], "temp": [0.1, 0.2]})
    assert model.predict(new, future=fut)["id"].tolist() == ["new", "new"]


def test_static_covariates_and_the_id_use_the_static_mechanism():
    frame = make_panel()
    frame["size"] = np.where(frame["id"] == "s0", 1.0, 3.0)
    model = RNNForecaster(
        horizon=1,
        window=3,
        static_covariates=["size"],
        id_feature=True,
        regressor=Spy(),
        **PANEL,
    ).fit(frame)
    table = model.regressor_.X_  # the spy keeps np.array(DataFrame)
    assert table.shape[1] == 4  # the window column, size, one-hot s0, s1
    windows = np.stack(table[:, 0])
    assert windows.shape[1:] == (3, 1)
    size = table[:, 1].astype(float)
    assert set(np.round(size, 6)) == {-1.0, 1.0}  # standardised over series
    np.testing.assert_array_equal(table[:, 2] + table[:, 3], 1.0)
    np.testing.assert_array_equal(table[:, 2] == 1.0, size < 0)
    fitted = RNNForecaster(
        horizon=2,
        window=3,
        static_covariates=["size"],
        id_feature=True,
        regressor=RNNRegressor(**TINY),
        **PANEL,
    ).fit(frame)
    assert fitted.regressor_.n_static_features_in_ == 3
    assert fitted.predict().shape == (4, 3)


def test_quantiles_never_cross_and_intervals_come_from_them():
    y = np.sin(np.arange(60) / 2) + 5
    model = RNNForecaster(
        horizon=3, window=6, quantiles=(0.9, 0.1, 0.5), regressor=RNNRegressor(**TINY)
    ).fit(y)
    q = model.predict_quantiles()
    assert q.shape == (3, 3) and np.all(np.diff(q, axis=1) >= 0)
    np.testing.assert_allclose(model.predict(), q[:, 1])
    np.testing.assert_allclose(model.predict_interval(coverage=0.8), q[:, [0, 2]])
    with pytest.raises(ValueError, match="levels 0.025 and 0.975"):
        model.predict_interval(coverage=0.95)


# -- backtesting with sklearn -------------------------------------------------


def test_grid_search_over_window_strategy_and_cell_on_a_panel():
    frame = make_panel(lengths=(26, 22), starts=(0, 4))
    cv = ForecastSplit(n_splits=2, horizon=2, id_column="id", time_column="t")
    search = GridSearchCV(
        RNNForecaster(horizon=2, regressor=RNNRegressor(**TINY), **PANEL),
        {
            "window": [3, 5],
            "strategy": ["direct", "recursive"],
            "regressor__cell": ["lstm", "gru"],
        },
        cv=cv,
        scoring=mase_scorer(),
    )
    search.fit(frame)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.predict().shape == (4, 3)


def test_cross_validate_reports_coverage_and_baselines_run_the_same_way():
    frame = make_panel(lengths=(30, 30), starts=(0, 0))
    cv = ForecastSplit(n_splits=2, horizon=3, id_column="id", time_column="t")
    scoring = {
        "mase": mase_scorer(),
        "pinball": pinball_scorer(),
        "cov80": coverage_scorer(0.8),
    }
    model = RNNForecaster(
        horizon=3,
        window=4,
        quantiles=(0.1, 0.5, 0.9),
        regressor=RNNRegressor(**TINY),
        **PANEL,
    )
    scores = cross_validate(model, frame, cv=cv, scoring=scoring)
    assert np.all((scores["test_cov80"] >= 0) & (scores["test_cov80"] <= 1))
    for baseline in (
        NaiveForecaster(horizon=3, **PANEL),
        SeasonalNaiveForecaster(season_length=2, horizon=3, **PANEL),
    ):
        base = cross_validate(baseline, frame, cv=cv, scoring=mase_scorer())
        assert np.all(base["test_score"] < 0)


def test_naive_scores_by_hand():
    y = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    model = SeasonalNaiveForecaster(season_length=2, horizon=2).fit(y)
    np.testing.assert_allclose(model.predict(), [3.0, 5.0])
    # Forecast [2, 4] from [1, 3, 2, 4] for truth [3, 5]; naive scale 5/3...
    history = y[:4]
    scale = np.mean(np.abs(np.diff(history)))
    assert model.score(y) == pytest.approx(-1.0 / scale)


# -- persistence ----------------------------------------------------------------


def test_save_load_and_pickle_give_identical_forecasts(tmp_path):
    frame = make_panel(future=True)
    model = RNNForecaster(
        horizon=2,
        window=4,
        future_covariates=["temp"],
        quantiles=(0.1, 0.5, 0.9),
        regressor=RNNRegressor(**TINY),
        **PANEL,
    ).fit(frame)
    future = pd.DataFrame(
        {"id": ["s0", "s0", "s1", "s1"], "t": [30, 31, 28, 29], "temp": [0.5] * 4}
    )
    path = tmp_path / "forecaster.safetensors"
    save(model, path)
    for other in (
        load(path, expected=RNNForecaster),
        pickle.loads(pickle.dumps(model)),
    ):
        pd.testing.assert_frame_equal(
            other.predict(future=future), model.predict(future=future)
        )
        pd.testing.assert_frame_equal(
            other.predict_quantiles(frame, future=future),
            model.predict_quantiles(frame, future=future),
        )
    assert clone(model).get_params()["regressor"].hidden_size == 4


def test_datetime_panels_round_trip(tmp_path):
    frame = make_panel(lengths=(16, 16), starts=(0, 0))
    frame["t"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(frame["t"] * 7, "D")
    model = NaiveForecaster(horizon=2, **PANEL).fit(frame)
    path = tmp_path / "naive.safetensors"
    save(model, path)
    out = load(path).predict()
    assert out["t"].tolist()[:2] == [
        pd.Timestamp("2020-04-22"),
        pd.Timestamp("2020-04-29"),
    ]


@pytest.mark.parametrize("future_input", ["head", "both"])
def test_future_covariates_can_reach_the_head(future_input):
    n, window, horizon = 20, 4, 3
    t = np.arange(n, dtype=float)
    frame = pd.DataFrame({"y": t + 1.0, "cal": t})
    model = RNNForecaster(
        horizon=horizon,
        window=window,
        regressor=Spy(),
        scale=False,
        future_covariates=["cal"],
        future_input=future_input,
    ).fit(frame)
    table = model.regressor_.X_
    windows = np.stack(table[:, 0])
    steps = window if future_input == "head" else window + horizon
    assert windows.shape[1] == steps
    ahead = table[:, 1:].astype(float) * model._cov_scale[0] + model._cov_mean[0]
    origins = windows[:, window - 1, 0]  # target at t is t + 1
    np.testing.assert_allclose(ahead, origins[:, None] + np.arange(horizon), atol=1e-4)
    future = pd.DataFrame({"cal": [20.0, 21.0, 22.0]})
    assert model.predict(future=future).shape == (3,)


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
def test_a_differenced_target_gets_the_covariates_of_its_base_steps(strategy):
    n, window, horizon, lag = 30, 6, 5, 3
    t = np.arange(n, dtype=float)
    frame = pd.DataFrame({"y": np.sin(t) + 5, "cal": t})
    model = RNNForecaster(
        horizon=horizon,
        window=window,
        strategy=strategy,
        difference=lag,
        regressor=Spy(),
        future_covariates=["cal"],
        future_input="head",
    ).fit(frame)
    steps = 1 if strategy == "recursive" else horizon
    static = model.regressor_.X_[:, 1:].astype(float)
    static = static * model._cov_scale[0] + model._cov_mean[0]
    origins = np.arange(window + lag, n - steps + 1)
    assert static.shape == (len(origins), 2 * steps)
    # The forecast steps' covariates, then those of the steps each target is
    # a change from (o - lag + h mod lag): all before the origin.
    h = np.arange(steps)
    np.testing.assert_allclose(static[:, :steps], origins[:, None] + h, atol=1e-4)
    base = origins[:, None] - lag + h % lag
    np.testing.assert_allclose(static[:, steps:], base, atol=1e-4)
    assert np.all(base < origins[:, None])
    future = pd.DataFrame({"cal": np.arange(n, n + horizon, dtype=float)})
    assert model.predict(future=future).shape == (horizon,)


# -- the level-and-profile transform -----------------------------------------


def naive_profile_windows(y, window, horizon, season):
    X, Y = [], []
    for o in range(window, len(y) - horizon + 1):
        w = y[o - window : o]
        level = w[-season:].mean()
        seasons = [w[k : k + season] for k in range(0, window, season)]
        shape = [np.mean([s[j] - s.mean() for s in seasons]) for j in range(season)]
        X.append([[v - level] for v in w])
        Y.append([y[o + h] - (level + shape[h % season]) for h in range(horizon)])
    return np.array(X), np.array(Y)


@pytest.mark.parametrize("horizon", [1, 5])
def test_profile_windows_match_a_naive_loop(horizon):
    y = np.random.default_rng(2).normal(size=30).cumsum()
    X, Y, origins = forecast_windows(y, 6, horizon, profile=3)
    X_ref, Y_ref = naive_profile_windows(y, 6, horizon, 3)
    np.testing.assert_allclose(X, X_ref)
    np.testing.assert_allclose(Y, Y_ref)
    assert origins[0] == 6


@pytest.mark.parametrize("strategy", ["direct", "recursive"])
@pytest.mark.parametrize("log", [False, True])
def test_profile_with_zero_output_is_level_plus_average_season(strategy, log):
    y = np.array([2.0, 6, 4, 3, 7, 5, 4, 9, 5, 5, 9, 7])
    model = RNNForecaster(
        horizon=4, window=6, strategy=strategy, profile=3, log=log, regressor=Spy()
    ).fit(y)
    z = np.log(y) if log else y
    last = z[-6:].reshape(2, 3)
    shape = (last - last.mean(axis=1, keepdims=True)).mean(axis=0)
    direct = last[-1].mean() + shape[np.arange(4) % 3]
    if strategy == "direct":
        expected = direct
    else:  # each one-step forecast joins the window the next one reads
        path = list(z)
        for _ in range(4):
            w = np.array(path[-6:]).reshape(2, 3)
            s = (w - w.mean(axis=1, keepdims=True)).mean(axis=0)
            path.append(w[-1].mean() + s[0])
        expected = np.array(path[-4:])
    np.testing.assert_allclose(model.predict(), np.exp(expected) if log else expected)


def test_profile_needs_whole_seasons_and_no_difference():
    y = np.arange(1.0, 40.0)
    with pytest.raises(ValueError, match="window=7 is not a multiple of 3"):
        RNNForecaster(window=7, profile=3, regressor=Spy()).fit(y)
    with pytest.raises(ValueError, match="use one of them"):
        RNNForecaster(window=6, profile=3, difference=3, regressor=Spy()).fit(y)


# -- the hybrid strategy -----------------------------------------------------


def test_hybrid_rolls_direct_blocks_forward():
    y = np.arange(10.0)
    model = RNNForecaster(
        horizon=5,
        window=3,
        strategy="hybrid",
        block_size=2,
        difference=True,
        scale=False,
        regressor=Spy(value=1.0),
    ).fit(y)
    # Trained on blocks of 2 targets: the changes from the last value.
    assert model.regressor_.y_.shape[1] == 2
    np.testing.assert_allclose(model.regressor_.y_[0], [1.0, 2.0])
    # Each block is "last value + 1" twice, then joins the history.
    np.testing.assert_allclose(model.predict(), [10.0, 10.0, 11.0, 11.0, 12.0])
    model.set_params(horizon=2)
    np.testing.assert_allclose(model.predict(), [10.0, 10.0])


def test_hybrid_with_future_covariates_reads_each_blocks_rows():
    n, window = 30, 4
    t = np.arange(n, dtype=float)
    frame = pd.DataFrame({"y": np.sin(t) + 3, "cal": t})
    spy = Spy()
    model = RNNForecaster(
        horizon=4,
        window=window,
        strategy="hybrid",
        block_size=2,
        future_covariates=["cal"],
        future_input="head",
        regressor=spy,
    ).fit(frame)
    future = pd.DataFrame({"cal": [30.0, 31.0, 32.0, 33.0]})
    assert model.predict(future=future).shape == (4,)
    # The second block's head covariates are the rows of steps 2 and 3.
    seen = model.regressor_.seen_[:, 1:].astype(float)
    np.testing.assert_allclose(
        seen * model._cov_scale[0] + model._cov_mean[0], [[32.0, 33.0]], atol=1e-4
    )
    with pytest.raises(ValueError, match="horizon=5 is not a multiple of block_size"):
        model.set_params(horizon=5).fit(frame)


def test_hybrid_needs_a_block_size_and_gets_calibrated_intervals():
    y = 5 + np.sin(np.arange(120) / 3)
    with pytest.raises(ValueError, match="set block_size"):
        RNNForecaster(horizon=4, window=6, strategy="hybrid", regressor=Spy()).fit(y)
    model = RNNForecaster(
        horizon=6,
        window=6,
        strategy="hybrid",
        block_size=3,
        regressor=RNNRegressor(**TINY, early_stopping=True, validation_fraction=0.25),
    ).fit(y)
    assert model.regressor_.validation_gap == 2  # blocks of 3 targets
    assert model.calibration_errors_.shape[1] == 6
    assert model.predict_interval(coverage=0.9).shape == (6, 2)


@pytest.mark.parametrize("strategy", ["recursive", "hybrid"])
def test_an_unseen_series_keeps_its_history_scale_through_a_rollout(strategy):
    train = make_panel(lengths=(30, 30), starts=(0, 0))
    model = RNNForecaster(
        horizon=6,
        window=4,
        strategy=strategy,
        block_size=2,
        regressor=Spy(value=1.0),
        **PANEL,
    ).fit(train)
    new = train[train["id"] == "s1"].assign(id="new", y=lambda f: f["y"] * 3)
    forecast = model.predict(new)["y"].to_numpy()
    # "Mean + 1 scale" of the history it came with, at every step.
    history = new["y"].to_numpy()
    np.testing.assert_allclose(forecast, history.mean() + history.std())


def test_a_changed_strategy_or_block_after_fitting_is_refused():
    y = np.sin(np.arange(40.0)) + 3
    model = RNNForecaster(
        horizon=4, window=4, strategy="hybrid", block_size=2, regressor=Spy()
    ).fit(y)
    model.set_params(horizon=7)  # the rolled horizon may change
    assert model.predict().shape == (7,)
    with pytest.raises(ValueError, match=r"fitted with strategy='hybrid'.*fit again"):
        model.set_params(block_size=3).predict()
    direct = RNNForecaster(horizon=4, window=4, regressor=Spy()).fit(y)
    with pytest.raises(ValueError, match="network of 4 output step"):
        direct.set_params(horizon=6).predict()


def test_profile_messages_and_too_short_unseen_histories():
    y = np.arange(1.0, 40.0)
    with pytest.raises(ValueError, match=r"Use window=12\.$"):
        RNNForecaster(window=8, profile=12, regressor=Spy()).fit(y)
    model = RNNForecaster(horizon=2, window=4, profile=4, regressor=Spy(), **PANEL)
    model.fit(make_panel(lengths=(30, 30), starts=(0, 0)))
    short = pd.DataFrame({"id": "new", "t": np.arange(4), "y": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match="too few to measure its spread"):
        model.predict(short)


def test_the_length_error_names_the_knob_of_each_strategy():
    y = np.arange(10.0)
    with pytest.raises(ValueError, match="shorter window or block_size"):
        RNNForecaster(
            window=6, horizon=8, strategy="hybrid", block_size=6, regressor=Spy()
        ).fit(y)
