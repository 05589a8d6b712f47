"""Split-conformal calibration of forecasts on the latest training windows.

The forecaster holds out the time-ordered tail of its training windows (the
early-stopping tail of its regressor, or one of the same size that it keeps
from training itself), forecasts the ``horizon`` steps after each of those
origins exactly as :meth:`~sksequence.RNNForecaster.predict` would, and
keeps the errors in scaled units. The central intervals of quantile levels
are widened per forecast step until they cover their level on those errors
(conformalized quantile regression, Romano et al., 2019, widening only); a
point forecaster's intervals are the
point forecast plus the matching quantiles of the errors (split conformal).
See docs/design.md, "Forecast intervals are calibrated".
"""

import numpy as np

__all__ = ["conformal_quantile", "held_out_tail", "quantile_offsets"]

# Rollouts from at most this many calibration origins (evenly spaced): 500
# errors per step put the 2.5% and 97.5% levels 12 errors from the ends.
MAX_CALIBRATION_ORIGINS = 500


def held_out_tail(stamps, target_ends, fraction):
    """Positions of the calibration tail and the gap before it.

    Parameters
    ----------
    stamps : ndarray of shape (n_windows,)
        Forecast origin times of the windows, sorted.
    target_ends : ndarray of shape (n_windows,)
        Time of each window's last target step.
    fraction : float
        Share of windows in the tail (at least one).

    Returns
    -------
    first : int
        Position of the first tail window.
    gap : int
        Windows just before the tail whose targets reach into it: training
        on them would leak the tail's targets, so they are left out.

    Examples
    --------
    >>> import numpy as np
    >>> held_out_tail(np.arange(10), np.arange(10) + 2, 0.3)
    (7, 2)
    """
    n = len(stamps)
    n_tail = max(1, round(fraction * n))
    first = n - n_tail
    leaking = np.flatnonzero(target_ends[:first] >= stamps[first])
    gap = first - int(leaking[0]) if len(leaking) else 0
    return first, gap


def conformal_quantile(errors, level):
    """The finite-sample conformal quantile of ``errors`` along axis 0.

    Upper levels (``level >= 0.5``) take the ``ceil((n + 1) level)``-th
    smallest error, lower levels the ``floor((n + 1) level)``-th, so that a
    new exchangeable error falls below (above) it with probability at least
    ``level`` (``1 - level``); beyond the sample they take its extremes.

    Parameters
    ----------
    errors : ndarray of shape (n, ...)
    level : float in (0, 1)

    Returns
    -------
    ndarray of shape errors.shape[1:]

    Examples
    --------
    >>> import numpy as np
    >>> errors = np.arange(1.0, 20.0)  # 19 errors
    >>> float(conformal_quantile(errors, 0.9)), float(conformal_quantile(errors, 0.1))
    (18.0, 2.0)
    """
    errors = np.sort(np.asarray(errors, dtype=np.float64), axis=0)
    n = errors.shape[0]
    if level >= 0.5:
        rank = int(np.ceil((n + 1) * level - 1e-9))
    else:
        # 1e-9: (1 - 0.8) / 2 is 0.0999..., whose floor would lose a rank.
        rank = int(np.floor((n + 1) * level + 1e-9))
    return errors[min(max(rank, 1), n) - 1]


def quantile_offsets(errors, levels):
    """Per-step shifts of trained quantile levels (conformalized quantile regression).

    Each pair of levels ``(q, 1 - q)`` is one central interval: its score
    ``max(lower - y, y - upper)`` has the conformal quantile ``Q`` at level
    ``1 - 2q``, and the interval becomes ``[lower - Q, upper + Q]`` when it
    covered too little there (``Q > 0``; Romano et al., 2019). Calibration
    only widens: a network's bands vary in width from origin to origin far
    more than their errors do on small data (the airline backtest: 80% bands
    57-85 wide at the calibration origins, 26 at the forecast origin), so
    narrowing every band by the same amount turned over-wide bands into far
    too narrow ones. A level without its mirror is moved outwards one-sided
    (:func:`conformal_quantile` of its errors); the median is not shifted,
    so calibration never moves a point forecast.

    Parameters
    ----------
    errors : ndarray of shape (n, horizon, n_levels)
        ``y - forecast`` of every level, in scaled units.
    levels : ndarray of shape (n_levels,)
        The levels, in increasing order.

    Returns
    -------
    ndarray of shape (horizon, n_levels)

    Examples
    --------
    >>> import numpy as np
    >>> # 19 origins, 1 step; the 0.1 and 0.9 levels miss by 1 on every side.
    >>> y = np.zeros((19, 1))
    >>> forecasts = np.stack([y + 1, y, y - 1], axis=-1)  # too narrow: swapped
    >>> quantile_offsets(y[..., None] - forecasts, np.array([0.1, 0.5, 0.9]))
    array([[-1.,  0.,  1.]])
    """
    levels = np.asarray(levels, dtype=np.float64)
    offsets = np.zeros(errors.shape[1:])
    for k, level in enumerate(levels):
        mirror = np.flatnonzero(np.isclose(levels, 1 - level))
        if np.isclose(level, 0.5):
            continue
        if not len(mirror):
            shift = conformal_quantile(errors[..., k], level)
            bound = np.maximum if level > 0.5 else np.minimum
            offsets[:, k] = bound(shift, 0.0)
        elif level < 0.5:
            upper = int(mirror[0])
            # errors are y - forecast: lower - y = -errors[lower].
            scores = np.maximum(-errors[..., k], errors[..., upper])
            widen = np.maximum(conformal_quantile(scores, 1 - 2 * level), 0.0)
            offsets[:, k], offsets[:, upper] = 0.0 - widen, widen
    return offsets


def calibration_origins(positions, lengths, horizon):
    """The (series, origin) pairs of the tail whose ``horizon`` steps exist.

    Evenly thinned to at most :data:`MAX_CALIBRATION_ORIGINS`.
    """
    complete = positions[:, 1] + horizon <= lengths[positions[:, 0]]
    positions = positions[complete]
    if len(positions) > MAX_CALIBRATION_ORIGINS:
        keep = np.linspace(0, len(positions) - 1, MAX_CALIBRATION_ORIGINS)
        positions = positions[np.round(keep).astype(int)]
    return positions
