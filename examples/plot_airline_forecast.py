"""
Forecasting airline passengers a year ahead
===========================================

The classic Box & Jenkins airline series (144 months, bundled), forecast 12
months ahead by :class:`~sksequence.RNNForecaster`. The target transforms
live inside the forecaster and are inverted at predict: ``log=True`` turns
the growing seasonal swings into constant ones, and ``difference=12`` makes
the network learn the correction to the seasonal naive forecast (the same
month last year, on the log scale), so the trend and the season need not be
learned from 100 months. :class:`~sksequence.model_selection.ForecastSplit`
backtests it with plain ``cross_validate``; ``GridSearchCV`` searches the
window and the strategy on the same folds. The 80% and 95% intervals come
from the forecaster's errors on the last fifth of its training windows,
which it holds out of training (the regressor's early-stopping tail): split
conformal calibration, for any coverage.
"""

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, cross_validate

from sksequence import RNNForecaster, RNNRegressor, SeasonalNaiveForecaster
from sksequence.datasets import load_airline
from sksequence.metrics import coverage_scorer, mase_scorer, rmse_scorer
from sksequence.model_selection import ForecastSplit

torch.set_num_threads(1)
start = time.perf_counter()
# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: fewer epochs.
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
MAX_EPOCHS = 15 if SMALL else 60
print(f"size: {'small' if SMALL else 'full'} ({MAX_EPOCHS} epochs; full size: 60)")

passengers = load_airline().data
train, test = passengers[:-12], passengers[-12:]

model = RNNForecaster(
    horizon=12,
    window=24,
    log=True,
    difference=12,
    regressor=RNNRegressor(
        hidden_size=16,
        lr=1e-2,
        batch_size=16,
        max_epochs=MAX_EPOCHS,
        early_stopping=True,  # its held-out tail also calibrates the intervals
        validation_fraction=0.2,
        random_state=0,
    ),
)

# %%
# Backtest on the training months: three origins, a year each.
cv = ForecastSplit(n_splits=3, horizon=12)
scoring = {
    "mase": mase_scorer(12),
    "rmse": rmse_scorer(),
    "cov80": coverage_scorer(0.8),
}
scores = cross_validate(model, train, cv=cv, scoring=scoring)
naive = cross_validate(
    SeasonalNaiveForecaster(season_length=12, horizon=12),
    train,
    cv=cv,
    scoring=scoring | {"cov80": mase_scorer(12)},
)
print(
    f"RNNForecaster   MASE {-scores['test_mase'].mean():.3f}, "
    f"RMSE {-scores['test_rmse'].mean():.1f}, "
    f"80% coverage {scores['test_cov80'].mean():.2f}"
)
print(
    f"seasonal naive  MASE {-naive['test_mase'].mean():.3f}, "
    f"RMSE {-naive['test_rmse'].mean():.1f}"
)

# %%
# Search the window and the multi-step strategy on the same folds.
search = GridSearchCV(
    model,
    {"window": [13, 24], "strategy": ["direct", "recursive"]},
    cv=cv,
    scoring=rmse_scorer(),
)
search.fit(train)
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
):
    print(params, f"RMSE {-score:.1f}")
print("best:", search.best_params_)

# %%
# The last year: fit on the rest, forecast 12 months with intervals. The
# training months give only 15 held-out windows, so the 80% and the 95%
# bands are both the range of their errors (the conformal ranks of both
# levels pass the 15th error); a longer series separates them.
model.fit(train)
point = model.predict()
band80 = model.predict_interval(coverage=0.8)
band95 = model.predict_interval(coverage=0.95)
rmse = float(np.sqrt(np.mean((point - test) ** 2)))
naive_rmse = float(np.sqrt(np.mean((train[-12:] - test) ** 2)))
print(
    f"\ntest RMSE (passengers, last 12 months): RNNForecaster {rmse:.1f}, "
    f"seasonal naive {naive_rmse:.1f}"
)

months = np.arange(len(passengers))
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(months, passengers, color="black", label="passengers")
ax.fill_between(months[-12:], band95[:, 0], band95[:, 1], alpha=0.2, label="95%")
ax.fill_between(months[-12:], band80[:, 0], band80[:, 1], alpha=0.3, label="80%")
ax.plot(months[-12:], point, label="forecast")
ax.set_xlabel("month since Jan 1949")
ax.set_ylabel("passengers (thousands)")
ax.legend()
fig.tight_layout()
print(f"\nran in {time.perf_counter() - start:.0f} s")
# SKSEQUENCE_EXAMPLE_FIGURES names a folder to save the figure to; the user
# guide's copy (docs/_static) comes from a full-size run.
if os.environ.get("SKSEQUENCE_EXAMPLE_FIGURES"):
    folder = Path(os.environ["SKSEQUENCE_EXAMPLE_FIGURES"])
    fig.savefig(folder / "airline_forecast.png", dpi=100)
plt.show()
