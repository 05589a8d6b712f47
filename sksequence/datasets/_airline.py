"""Loader for the bundled airline passengers series (Box & Jenkins)."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_DESCR = """\
Airline passengers (Box & Jenkins series G, public domain)
==========================================================

Monthly totals of international airline passengers, in thousands, from
January 1949 to December 1960: 144 observations of one series with an
upward trend and a yearly seasonality whose amplitude grows with the level
(multiplicative seasonality; a log transform makes it additive). The classic
benchmark for forecasting, and for showing that a model trained on raw levels
cannot extrapolate a trend.

Source: G. E. P. Box and G. M. Jenkins (1976). "Time Series Analysis:
Forecasting and Control", Holden-Day, series G. Classic textbook data in the
public domain, converted from the copy distributed (under BSD-3) with
``aeon`` 1.6.0.
"""


def load_airline(*, as_series=False):
    """Load the monthly airline passengers series (1949-1960, 144 months).

    The data ship inside the package (under 1 kB, gzip-compressed CSV), so
    loading needs no network.

    Parameters
    ----------
    as_series : bool, default=False
        If True, return a :class:`pandas.Series` named ``"Passengers"`` with a
        monthly :class:`pandas.PeriodIndex` named ``"Date"`` instead of a
        :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``: float64 array of shape ``(144,)``, passengers in thousands,
        oldest month first; ``dates``: ``datetime64[M]`` array of shape
        ``(144,)``; ``feature_names``: ``["Passengers"]``; ``DESCR``:
        description.
    series : :class:`pandas.Series`
        If ``as_series`` is True.

    See Also
    --------
    sksequence.windowing.make_windows : Cut the series into (X, y) pairs.
    sksequence.windowing.SlidingWindow : Row-preserving windows for a Pipeline.

    Examples
    --------
    >>> from sksequence.datasets._airline import load_airline
    >>> airline = load_airline()
    >>> airline.data.shape, airline.data[:3].tolist(), str(airline.dates[-1])
    ((144,), [112.0, 118.0, 132.0], '1960-12')
    >>> series = load_airline(as_series=True)
    >>> str(series.index[0]), series.name, float(series.max())
    ('1949-01', 'Passengers', 622.0)
    """
    frame = _read_frame()
    values = frame["Passengers"].to_numpy(dtype=np.float64)
    dates = frame["Date"].to_numpy(dtype="datetime64[M]")
    if as_series:
        index = pd.PeriodIndex(dates, freq="M", name="Date")
        return pd.Series(values, index=index, name="Passengers")
    return Bunch(data=values, dates=dates, feature_names=["Passengers"], DESCR=_DESCR)


def _read_frame():
    path = resources.files("sksequence.datasets") / "data" / "airline.csv.gz"
    with resources.as_file(path) as file:
        return pd.read_csv(file, dtype={"Date": str})
