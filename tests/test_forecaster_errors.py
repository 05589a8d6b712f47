"""Every hand-written forecaster and splitter error, with its message."""

import numpy as np
import pandas as pd
import pytest

from sksequence import NaiveForecaster, RNNForecaster
from sksequence.model_selection import ForecastSplit

PANEL = {"id_column": "id", "time_column": "t", "target_column": "y"}


def panel(n=12, future=True):
    frames = []
    for sid in ("a", "b"):
        frame = {"id": sid, "t": np.arange(n), "y": np.arange(n, dtype=float) + 1}
        if future:
            frame["temp"] = np.ones(n)
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


class Zero:
    def fit(self, X, y):
        self.n_out_ = np.shape(y)[1]
        return self

    def predict(self, X):
        return np.zeros((len(X), self.n_out_))

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


@pytest.fixture(scope="module")
def fitted():
    return RNNForecaster(
        horizon=2, window=3, future_covariates=["temp"], regressor=Zero(), **PANEL
    ).fit(panel())


def future_rows(times_a=(12, 13), times_b=(12, 13)):
    return pd.DataFrame(
        {
            "id": ["a"] * len(times_a) + ["b"] * len(times_b),
            "t": list(times_a) + list(times_b),
            "temp": 0.0,
        }
    )


def test_future_covariates_are_required(fitted):
    with pytest.raises(ValueError, match=r"future_covariates \['temp'\]: pass"):
        fitted.predict()


def test_missing_future_rows_are_named(fitted):
    with pytest.raises(
        ValueError,
        match=r"series 'b' are misaligned: missing the "
        r"forecast steps \[13\]",
    ):
        fitted.predict(future=future_rows(times_b=(12,)))


def test_misaligned_future_rows_are_named(fitted):
    with pytest.raises(
        ValueError,
        match=r"series 'a' are misaligned: missing the "
        r"forecast steps \[12\]; extra rows at \[14\]",
    ):
        fitted.predict(future=future_rows(times_a=(13, 14)))


def test_extra_future_rows_are_refused(fitted):
    with pytest.raises(ValueError, match=r"extra rows at \[14\], outside the 2"):
        fitted.predict(future=future_rows(times_a=(12, 13, 14)))


def test_future_for_an_unknown_series_is_refused(fitted):
    rows = pd.concat([future_rows(), future_rows().assign(id="zzz")])
    with pytest.raises(ValueError, match=r"rows for series \['zzz'\] that are not"):
        fitted.predict(future=rows)


def test_future_without_a_covariate_column(fitted):
    with pytest.raises(ValueError, match=r"future lacks the column\(s\) \['temp'\]"):
        fitted.predict(future=future_rows().drop(columns="temp"))


def test_single_series_future_needs_horizon_rows():
    frame = pd.DataFrame({"y": np.arange(1.0, 13.0), "temp": np.ones(12)})
    model = RNNForecaster(
        horizon=2, window=3, future_covariates=["temp"], regressor=Zero()
    ).fit(frame)
    with pytest.raises(ValueError, match="exactly horizon=2 rows"):
        model.predict(future=pd.DataFrame({"temp": [1.0, 2.0, 3.0]}))
    assert model.predict(future=pd.DataFrame({"temp": [1.0, 2.0]})).shape == (2,)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"future_covariates": ["tmp"]}, r"future_covariates names \['tmp'\], which"),
        ({"past_covariates": ["x"]}, r"past_covariates names \['x'\]"),
        ({"static_covariates": ["size"]}, r"static_covariates names \['size'\]"),
        ({"target_column": "sales"}, r"target_column names \['sales'\]"),
    ],
)
def test_unknown_column_names(params, match):
    model = RNNForecaster(horizon=1, window=3, regressor=Zero(), **{**PANEL, **params})
    with pytest.raises(ValueError, match=match):
        model.fit(panel())


