"""Forecast metrics against hand computations."""

import numpy as np
import pytest

from sksequence.metrics import coverage, forecast_scorer, mase, pinball, rmse, smape


def test_mase_scales_each_series_by_its_naive_error():
    histories = [np.array([0.0, 1, 2, 3]), np.array([0.0, 2, 0, 2])]
    truth = np.array([[4.0, 5.0], [0.0, 2.0]])
    pred = np.array([[5.0, 5.0], [1.0, 1.0]])
    # series 1: mae 0.5 / naive 1; series 2: mae 1 / naive 2.
    assert mase(truth, pred, histories) == pytest.approx(0.5)
    # seasonal lag 2: series 2's seasonal naive error is 0 -> huge, finite
    assert mase(truth[:1], pred[:1], histories[:1], season_length=2) == pytest.approx(
        0.25
    )


def test_smape_rmse_pinball_coverage():
    assert smape([1.0, 0.0], [3.0, 0.0]) == pytest.approx(50.0)
    assert rmse([[1.0, 2.0]], [[2.0, 4.0]]) == pytest.approx(np.sqrt(2.5))
    quantiles = [0.1, 0.9]
    # truth 1; predictions 0 (under by 1) and 2 (over by 1)
    assert pinball([1.0], [[0.0, 2.0]], quantiles) == pytest.approx((0.1 + 0.1) / 2)
    assert coverage([1.0, 5.0], [0.0, 0.0], [2.0, 4.0]) == 0.5


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="Unknown forecast metric 'mape'"):
        forecast_scorer("mape")
