"""Demo: speaker recognition on JapaneseVowels, an RNN against a simple baseline.

Run with ``python -m sksequence.demo``. Trains a bidirectional GRU on the
bundled JapaneseVowels data (270 training utterances of 7 to 29 frames, 12
channels, 9 speakers) with a progress bar and a per-epoch table, then prints
test accuracy and fit time next to a logistic-regression baseline on
resampled series. Takes well under a minute on one CPU core.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sksequence import RNNClassifier
from sksequence.datasets import load_japanese_vowels
from sksequence.preprocessing import SequenceScaler


def resample(X, n_steps=20):
    """Linearly resample every (t_i, f) series to (n_steps, f), flattened."""
    rows = []
    for series in X:
        old = np.linspace(0.0, 1.0, len(series))
        new = np.linspace(0.0, 1.0, n_steps)
        columns = [np.interp(new, old, channel) for channel in series.T]
        rows.append(np.stack(columns, axis=1).ravel())
    return np.asarray(rows)


def build_models(max_epochs, verbose):
    """The two contenders: a GRU pipeline and a resampling baseline."""
    rnn = make_pipeline(
        SequenceScaler(),
        RNNClassifier(
            cell="gru",
            bidirectional=True,
            hidden_size=64,
            lr=3e-3,
            max_epochs=max_epochs,
            random_state=0,
            verbose=verbose,
        ),
    )
    baseline = make_pipeline(
        FunctionTransformer(resample),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )
    return {
        "Bidirectional GRU (sksequence)": rnn,
        "LogisticRegression on resampled series": baseline,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=40)
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    X_train, y_train = load_japanese_vowels(split="train", return_X_y=True)
    X_test, y_test = load_japanese_vowels(split="test", return_X_y=True)
    print(
        f"JapaneseVowels: {len(X_train)} train / {len(X_test)} test utterances, "
        f"12 channels, {min(map(len, X_train))}-{max(map(len, X_train))} frames, "
        f"{len(np.unique(y_train))} speakers\n"
    )
    results = []
    for name, model in build_models(args.max_epochs, int(not args.quiet)).items():
        print(f"== {name}")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        results.append((name, model.score(X_test, y_test), seconds))
    print("\n| model | test accuracy | fit time (s) |")
    print("|---|---:|---:|")
    for name, accuracy, seconds in results:
        print(f"| {name} | {accuracy:.3f} | {seconds:.1f} |")
    return results


if __name__ == "__main__":
    main()
