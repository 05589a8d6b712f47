"""RelativeTargetRegressor: learn the change from the last value, predict levels."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline

from sksequence import RNNRegressor, SlidingWindow
from sksequence.forecasting import RelativeTargetRegressor


class _Recorder(LinearRegression):
    """Keeps the target it was fitted on."""

    def fit(self, X, y):
        self.seen_y_ = np.asarray(y).copy()
        return super().fit(X, y)


@pytest.mark.parametrize("log", [False, True])
def test_learns_the_change_and_predicts_the_level(log):
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 10, size=(30, 2))
    y = rng.uniform(1, 10, size=30)
    model = RelativeTargetRegressor(_Recorder(), column=1, log=log).fit(X, y)
    expected = np.log(y / X[:, 1]) if log else y - X[:, 1]
    np.testing.assert_allclose(model.regressor_.seen_y_, expected)
    change = model.regressor_.predict(X)
    level = X[:, 1] * np.exp(change) if log else X[:, 1] + change
    np.testing.assert_allclose(model.predict(X), level)


def test_a_column_y_keeps_its_shape():
    X = np.arange(1.0, 11.0)[:, None]
    model = RelativeTargetRegressor(LinearRegression()).fit(X, X + 1)
    assert model.predict([[20.0]]).shape == (1, 1)
    np.testing.assert_allclose(model.predict([[20.0]]), [[21.0]])


def test_multi_output_targets_are_changes_from_the_same_value():
    X = np.arange(1.0, 11.0)[:, None]
    y = np.column_stack([X[:, 0] + 1, X[:, 0] + 2])  # two horizons
    model = RelativeTargetRegressor(_Recorder()).fit(X, y)
    np.testing.assert_allclose(model.regressor_.seen_y_, [[1, 2]] * 10)
    np.testing.assert_allclose(model.predict([[100.0]]), [[101.0, 102.0]])


def test_dataframe_column_by_name_reaches_the_regressor_unchanged():
    X = pd.DataFrame({"price": np.arange(1.0, 21.0), "other": np.zeros(20)})
    y = X["price"].to_numpy() * 1.1
    seen = []

    class Spy(LinearRegression):
        def fit(self, X, y):
            seen.append(X)
            return super().fit(X, y)

    model = RelativeTargetRegressor(Spy(), column="price", log=True).fit(X, y)
    assert seen[0] is X
    np.testing.assert_allclose(model.predict(X), y)
    assert list(model.feature_names_in_) == ["price", "other"]


def test_trend_beyond_the_training_range_with_a_windowed_rnn():
    """An RNN on levels cannot extrapolate a trend; on changes it can."""
    t = np.arange(120.0)
    series = 10 + 0.5 * t + np.sin(t / 3)
    X, y = series[:-1, None], series[1:]

    def rnn():
        return Pipeline(
            [
                ("slidingwindow", SlidingWindow(6, difference=True)),
                (
                    "rnn",
                    RNNRegressor(hidden_size=8, lr=1e-2, max_epochs=40, random_state=0),
                ),
            ]
        )

    train, test = slice(0, 90), slice(90, None)
    levels = rnn().fit(X[train], y[train]).predict(X)[test]
    relative = RelativeTargetRegressor(rnn()).fit(X[train], y[train]).predict(X)[test]
    error_levels = np.sqrt(np.mean((levels - y[test]) ** 2))
    error_relative = np.sqrt(np.mean((relative - y[test]) ** 2))
    assert error_relative < 0.5
    assert error_relative < error_levels / 5


def test_searchable_and_cross_validated_in_level_units():
    series = np.cumsum(np.random.default_rng(0).normal(1, 0.1, 80))
    X, y = series[:-1, None], series[1:]
    search = GridSearchCV(
        RelativeTargetRegressor(Ridge()),
        {"log": [False, True], "regressor__alpha": [1e-3, 1.0]},
        cv=TimeSeriesSplit(3),
        scoring="neg_root_mean_squared_error",
    ).fit(X, y)
    naive = -np.sqrt(np.mean(np.diff(series[-60:]) ** 2))
    assert search.best_score_ > naive  # beats "no change" in level units
    scores = cross_val_score(
        RelativeTargetRegressor(Ridge()), X, y, cv=TimeSeriesSplit(3)
    )
    assert scores.shape == (3,)


@pytest.mark.parametrize(
    ("params", "X", "y", "match"),
    [
        ({"column": "price"}, np.ones((4, 1)), np.ones(4), "names a column"),
        (
            {"column": "nope"},
            pd.DataFrame({"a": [1.0, 2.0]}),
            [1.0, 2.0],
            r"not a column of X; X has the columns \['a'\]",
        ),
        ({"column": 3}, np.ones((4, 2)), np.ones(4), "out of range for X with 2"),
        ({}, [[1.0], [np.nan], [3.0]], [1.0, 2.0, 3.0], "row 1 is nan"),
        ({}, np.ones((3, 1)), [1.0, np.inf, 2.0], "y contains NaN or infinity"),
        ({"log": True}, [[1.0], [-2.0]], [1.0, 2.0], "log=True needs positive"),
        ({"log": True}, [[1.0], [2.0]], [0.0, 2.0], "y holds 0.0"),
        ({}, np.ones((3, 1)), np.ones(4), "X has 3 rows but y has 4"),
        (
            {"column": "v"},
            pd.Series([1.0, 2.0], name="v"),
            [1.0, 2.0],
            "not a DataFrame",
        ),
        ({}, np.ones(4), np.ones(4), r"Expected 2D array(.|\n)*reshape\(-1, 1\)"),
        ({}, [["a"], ["b"]], [1.0, 2.0], "must be numeric"),
        ({}, np.ones((2, 1)), ["a", "b"], "y must hold numbers"),
        ({}, np.ones((2, 1)), np.ones((2, 1, 1)), r"has shape \(2, 1, 1\)"),
    ],
)
def test_errors_say_what_and_how_to_fix(params, X, y, match):
    with pytest.raises(ValueError, match=match):
        RelativeTargetRegressor(LinearRegression(), **params).fit(X, y)


def test_predict_checks_fitted_and_width():
    from sklearn.exceptions import NotFittedError

    model = RelativeTargetRegressor(LinearRegression())
    with pytest.raises(NotFittedError):
        model.predict([[1.0]])
    model.fit(np.ones((5, 2)), np.ones(5))
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(np.ones((2, 3)))
