"""Loader for the bundled JapaneseVowels speaker-recognition data."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_DESCR = """\
JapaneseVowels (UCI Machine Learning Repository, CC BY 4.0)
==========================================================

Nine male speakers uttered the Japanese vowels /ae/ in succession. Each
utterance is a variable-length sequence (7 to 29 frames) of 12 LPC cepstrum
coefficients. The task is to identify the speaker (labels "1" to "9").

Official split: 270 training utterances (30 per speaker), 370 test
utterances (24 to 88 per speaker).

Source: M. Kudo, J. Toyama and M. Shimbo (1999). "Multidimensional curve
classification using passing-through regions". Pattern Recognition Letters,
20(11-13), 1103-1111. Data from the UCI repository
(https://archive.ics.uci.edu/dataset/128/japanese+vowels), licensed under
CC BY 4.0, converted from the ``.ts`` files distributed with ``aeon`` 1.6.0.
"""


def load_japanese_vowels(*, split="train", return_X_y=False):
    """Load the JapaneseVowels speaker data (variable-length, 12 channels).

    The data ship inside the package (about 470 kB, gzip-compressed CSV), so
    loading needs no network.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        Which part of the official split to load.
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: list of float32 arrays of shape ``(n_steps_i, 12)``;
        ``target``: array of speaker labels (strings ``"1"`` to ``"9"``);
        ``feature_names``: the 12 channel names; ``DESCR``: description.
    (X, y) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from sksequence.datasets import load_japanese_vowels
    >>> X, y = load_japanese_vowels(split="train", return_X_y=True)
    >>> len(X), X[0].shape, str(y[0])
    (270, (20, 12), '1')
    >>> sorted({len(x) for x in X})[:3]
    [7, 9, 10]
    """
    if split not in ("train", "test"):
        raise ValueError(
            f"split must be 'train' or 'test', got {split!r}. "
            "JapaneseVowels ships with its official train/test split only."
        )
    frame = _read_frame()
    part = frame[frame["split"] == split]
    channels = [c for c in frame.columns if c.startswith("lpc")]
    values = part[channels].to_numpy(dtype=np.float32)
    # Rows are sorted by (series, step): cut the value block at series changes.
    series = part["series"].to_numpy()
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    X = np.split(values, starts[1:])
    y = part["speaker"].to_numpy()[starts].astype(str)
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, feature_names=channels, DESCR=_DESCR)


def _read_frame():
    path = resources.files("sksequence.datasets") / "data" / "japanese_vowels.csv.gz"
    with resources.as_file(path) as file:
        return pd.read_csv(file, dtype={"split": str, "speaker": str})
