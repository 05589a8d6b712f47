"""Tests for WithHistory: folds with history rows, and scorers that skip them."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    check_scoring,
    log_loss,
    make_scorer,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import (
    BaseCrossValidator,
    GridSearchCV,
    KFold,
    TimeSeriesSplit,
    cross_val_score,
    cross_validate,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sksequence import RNNRegressor, SlidingWindow, WithHistory
from sksequence.model_selection import WithHistory as WithHistoryFromModule

torch.set_num_threads(1)


def _flatten(windows):
    """3-D windows -> 2-D features for sklearn models, padding as zeros."""
    return np.nan_to_num(windows.reshape(len(windows), -1))


def _windowed_ridge(window):
    return Pipeline(
        [
            ("slidingwindow", SlidingWindow(window)),
            ("flatten", FunctionTransformer(_flatten)),
            ("ridge", Ridge(alpha=1e-2)),
        ]
    )


@pytest.fixture(scope="module")
def series():
    t = np.arange(90.0)
    values = np.sin(t / 3) + 0.3 * np.sin(t / 7 + 1) + 0.01 * t
    X = values[:-1].reshape(-1, 1)  # row t: the series up to t
    y = values[1:]  # row t: the value at t + 1
    return X, y


@pytest.fixture(scope="module")
def regression_block():
    """A fitted Ridge and a 'test fold with history' of 30 rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.5, size=80)
    return Ridge().fit(X[:50], y[:50]), X[50:], y[50:]


