"""ForecastSplit: common cutoffs for all series, history in every test fold."""

import numpy as np
import pandas as pd
import pytest

from sksequence.model_selection import ForecastSplit


def panel():
    """Series a: t 0-19; b: t 5-19 (starts later); c: t 0-16 (ends earlier)."""
    spans = {"a": (0, 20), "b": (5, 20), "c": (0, 17)}
    return pd.DataFrame(
        [(sid, t, float(t)) for sid, (lo, hi) in spans.items() for t in range(lo, hi)],
        columns=["id", "t", "y"],
    )


def test_all_series_are_cut_at_the_same_time_stamps():
    X = panel()
    cv = ForecastSplit(n_splits=2, horizon=3, id_column="id", time_column="t")
    folds = list(cv.split(X))
    assert cv.get_n_splits() == 2
    for (train, test), origin in zip(folds, (14, 17), strict=True):
        assert X.loc[train, "t"].max() == origin - 1
        assert set(X.loc[train, "t"]) == set(range(origin))
        part = X.loc[test]
        horizon = part[part["t"] >= origin]
        assert set(horizon["t"]) == set(range(origin, origin + 3))
        # c ends at 16: complete in the first fold only, then left out.
        assert set(part["id"]) == ({"a", "b", "c"} if origin == 14 else {"a", "b"})
        # Each series: its whole history, then the horizon rows, in order.
        for _, rows in part.groupby("id"):
            assert rows["t"].tolist() == list(range(rows["t"].min(), origin + 3))
            assert rows["t"].min() == X.loc[X["id"] == rows["id"].iloc[0], "t"].min()


def test_gap_sliding_training_and_context():
    X = np.arange(30.0)
    cv = ForecastSplit(
        n_splits=2, horizon=4, step=2, gap=2, max_train_size=10, context=6
    )
    (train1, test1), (train2, test2) = cv.split(X)
    # origins 24 and 26; training ends gap=2 stamps before, 10 stamps long
    np.testing.assert_array_equal(train1, np.arange(12, 22))
    np.testing.assert_array_equal(test1, np.arange(18, 28))
    np.testing.assert_array_equal(train2, np.arange(14, 24))
    np.testing.assert_array_equal(test2, np.arange(20, 30))


@pytest.mark.parametrize("n_splits", [1, 3])
def test_test_folds_never_reach_past_their_horizon(n_splits):
    X = np.arange(40.0)
    for train, test in ForecastSplit(n_splits=n_splits, horizon=5).split(X):
        assert train.max() < test[-5]
        assert test[-1] - test[-5] == 4
