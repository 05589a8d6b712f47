"""
LSTM vs GRU vs SimpleRNN on a real task
=======================================

Which cell should one use? This example compares the three on the bundled
JapaneseVowels data (identify one of nine speakers from a 7 to 29 frame
recording of 12 cepstrum coefficients) with an ordinary
:class:`~sklearn.model_selection.GridSearchCV`: ``cell`` and ``hidden_size``
are plain hyperparameters, and ``cv_results_`` already records the fit time
of every candidate next to its score.

Two claims are worth checking on your own hardware rather than taking on
trust: "the GRU is cheaper" (it has three gate blocks to the LSTM's four, so
75% of the recurrent parameters, but it is not necessarily faster: on CPU
only the LSTM has a fused oneDNN kernel) and "the LSTM is more accurate".
"""

# %%
# Data and model
# --------------
# Utterances are independent, so a shuffled stratified split is fine here (for
# forecasting, use ``TimeSeriesSplit``). Standardising the 12 channels matters
# a lot for recurrent nets; :class:`~sksequence.preprocessing.SequenceScaler`
# does it over all valid time steps, inside the pipeline so each CV fold
# learns its own scaling.
import os
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from sksequence import RNNClassifier
from sksequence.datasets import load_japanese_vowels
from sksequence.diagnostics import count_parameters
from sksequence.preprocessing import SequenceScaler

torch.set_num_threads(1)
start = time.perf_counter()

# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: fewer epochs.
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
MAX_EPOCHS = 10 if SMALL else 30
print(f"size: {'small' if SMALL else 'full'} ({MAX_EPOCHS} epochs; full size: 30)")

X_train, y_train = load_japanese_vowels(split="train", return_X_y=True)
X_test, y_test = load_japanese_vowels(split="test", return_X_y=True)

pipe = Pipeline(
    [
        ("scale", SequenceScaler()),
        ("rnn", RNNClassifier(max_epochs=MAX_EPOCHS, lr=0.01, random_state=0)),
    ]
)

# %%
# Grid search over cell and size
# ------------------------------
# The first fit of each cell pays one-off costs (kernel setup, lazy imports);
# a one-epoch warm-up keeps them out of the timings.
for cell in ("rnn", "lstm", "gru"):
    clone(pipe).set_params(rnn__cell=cell, rnn__max_epochs=1).fit(X_train, y_train)

grid = GridSearchCV(
    pipe,
    {"rnn__cell": ["rnn", "lstm", "gru"], "rnn__hidden_size": [16, 64]},
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=1,  # one process: the fit times below are comparable
)
grid.fit(X_train, y_train)

# %%
# ``cv_results_`` has the scores and fit times; the parameter count comes
# from :func:`~sksequence.diagnostics.count_parameters` on the unfitted
# candidate (12 input features, 9 classes).
results = pd.DataFrame(grid.cv_results_)
X_scaled = SequenceScaler().fit_transform(X_train)
results["n_params"] = [
    count_parameters(
        clone(pipe["rnn"]).set_params(
            cell=p["rnn__cell"], hidden_size=p["rnn__hidden_size"]
        ),
        X_scaled,
        y_train,
    )
    for p in results["params"]
]
table = results.rename(
    columns={
        "param_rnn__cell": "cell",
        "param_rnn__hidden_size": "hidden",
        "mean_test_score": "cv_accuracy",
        "std_test_score": "cv_std",
        "mean_fit_time": "fit_s",
    }
)[["cell", "hidden", "n_params", "cv_accuracy", "cv_std", "fit_s"]]
pd.set_option("display.precision", 3)
print(table.sort_values(["hidden", "cell"]).to_string(index=False))

# %%
# Time per parameter: at equal ``hidden_size`` the GRU has 75% of the LSTM's
# recurrent weights; the ratio of fit times says whether that makes it
# faster on this machine.
fit_time = table.set_index(["cell", "hidden"])["fit_s"]
for hidden in (16, 64):
    ratio = fit_time["gru", hidden] / fit_time["lstm", hidden]
    print(f"hidden_size={hidden}: GRU fit time / LSTM fit time = {ratio:.2f}")

# %%
# Test accuracy on the official test split
# ----------------------------------------
# The best size of each cell, refitted on all 270 training utterances and
# scored on the 370 test utterances.
best = table.loc[table.groupby("cell")["cv_accuracy"].idxmax()]
refits = {}
print(f"\n{'cell':<6}{'hidden':>7}{'test accuracy':>15}{'fit s':>7}")
for cell, hidden in zip(best["cell"], best["hidden"], strict=True):
    model = clone(pipe).set_params(rnn__cell=cell, rnn__hidden_size=hidden)
    tic = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - tic
    refits[cell] = model
    print(f"{cell:<6}{hidden:>7}{model.score(X_test, y_test):>15.3f}{seconds:>7.1f}")

print(f"\nran in {time.perf_counter() - start:.1f} s")

# %%
# On this small data set all three cells do well: sequences of at most 29
# steps are short enough for even a SimpleRNN's gradient to reach the first
# frame (see the vanishing-gradients example), so the gates' advantage is
# small, and the differences between runs are of the order of the CV spread.
# Measure before choosing, on your data and your hardware.
#
# Plots
# -----
# Left: CV accuracy against fit time for every candidate. Right: the
# learning curves of the refitted models (``history_`` records the train
# score per epoch without any extra pass over the data).
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for cell, rows in table.groupby("cell"):
    left.errorbar(
        rows["fit_s"], rows["cv_accuracy"], yerr=rows["cv_std"], fmt="o", label=cell
    )
    for _, row in rows.iterrows():
        left.annotate(f"  h={row['hidden']}", (row["fit_s"], row["cv_accuracy"]))
left.set_xlabel("mean fit time (s)")
left.set_ylabel("CV accuracy")
left.legend(loc="lower right")
for cell, model in refits.items():
    history = model["rnn"].history_
    right.plot(history[:, "epoch"], history[:, "train_score"], label=cell)
right.set_xlabel("epoch")
right.set_ylabel("train accuracy (running, per epoch)")
right.legend()
plt.show()