def test_series_shorter_than_the_window():
    with pytest.raises(
        ValueError,
        match=r"series 'a' has 12 rows, but training "
        r"needs at least 14 \(window = 12 and 2 target",
    ):
        RNNForecaster(horizon=2, window=12, regressor=Zero(), **PANEL).fit(panel())
    model = RNNForecaster(horizon=2, window=3, regressor=Zero(), **PANEL).fit(panel())
    short = panel().groupby("id").head(2)
    with pytest.raises(
        ValueError, match="has 2 rows of history, but forecasting needs at least 3"
    ):
        model.predict(short)


def test_duplicate_timestamps():
    frame = panel()
    frame.loc[5, "t"] = 4
    with pytest.raises(ValueError, match=r"duplicate time stamp \[4\] in series 'a'"):
        NaiveForecaster(**PANEL).fit(frame)


def test_unsorted_time():
    frame = panel()
    frame.loc[[3, 4], "t"] = [4, 3]
    with pytest.raises(
        ValueError,
        match=r"time is not increasing in series 'a': "
        r"row 4 \(\[3\]\) comes after \[4\]\. Sort by \['id', 't'\]",
    ):
        NaiveForecaster(**PANEL).fit(frame)


def test_missing_values_and_varying_statics():
    frame = panel()
    frame.loc[2, "y"] = np.nan
    with pytest.raises(ValueError, match="column 'y' holds nan at row 2"):
        NaiveForecaster(**PANEL).fit(frame)
    frame = panel()
    with pytest.raises(ValueError, match="'t' must be constant within each series"):
        RNNForecaster(window=2, static_covariates=["t"], regressor=Zero(), **PANEL).fit(
            frame
        )


def test_target_column_must_be_named_when_ambiguous():
    frame = pd.DataFrame({"y": np.ones(5), "z": np.ones(5)})
    with pytest.raises(ValueError, match="cannot tell which column is the target"):
        NaiveForecaster().fit(frame)


def test_panel_needs_a_time_column():
    with pytest.raises(ValueError, match="needs time_column"):
        NaiveForecaster(id_column="id", target_column="y").fit(panel())


def test_recursive_refuses_past_covariates_and_quantiles():
    frame = panel()
    with pytest.raises(ValueError, match="past_covariates \\['temp'\\] are unknown"):
        RNNForecaster(
            window=2,
            strategy="recursive",
            past_covariates=["temp"],
            regressor=Zero(),
            **PANEL,
        ).fit(frame)
    with pytest.raises(ValueError, match="quantiles need strategy='direct'"):
        RNNForecaster(
            window=2, strategy="recursive", quantiles=[0.5], regressor=Zero(), **PANEL
        ).fit(frame)


def test_log_needs_a_positive_target():
    with pytest.raises(
        ValueError, match="log=True needs a positive target, but the series holds -1.0"
    ):
        RNNForecaster(window=2, log=True, regressor=Zero()).fit(
            np.array([1.0, 2, -1, 3, 4, 5])
        )


def test_quantile_methods_need_a_quantile_model(fitted):
    with pytest.raises(ValueError, match="fitted without quantiles"):
        fitted.predict_quantiles(future=future_rows())


def test_baselines_make_point_forecasts_only():
    model = NaiveForecaster(horizon=1).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="point forecasts only"):
        model._holdout(np.arange(5.0), "quantiles")


def test_scoring_needs_more_rows_than_the_horizon():
    model = NaiveForecaster(horizon=3).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="the series has only 3 rows"):
        model.score(np.arange(3.0))


def test_splitter_errors():
    with pytest.raises(ValueError, match="needs more than 12 time stamps"):
        list(ForecastSplit(n_splits=6, horizon=2).split(np.arange(12.0)))
    with pytest.raises(ValueError, match="needs time_column"):
        list(ForecastSplit(id_column="id").split(panel()))
    with pytest.raises(ValueError, match=r"column 'day' is not in X"):
        list(ForecastSplit(id_column="id", time_column="day").split(panel()))
    with pytest.raises(ValueError, match="horizon must be an int >= 1"):
        list(ForecastSplit(horizon=0).split(np.arange(12.0)))
