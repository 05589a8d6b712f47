"""Regenerate the figures in docs/_static and the outputs quoted in the user guide.

Not run by the docs build (it trains small networks): run it by hand after a
change that affects the quoted numbers, and paste what it prints into the pages
(the code blocks of the pages run the same code; the test suite runs them)::

    python docs/_scripts/make_figures.py

``airline_forecast.png`` and ``sunspots_forecast.png`` (the one-step forecasts
of the windowing page) are not drawn here: they come from the one-step
versions of the forecasting examples (see docs/conf.py).

Everything runs on one CPU thread with fixed seeds, so the printed values are
reproducible on the same versions (timings, of course, vary by machine).
"""

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline

from sksequence import RNNClassifier, RNNRegressor
from sksequence.datasets import load_airline, load_japanese_vowels
from sksequence.diagnostics import (
    count_parameters,
    gradient_flow,
    plot_gradient_flow,
    plot_gradient_norms,
    plot_history,
)
from sksequence.model_selection import WithHistory
from sksequence.preprocessing import SequenceScaler
from sksequence.text import TextTokenizer
from sksequence.windowing import SlidingWindow, make_windows

STATIC = Path(__file__).resolve().parent.parent / "_static"


def section(title):
    print(f"\n===== {title}")


def padding():
    section("padding")
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(t, 3)).astype("float32") for t in (5, 12, 30)]
    y = rng.normal(size=3)
    for cell in ("rnn", "lstm", "gru"):
        for pooling in ("last", "mean", "max"):
            reg = RNNRegressor(
                cell=cell,
                bidirectional=True,
                num_layers=2,
                pooling=pooling,
                hidden_size=8,
                max_epochs=3,
                random_state=0,
            ).fit(X, y)
            batch = reg.predict(X)
            alone = np.array([reg.predict([x])[0] for x in X])
            print(
                cell,
                pooling,
                f"max |batch - alone| = {np.abs(batch - alone).max():.1e}",
            )


def flows():
    section("gradient flow (200 steps, hidden 32, 64 sequences of 4 features)")
    X = np.random.default_rng(0).normal(size=(64, 200, 4))
    configs = {
        "SimpleRNN, PyTorch init": ("rnn", "pytorch"),
        "LSTM, PyTorch init": ("lstm", "pytorch"),
        "GRU, PyTorch init": ("gru", "pytorch"),
        "SimpleRNN, Keras init": ("rnn", "keras"),
        "GRU, Keras init": ("gru", "keras"),
        "LSTM, Keras init (forget bias 1)": ("lstm", "keras"),
    }
    results = {}
    for label, (cell, init) in configs.items():
        est = RNNRegressor(cell=cell, init=init, hidden_size=32, random_state=0)
        results[label] = gradient_flow(est, X)
        ratio = results[label][0] / results[label][-1]
        print(f"| {label} | {ratio:.1e} | {count_parameters(est, X)} |")
    ax = plot_gradient_flow(results)
    ax.set_title("Gradient reaching each input step, at initialisation")
    ax.figure.set_size_inches(7, 4)
    ax.figure.savefig(STATIC / "gradient_flow.png", dpi=100)
    plt.close(ax.figure)

    section("forget-gate bias alone (plain torch.nn.LSTM, PyTorch init otherwise)")
    for bias in (False, True):
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(4, 32, batch_first=True).double()
        if bias:
            with torch.no_grad():
                lstm.bias_ih_l0[32:64] += 1.0
        x = torch.from_numpy(X).requires_grad_()
        out, _ = lstm(x)
        out[:, -1].sum().backward()
        norms = x.grad.norm(dim=2).mean(dim=0)
        print(f"forget bias +1: {bias}  ratio {float(norms[0] / norms[-1]):.1e}")


def lstm_vs_gru():
    section("LSTM vs GRU on JapaneseVowels (hidden 64, 20 epochs)")
    X, y = load_japanese_vowels(split="train", return_X_y=True)
    Xt, yt = load_japanese_vowels(split="test", return_X_y=True)
    for cell in ("lstm", "gru", "lstm", "gru"):
        model = make_pipeline(
            SequenceScaler(),
            RNNClassifier(
                cell=cell, hidden_size=64, lr=3e-3, max_epochs=20, random_state=0
            ),
        )
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        n = count_parameters(model[-1])
        print(f"| {cell} | {n} | {seconds:.2f} | {model.score(Xt, yt):.3f} |")