@pytest.fixture(scope="module")
def classification_block():
    """A fitted binary LogisticRegression and a block of 40 rows."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] + 0.7 * rng.normal(size=120) > 0, "up", "down")
    return LogisticRegression().fit(X[:80], y[:80]), X[80:], y[80:]


# --- folds -------------------------------------------------------------------


@pytest.mark.parametrize("history", [0, 1, 7])
@pytest.mark.parametrize(
    "splitter",
    [TimeSeriesSplit(3), TimeSeriesSplit(4, test_size=10, gap=2)],
    ids=["default", "test_size+gap"],
)
def test_folds_are_the_wrapped_folds_with_history_rows_in_front(splitter, history):
    X = np.zeros((60, 1))
    plain = list(splitter.split(X))
    extended = list(WithHistory(splitter, history=history).split(X))
    assert (
        len(extended) == len(plain) == WithHistory(splitter, history=1).get_n_splits(X)
    )
    for (train, test), (new_train, new_test) in zip(plain, extended, strict=True):
        np.testing.assert_array_equal(new_train, train)
        assert len(new_test) == len(test) + history
        np.testing.assert_array_equal(new_test[history:], test)
        np.testing.assert_array_equal(
            new_test[:history], np.arange(test[0] - history, test[0])
        )


def test_history_zero_leaves_the_folds_unchanged():
    X = np.zeros((30, 2))
    splitter = TimeSeriesSplit(4)
    for (train, test), (new_train, new_test) in zip(
        splitter.split(X), WithHistory(splitter, history=0).split(X), strict=True
    ):
        np.testing.assert_array_equal(new_train, train)
        np.testing.assert_array_equal(new_test, test)
        assert new_test.dtype == test.dtype


def test_an_iterable_of_splits_is_accepted():
    folds = [(np.arange(10), np.arange(10, 15)), (np.arange(15), np.arange(15, 20))]
    extended = list(WithHistory(folds, history=3).split(np.zeros((20, 1))))
    np.testing.assert_array_equal(extended[0][1], np.arange(7, 15))
    np.testing.assert_array_equal(extended[1][1], np.arange(12, 20))
    assert WithHistory(folds, history=3).get_n_splits() == 2


def test_splitter_is_a_cross_validator_with_repr_and_pickles():
    cv = WithHistory(TimeSeriesSplit(3), history=4)
    assert isinstance(cv, BaseCrossValidator)
    assert WithHistory is WithHistoryFromModule
    assert repr(cv).startswith("WithHistory(cv=TimeSeriesSplit(")
    assert "history=4" in repr(cv)
    X = np.zeros((40, 1))
    for other in (pickle.loads(pickle.dumps(cv)), copy.deepcopy(cv)):
        for (a, b), (c, d) in zip(cv.split(X), other.split(X), strict=True):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)


# --- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "error", "match"),
    [
        (-1, ValueError, r"history must be an int >= 0, got history=-1"),
        (2.0, TypeError, r"history must be an int >= 0, got 2.0 of type float"),
        (True, TypeError, r"history must be an int >= 0, got True of type bool"),
    ],
)
def test_invalid_history_is_rejected(history, error, match):
    cv = WithHistory(TimeSeriesSplit(3), history=history)
    with pytest.raises(error, match=match):
        next(cv.split(np.zeros((30, 1))))
    with pytest.raises(error, match=match):
        cv.scorer("r2")


@pytest.mark.parametrize("cv", [5, None])
def test_an_int_or_none_cv_is_rejected(cv):
    with pytest.raises(TypeError, match=r"needs a time-ordered splitter as cv.*KFold"):
        next(WithHistory(cv, history=2).split(np.zeros((30, 1))))
    with pytest.raises(TypeError, match=r"Pass a splitter such as TimeSeriesSplit"):
        WithHistory(cv, history=2).get_n_splits()


def test_test_folds_must_be_consecutive_rows():
    cv = WithHistory(KFold(3, shuffle=True, random_state=0), history=2)
    with pytest.raises(
        ValueError, match=r"test folds of consecutive, increasing rows.*test fold 0"
    ):
        list(cv.split(np.zeros((30, 1))))


def test_test_folds_must_leave_room_for_the_history():
    cv = WithHistory(TimeSeriesSplit(5), history=10)  # first test fold: rows 5-9
    with pytest.raises(
        ValueError,
        match=(
            r"history=10 rows are needed before each test fold, but test fold 0 "
            r"of TimeSeriesSplit\(.*\) starts at row 5\. Use history <= 5, or "
            r"leave more rows before the first test fold \(fewer splits"
        ),
    ):
        list(cv.split(np.zeros((30, 1))))
    assert (
        len(list(WithHistory(TimeSeriesSplit(5), history=5).split(np.zeros((30, 1)))))
        == 5
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"scoring": 3},
            TypeError,
            r"scoring must be a scorer name.*got 3 of type int",
        ),
        ({"use_history": "yes"}, TypeError, r"use_history must be True or False"),
        ({"scoring": "no_such_metric"}, ValueError, r"no_such_metric"),
    ],
)
def test_invalid_scorer_arguments_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        WithHistory(TimeSeriesSplit(3), history=2).scorer(**kwargs)


def test_scorer_rejects_a_fold_with_nothing_after_the_history(regression_block):
    model, X, y = regression_block
    scorer = WithHistory(TimeSeriesSplit(3), history=5).scorer("r2")
    with pytest.raises(
        ValueError,
        match=r"skips the first history=5 rows.*fold of 5 rows.*WithHistory\(",
    ):
        scorer(model, X[:5], y[:5])


def test_default_scoring_needs_a_regressor_or_a_classifier():
    X = np.random.default_rng(0).normal(size=(20, 2))
    scorer = WithHistory(TimeSeriesSplit(3), history=2).scorer()
    with pytest.raises(TypeError, match=r"KMeans is neither\. Pass a scoring"):
        scorer(KMeans(2, n_init=1, random_state=0).fit(X), X)


# --- scorers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scoring", "by_hand"),
    [
        (
            "neg_root_mean_squared_error",
            lambda y, p: -(mean_squared_error(y, p) ** 0.5),
        ),
        ("neg_mean_absolute_error", lambda y, p: -mean_absolute_error(y, p)),
        (None, r2_score),
        (
            make_scorer(mean_squared_error, greater_is_better=False),
            lambda y, p: -mean_squared_error(y, p),
        ),
        (
            lambda est, X, y: float(np.mean(y - est.predict(X))),
            lambda y, p: float(np.mean(y - p)),
        ),
    ],
    ids=["rmse", "mae", "default", "make_scorer", "function"],
)
def test_regression_scorer_scores_rows_after_the_history(
    regression_block, scoring, by_hand
):
    model, X, y = regression_block
    history = 8
    prediction = model.predict(X)  # the whole block, history included
    expected = by_hand(y[history:], prediction[history:])
    scorer = WithHistory(TimeSeriesSplit(3), history=history).scorer(scoring)
    assert scorer(model, X, y) == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(by_hand(y, prediction), rel=1e-6)


def test_classification_scorers_score_rows_after_the_history(classification_block):
    model, X, y = classification_block
    history = 10
    proba = model.predict_proba(X)[history:]
    positive = list(model.classes_).index("up")
    expected = {
        "accuracy": accuracy_score(y[history:], model.predict(X)[history:]),
        "neg_log_loss": -log_loss(y[history:], proba, labels=model.classes_),
        "roc_auc": roc_auc_score(y[history:] == "up", proba[:, positive]),
        "default": accuracy_score(y[history:], model.predict(X)[history:]),
    }
    scorers = WithHistory(TimeSeriesSplit(3), history=history).scorer(
        {
            "accuracy": "accuracy",
            "neg_log_loss": "neg_log_loss",
            "roc_auc": "roc_auc",
            "default": None,
        }
    )
    for name, scorer in scorers.items():
        assert scorer(model, X, y) == pytest.approx(expected[name], rel=1e-12), name


@pytest.mark.parametrize(
    "scoring", ["r2", "neg_root_mean_squared_error", "explained_variance", None]
)
def test_history_zero_scorer_equals_the_plain_scorer(regression_block, scoring):
    model, X, y = regression_block
    scorer = WithHistory(TimeSeriesSplit(3), history=0).scorer(scoring)
    assert scorer(model, X, y) == check_scoring(model, scoring=scoring)(model, X, y)


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss", None])
def test_history_zero_classification_scorer_equals_the_plain_scorer(
    classification_block, scoring
):
    model, X, y = classification_block
    scorer = WithHistory(TimeSeriesSplit(3), history=0).scorer(scoring)
    assert scorer(model, X, y) == check_scoring(model, scoring=scoring)(model, X, y)


def test_without_history_the_model_sees_only_the_scored_rows(series):
    X, y = series
    model = _windowed_ridge(4).fit(X[:50], y[:50])
    cv = WithHistory(TimeSeriesSplit(3), history=4)
    alone = cv.scorer("neg_mean_squared_error", use_history=False)
    with_history = cv.scorer("neg_mean_squared_error")
    block_X, block_y = X[50:], y[50:]
    expected = -mean_squared_error(block_y[4:], model.predict(block_X[4:]))
    assert alone(model, block_X, block_y) == pytest.approx(expected, rel=1e-12)
    assert with_history(model, block_X, block_y) != pytest.approx(expected, rel=1e-3)


def test_pandas_inputs_and_sample_weight_are_sliced(regression_block):
    model, X, y = regression_block
    model = clone(model).fit(pd.DataFrame(X), y)
    frame, target = pd.DataFrame(X, index=np.arange(50, 80)), pd.Series(y)
    weight = np.linspace(1.0, 2.0, len(y))
    cv = WithHistory(TimeSeriesSplit(3), history=6)
    expected = r2_score(y[6:], model.predict(frame)[6:], sample_weight=weight[6:])
    for use_history in (True, False):
        scorer = cv.scorer("r2", use_history=use_history)
        assert scorer(model, frame, target, sample_weight=weight) == pytest.approx(
            expected, rel=1e-12
        )


def test_multi_output_probabilities_are_sliced_per_output():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = KNeighborsClassifier(3).fit(X, Y)
    scorer = WithHistory(TimeSeriesSplit(3), history=4).scorer(
        lambda est, X, y: [len(p) for p in est.predict_proba(X)]
    )
    assert scorer(model, X, Y) == [26, 26]


def test_list_scoring_gives_a_dict_of_scorers(regression_block):
    model, X, y = regression_block
    scorers = WithHistory(TimeSeriesSplit(3), history=3).scorer(
        ("r2", "neg_median_absolute_error")
    )
    assert list(scorers) == ["r2", "neg_median_absolute_error"]
    assert scorers["r2"](model, X, y) == pytest.approx(
        r2_score(y[3:], model.predict(X)[3:]), rel=1e-12
    )
    assert repr(scorers["r2"]) == "WithHistory(..., history=3).scorer('r2')"


# --- with cross_validate and GridSearchCV ------------------------------------


def _scores_on_the_whole_windowed_series(X, y, window, splitter):
    """Fit on each training fold, score test rows windowed with the whole series."""
    windows = _flatten(SlidingWindow(window).fit_transform(X))
    scores = []
    for train, test in splitter.split(X):
        ridge = Ridge(alpha=1e-2).fit(windows[train], y[train])
        scores.append(-mean_squared_error(y[test], ridge.predict(windows[test])))
    return np.array(scores)


@pytest.mark.parametrize(("window", "history"), [(5, 5), (3, 6)])
def test_every_scored_row_sees_its_full_history(series, window, history):
    X, y = series
    splitter = TimeSeriesSplit(3)
    cv = WithHistory(splitter, history=history)
    result = cross_validate(
        _windowed_ridge(window),
        X,
        y,
        cv=cv,
        scoring=cv.scorer("neg_mean_squared_error"),
    )
    expected = _scores_on_the_whole_windowed_series(X, y, window, splitter)
    np.testing.assert_allclose(result["test_score"], expected, rtol=1e-10)
    plain = cross_val_score(
        _windowed_ridge(window), X, y, cv=splitter, scoring="neg_mean_squared_error"
    )
    assert not np.allclose(plain, expected, rtol=1e-3)  # folds windowed alone


def test_rnn_pipeline_scores_match_the_whole_windowed_series(series):
    X, y = series
    window = 4
    splitter = TimeSeriesSplit(2, test_size=15)
    cv = WithHistory(splitter, history=window)

    def make_rnn():
        return RNNRegressor(hidden_size=2, max_epochs=1, random_state=0)

    pipe = Pipeline([("slidingwindow", SlidingWindow(window)), ("rnn", make_rnn())])
    result = cross_validate(pipe, X, y, cv=cv, scoring=cv.scorer("r2"))
    windows = SlidingWindow(window).fit_transform(X)
    expected = [
        r2_score(
            y[test], make_rnn().fit(windows[train], y[train]).predict(windows[test])
        )
        for train, test in splitter.split(X)
    ]
    np.testing.assert_allclose(result["test_score"], expected, rtol=1e-5)


def test_grid_search_over_the_window_with_a_dict_of_scorers(series):
    X, y = series
    cv = WithHistory(TimeSeriesSplit(3), history=6)
    scoring = cv.scorer({"mse": "neg_mean_squared_error", "r2": "r2"})
    search = GridSearchCV(
        _windowed_ridge(2),
        {"slidingwindow__window": [2, 6]},
        cv=cv,
        scoring=scoring,
        refit="mse",
    )
    search.fit(X, y)
    for i, window in enumerate([2, 6]):
        expected = _scores_on_the_whole_windowed_series(
            X, y, window, TimeSeriesSplit(3)
        )
        assert search.cv_results_["mean_test_mse"][i] == pytest.approx(
            expected.mean(), rel=1e-10
        )
    assert search.best_params_ == {"slidingwindow__window": 6}
    assert search.best_estimator_.predict(X).shape == y.shape


def test_cross_validate_a_windowed_classifier(series):
    X, y = series
    labels = np.where(y > X[:, 0], "up", "down")  # the direction of the next step

    def make_logistic():
        return Pipeline(
            [
                ("flatten", FunctionTransformer(_flatten)),
                ("logistic", LogisticRegression()),
            ]
        )

    pipe = Pipeline(
        [
            ("slidingwindow", SlidingWindow(3, difference=True)),
            ("model", make_logistic()),
        ]
    )
    splitter = TimeSeriesSplit(3)
    cv = WithHistory(splitter, history=3)
    result = cross_validate(
        pipe, X, labels, cv=cv, scoring=cv.scorer(["accuracy", "neg_log_loss"])
    )
    windows = SlidingWindow(3, difference=True).fit_transform(X)
    for fold, (train, test) in enumerate(splitter.split(X)):
        model = make_logistic().fit(windows[train], labels[train])
        proba = model.predict_proba(windows[test])
        assert result["test_accuracy"][fold] == pytest.approx(
            accuracy_score(labels[test], model.predict(windows[test])), rel=1e-12
        )
        assert result["test_neg_log_loss"][fold] == pytest.approx(
            -log_loss(labels[test], proba, labels=model.classes_), rel=1e-8
        )


def test_an_iterator_of_splits_is_refused_with_advice():
    X = np.arange(30.0)[:, None]
    cv = WithHistory(TimeSeriesSplit(3).split(X), history=2)
    with pytest.raises(TypeError, match=r"can be read only once.*list\(splitter"):
        cv.get_n_splits(X)


def test_several_metrics_predict_once_per_fold():
    calls = []

    class Counting(Ridge):
        def predict(self, X):
            calls.append(len(X))
            return super().predict(X)

    X = np.arange(40.0)[:, None]
    y = 2 * X[:, 0] + 1
    cv = WithHistory(TimeSeriesSplit(3), history=4)
    scoring = cv.scorer(
        ["neg_mean_absolute_error", "neg_root_mean_squared_error", "r2"]
    )
    result = cross_validate(Counting(), X, y, cv=cv, scoring=scoring)
    assert len(calls) == 3  # one prediction per fold, not one per metric
    assert set(scoring) == {
        "neg_mean_absolute_error",
        "neg_root_mean_squared_error",
        "r2",
    }
    assert np.all(result["test_r2"] > 0.99)
