"""Calibrated forecast intervals: held-out tail, gap, conformal levels, coverage."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from sksequence import RNNForecaster, RNNRegressor
from sksequence._calibration import conformal_quantile, held_out_tail

STOPS = {
    "hidden_size": 6,
    "max_epochs": 6,
    "lr": 0.02,
    "random_state": 0,
    "early_stopping": True,
    "validation_fraction": 0.25,
}


def noisy(n=240, seed=0):
    rng = np.random.default_rng(seed)
    return 5 + np.sin(np.arange(n) / 3) + rng.normal(0, 0.3, n)


class Offset(RegressorMixin, BaseEstimator):
    """Predicts a constant (scaled units); records how many rows it saw."""

    def __init__(self, value=0.0, early_stopping=False, validation_fraction=0.2):
        self.value = value
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction

    def fit(self, X, y):
        self.n_rows_, self.n_out_ = np.shape(y)
        return self

    def predict(self, X):
        return np.full((len(X), self.n_out_), self.value)


def test_held_out_tail_drops_the_windows_whose_targets_reach_it():
    stamps = np.repeat(np.arange(10), 2)  # two series, same times
    first, gap = held_out_tail(stamps, stamps + 3, 0.2)
    assert first == 16 and stamps[first] == 8
    # Origins 5, 6 and 7 have targets up to 8, 9 and 10: six windows.
    assert gap == 6


@pytest.mark.parametrize("level", [0.05, 0.1, 0.5, 0.8, 0.975])
def test_conformal_quantile_covers_at_least_its_level(level):
    errors = np.random.default_rng(0).normal(size=(199, 3))
    q = conformal_quantile(errors, level)
    below = (errors <= q).mean(axis=0)
    if level >= 0.5:
        assert np.all(below >= level)
    else:
        assert np.all(below <= level + 1 / 199)
    assert q.shape == (3,)


def test_early_stopping_tail_is_the_calibration_set_and_has_a_gap():
    model = RNNForecaster(horizon=4, window=8, regressor=RNNRegressor(**STOPS))
    model.fit(noisy())
    # One series: the 3 windows before the tail have targets inside it.
    assert model.regressor_.validation_gap == 3
    assert model.n_calibration_origins_ > 20
    assert model.calibration_errors_.shape == (model.n_calibration_origins_, 4)
    interval = model.predict_interval(coverage=0.8)
    point = model.predict()
    assert interval.shape == (4, 2)
    assert np.all(interval[:, 0] <= point) and np.all(point <= interval[:, 1])
    wide = model.predict_interval(coverage=0.95)
    assert np.all(wide[:, 0] <= interval[:, 0]) and np.all(interval[:, 1] <= wide[:, 1])


def test_intervals_are_the_point_plus_conformal_quantiles_of_the_errors():
    series = noisy()
    model = RNNForecaster(
        horizon=3, window=6, log=True, regressor=RNNRegressor(**STOPS)
    ).fit(series)
    errors = model.calibration_errors_
    scale = model.series_scale_[0]
    lower = conformal_quantile(errors, 0.1)
    upper = conformal_quantile(errors, 0.9)
    point = np.log(model.predict())
    expected = np.exp(np.column_stack([point + scale * lower, point + scale * upper]))
    np.testing.assert_allclose(model.predict_interval(coverage=0.8), expected)


def test_recursive_forecasts_get_calibrated_intervals_too():
    model = RNNForecaster(
        horizon=4, window=8, strategy="recursive", regressor=RNNRegressor(**STOPS)
    ).fit(noisy())
    # One-step windows: no target reaches past its origin, so no gap.
    assert model.regressor_.validation_gap == 0
    assert model.calibration_errors_.shape[1] == 4
    assert model.predict_interval(coverage=0.9).shape == (4, 2)
    model.set_params(horizon=6)
    with pytest.raises(ValueError, match="calibrated for horizon=4"):
        model.predict_interval()


def test_quantile_offsets_make_each_level_cover_on_the_calibration_tail():
    model = RNNForecaster(
        horizon=3,
        window=6,
        quantiles=(0.1, 0.5, 0.9),
        regressor=RNNRegressor(**STOPS),
    ).fit(noisy())
    assert model.quantile_offsets_.shape == (3, 3)
    assert model.calibration_errors_ is None
    q = model.predict_quantiles()
    assert np.all(np.diff(q, axis=1) >= 0)
    np.testing.assert_allclose(model.predict(), q[:, 1])
    np.testing.assert_allclose(model.predict_interval(coverage=0.8), q[:, [0, 2]])


def test_calibrated_intervals_cover_about_their_level_out_of_sample():
    series = noisy(n=600, seed=1)
    params = {**STOPS, "max_epochs": 10, "hidden_size": 8}
    model = RNNForecaster(horizon=4, window=12, regressor=RNNRegressor(**params))
    model.fit(series[:400])
    hits = []
    for origin in range(400, 596, 2):
        interval = model.predict_interval(series[:origin], coverage=0.8)
        truth = series[origin : origin + 4]
        hits.append((truth >= interval[:, 0]) & (truth <= interval[:, 1]))
    assert 0.7 <= np.mean(hits) <= 0.9


def test_conformal_holds_the_tail_out_when_the_regressor_does_not_stop_early():
    series = np.arange(60.0)
    # 60 - (6 + 1) - 2 + 1 = 52 windows; a tail of round(0.2 * 52) = 10, gap 1.
    common = {"horizon": 2, "window": 6, "difference": True, "regressor": Offset()}
    model = RNNForecaster(calibration="conformal", **common).fit(series)
    assert model.regressor_.n_rows_ == 52 - 10 - 1
    assert model.n_calibration_origins_ == 10
    # "No change" misses a unit trend by 1 and 2: the same at every origin.
    errors = model.calibration_errors_ * model.series_scale_[0]
    np.testing.assert_allclose(errors, np.tile([1.0, 2.0], (10, 1)))
    auto = RNNForecaster(**common).fit(series)
    assert auto.regressor_.n_rows_ == 52 and auto.n_calibration_origins_ == 0
    with pytest.raises(ValueError, match="fitted without intervals"):
        auto.predict_interval()


def test_calibration_none_trains_on_everything_but_the_early_stopping_tail():
    model = RNNForecaster(
        horizon=2, window=6, calibration=None, regressor=RNNRegressor(**STOPS)
    ).fit(noisy(80))
    assert model.n_calibration_origins_ == 0
    assert model.regressor_.validation_gap == 1  # still no leak into validation
    with pytest.raises(ValueError, match="fitted without intervals"):
        model.predict_interval()


@pytest.mark.parametrize("coverage", [0, 1, 1.5, "0.8", None])
def test_coverage_must_be_a_number_between_0_and_1(coverage):
    model = RNNForecaster(horizon=2, window=6, regressor=RNNRegressor(**STOPS))
    model.fit(noisy(80))
    with pytest.raises(ValueError, match=r"coverage must be a number in \(0, 1\)"):
        model.predict_interval(coverage=coverage)


def test_too_short_for_a_held_out_tail():
    with pytest.raises(ValueError, match="leave none to train on"):
        RNNForecaster(
            horizon=4, window=4, calibration="conformal", regressor=Offset()
        ).fit(np.arange(10.0))


class Failing(Offset):
    def fit(self, X, y):
        raise RuntimeError("injected fault")


def test_a_failed_fit_leaves_the_fitted_forecaster_as_it_was():
    model = RNNForecaster(horizon=2, window=4, regressor=Offset(value=1.0))
    model.fit(np.arange(30.0))
    before = model.predict()
    state = {k: v for k, v in vars(model).items() if k != "regressor"}
    model.set_params(regressor=Failing())
    with pytest.raises(RuntimeError, match="injected fault"):
        model.fit(np.arange(100.0, 160.0))
    assert set(vars(model)) - {"regressor"} == set(state)
    assert model.regressor_ is state["regressor_"]
    np.testing.assert_array_equal(model.predict(), before)


def test_a_tail_without_complete_horizons_says_why_there_are_no_intervals():
    model = RNNForecaster(
        horizon=30, window=8, strategy="recursive", regressor=RNNRegressor(**STOPS)
    ).fit(noisy(120))
    assert model.n_calibration_origins_ == 0
    with pytest.raises(ValueError, match="none of the 28 held-out windows has all"):
        model.predict_interval()


def test_a_forecaster_saved_before_base_step_covariates_keeps_its_head():
    frame = pd.DataFrame({"y": noisy(60), "temp": np.arange(60.0)})
    model = RNNForecaster(
        horizon=2,
        window=4,
        difference=True,
        future_covariates=["temp"],
        regressor=Offset(),
    ).fit(frame)
    future = pd.DataFrame({"temp": [60.0, 61.0]})
    _, _, _, static = model._windows(
        model._stored_panel()[0], -1, 2, [4], future.to_numpy()
    )
    assert static.shape[1] == 4  # 2 forecast steps + 2 base steps
    del model._head_base_covariates  # as in files written before
    _, _, _, static = model._windows(
        model._stored_panel()[0], -1, 2, [4], future.to_numpy()
    )
    assert static.shape[1] == 2


@pytest.mark.parametrize("strategy", ["direct", "hybrid"])
def test_save_load_and_pickle_keep_the_calibrated_intervals(tmp_path, strategy):
    from sksequence.persistence import load, save

    model = RNNForecaster(
        horizon=4,
        window=8,
        strategy=strategy,
        block_size=2,
        profile=4,
        regressor=RNNRegressor(**STOPS),
    ).fit(noisy())
    save(model, tmp_path / "model.safetensors")
    for other in (
        load(tmp_path / "model.safetensors", expected=RNNForecaster),
        pickle.loads(pickle.dumps(model)),
    ):
        for coverage in (0.8, 0.95):
            np.testing.assert_array_equal(
                other.predict_interval(coverage=coverage),
                model.predict_interval(coverage=coverage),
            )
        np.testing.assert_array_equal(other.predict(), model.predict())