def clipping():
    section("clipping: SimpleRNN, 100 steps, lr=0.02")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(256, 100, 1)).astype("float32")
    y = X[:, :10, 0].sum(axis=1)  # depends on the *first* steps
    for kwargs in ({}, {"clip_norm": 1.0}, {"clip_value": 0.05}):
        reg = RNNRegressor(
            cell="rnn", hidden_size=32, lr=0.02, max_epochs=15, random_state=0, **kwargs
        ).fit(X, y)
        last = reg.history_[-1]
        print(
            kwargs or "no clipping",
            "train_loss {:.3f}".format(last["train_loss"]),
            "grad_norm_mean {:.3f}".format(last["grad_norm_mean"]),
            "grad_norm_max {:.3f}".format(last["grad_norm_max"]),
            "clipped_fraction {:.2f}".format(last["clipped_fraction"]),
        )
        if kwargs.get("clip_norm"):
            for row in reg.history_[:3]:
                print(
                    {
                        k: round(row[k], 3)
                        for k in (
                            "epoch",
                            "train_loss",
                            "grad_norm_mean",
                            "grad_norm_max",
                            "clipped_fraction",
                        )
                    }
                )
            ax = plot_gradient_norms(reg)
            ax.set_title("SimpleRNN, clip_norm=1.0")
            ax.figure.savefig(STATIC / "gradient_norms.png", dpi=100)
            plt.close(ax.figure)


def history():
    section("history: JapaneseVowels GRU with early stopping")
    X, y = load_japanese_vowels(split="train", return_X_y=True)
    # The file is sorted by speaker: a validation *tail* would hold only the
    # last speakers. The utterances are independent, so shuffle them once.
    order = np.random.default_rng(0).permutation(len(X))
    X, y = [X[i] for i in order], y[order]
    tail = load_japanese_vowels()["target"][-54:]
    print("unshuffled validation tail speakers:", sorted(set(tail.tolist())))
    model = make_pipeline(
        SequenceScaler(),
        RNNClassifier(
            cell="gru",
            bidirectional=True,
            hidden_size=32,
            lr=1e-2,
            max_epochs=20,
            early_stopping=True,
            validation_fraction=0.2,
            random_state=0,
        ),
    ).fit(X, y)
    last = model[-1].history_[-1]
    print(
        "n_iter_", model[-1].n_iter_, "last valid_score", round(last["valid_score"], 3)
    )
    axes = plot_history(model[-1])
    axes[0].figure.savefig(STATIC / "history.png", dpi=100)
    plt.close(axes[0].figure)


def windowing():
    section("windowing")
    X, y = make_windows(np.arange(6.0), window=3)
    print(X, y, sep="\n")
    print(SlidingWindow(window=3).fit_transform(np.arange(5.0))[:, :, 0])

    section("window-length search on airline (TimeSeriesSplit)")
    series = np.log(load_airline().data)
    X, y = series[:-1], np.diff(series)  # row t predicts the next log-change
    cv = TimeSeriesSplit(n_splits=3, test_size=24)
    for k, (train, test) in enumerate(cv.split(X)):
        print(f"fold {k}: train rows 0-{train[-1]}, test rows {test[0]}-{test[-1]}")
    windows = SlidingWindow(window=12, difference=True).fit_transform(X[test])
    n_valid = (~np.isnan(windows[:, :, 0])).sum(axis=1)
    print("valid history steps, first 13 rows of the last test fold:", n_valid[:13])
    pipe = make_pipeline(
        SlidingWindow(difference=True),
        RNNRegressor(
            cell="gru", hidden_size=16, lr=1e-2, max_epochs=20, random_state=0
        ),
    )
    grid = {"slidingwindow__window": [3, 12, 24]}
    start = time.process_time()
    alone = GridSearchCV(pipe, grid, cv=cv).fit(X, y)
    print(f"search CPU time {time.process_time() - start:.1f} s")
    history = WithHistory(cv, history=24)
    search = GridSearchCV(pipe, grid, cv=history, scoring=history.scorer("r2"))
    search.fit(X, y)
    for window, score_alone, score in zip(
        alone.cv_results_["param_slidingwindow__window"],
        alone.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
        strict=True,
    ):
        print(f"| {window} | {score_alone:.3f} | {score:.3f} |")
    print("best", alone.best_params_, search.best_params_)


def tokenising():
    section("tokenising")
    docs = ["the cat sat", "the dog sat down", "a cat"]
    tok = TextTokenizer(maxlen=4).fit(docs)
    print(tok.vocabulary_, tok.vocab_size_)
    print(tok.transform(["The cat sat on the mat", "a dog"]))
    print(TextTokenizer(maxlen=4, padding="post").fit(docs).transform(["a dog"]))
    ragged = TextTokenizer(num_words=4).fit_transform(docs)
    print([ids.tolist() for ids in ragged])
    print(TextTokenizer(analyzer="char").fit(["abba"]).vocabulary_)


if __name__ == "__main__":
    torch.set_num_threads(1)
    STATIC.mkdir(exist_ok=True)
    for step in (padding, flows, lstm_vs_gru, clipping, history, windowing, tokenising):
        start = time.perf_counter()
        step()
        print(f"[{step.__name__}: {time.perf_counter() - start:.1f} s]")
