"""
Forecasting the sunspot cycle a decade ahead
============================================

Yearly sunspot numbers 1700-2008 (309 years, from ``statsmodels``): a
bounded series with a cycle of about 11 years whose peaks vary a lot in
height. :class:`~sksequence.RNNForecaster` forecasts the next 11 years in
one shot (``strategy="direct"``: one network emits all 11) from a window of
two cycles. ``difference=11`` makes it learn the correction to "11 years
ago" (the seasonal naive forecast), which a cycle of 9-14 years needs;
early stopping on the latest fifth of the windows picks the epoch and
calibrates the intervals on the same held-out windows.
:class:`~sksequence.model_selection.ForecastSplit` backtests it and the
naive forecasts with ``cross_validate``.
"""

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
import torch
from sklearn.model_selection import cross_validate

from sksequence import (
    NaiveForecaster,
    RNNForecaster,
    RNNRegressor,
    SeasonalNaiveForecaster,
)
from sksequence.metrics import coverage_scorer, mase_scorer, rmse_scorer
from sksequence.model_selection import ForecastSplit

torch.set_num_threads(1)
start = time.perf_counter()
# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: fewer epochs.
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
MAX_EPOCHS = 10 if SMALL else 80
print(f"size: {'small' if SMALL else 'full'} ({MAX_EPOCHS} epochs; full size: 80)")

sunspots = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)
years = np.arange(1700, 1700 + len(sunspots))
HORIZON = 11
train, test = sunspots[:-HORIZON], sunspots[-HORIZON:]

model = RNNForecaster(
    horizon=HORIZON,
    window=22,
    difference=11,
    regressor=RNNRegressor(
        hidden_size=32,
        lr=3e-3,
        batch_size=16,
        max_epochs=MAX_EPOCHS,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=0,
    ),
)

# %%
# Backtest: four 11-year periods at the end of the training years.
cv = ForecastSplit(n_splits=4, horizon=HORIZON)
scoring = {"mase": mase_scorer(), "rmse": rmse_scorer()}
rows = {}
for name, estimator in [
    ("RNNForecaster", model),
    ("naive (last year)", NaiveForecaster(horizon=HORIZON)),
    (
        "seasonal naive (11 years ago)",
        SeasonalNaiveForecaster(season_length=11, horizon=HORIZON),
    ),
]:
    extra = {"cov80": coverage_scorer(0.8)} if estimator is model else {}
    scores = cross_validate(estimator, train, cv=cv, scoring=scoring | extra)
    rows[name] = scores
print("\n| model | backtest MASE | backtest RMSE |")
print("|---|---:|---:|")
for name, scores in rows.items():
    print(
        f"| {name} | {-scores['test_mase'].mean():.3f} | "
        f"{-scores['test_rmse'].mean():.1f} |"
    )
print(f"80% interval coverage: {rows['RNNForecaster']['test_cov80'].mean():.2f}")

# %%
# The last 11 years, forecast from the years before them.
point = model.fit(train).predict()
band80 = model.predict_interval(coverage=0.8)
band95 = model.predict_interval(coverage=0.95)
print(f"test RMSE: {np.sqrt(np.mean((point - test) ** 2)):.1f}")
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(years[-80:], sunspots[-80:], color="black", label="sunspot number")
ax.fill_between(years[-HORIZON:], band95[:, 0], band95[:, 1], alpha=0.2, label="95%")
ax.fill_between(years[-HORIZON:], band80[:, 0], band80[:, 1], alpha=0.3, label="80%")
ax.plot(years[-HORIZON:], point, label="forecast")
ax.set_xlabel("year")
ax.set_ylabel("yearly mean sunspot number")
ax.legend()
fig.tight_layout()
print(f"\nran in {time.perf_counter() - start:.0f} s")
if os.environ.get("SKSEQUENCE_EXAMPLE_FIGURES"):
    folder = Path(os.environ["SKSEQUENCE_EXAMPLE_FIGURES"])
    fig.savefig(folder / "sunspots_forecast.png", dpi=100)
plt.show()
