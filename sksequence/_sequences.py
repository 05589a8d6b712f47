"""Turn user input into one post-padded array plus true lengths.

Every input form of docs/design.md ("Data conventions") ends up here as a
:class:`Sequences`: values padded *after* each sequence's valid part (zeros),
and the number of valid steps per sequence. The torch module only ever sees
this canonical form, which is what makes padding exact: a
sequence's valid steps never depend on its padding.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_array

__all__ = ["MAX_TOKEN_ID", "Sequences", "check_sequences", "from_sktime"]

#: Largest token id accepted. Ids are vocabulary indices, i.e. rows of an
#: embedding: the estimators infer ``vocab_size = largest id + 1`` and allocate
#: that many rows, so a large id is a large table, not a large value. With
#: ``2**31 - 2``, ``vocab_size`` fits in int32 (the id type of common tokenizers
#: and embedding kernels) while staying about 1000x above real vocabularies;
#: beyond it an embedding needs over 8 GiB per dimension, and the ids are
#: almost always hashes or numeric data mistaken for ids.
MAX_TOKEN_ID = 2**31 - 2

_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Sequences:
    """A batch of sequences in canonical form.

    Attributes
    ----------
    values : ndarray
        ``(n_samples, max_len, n_features)`` float32 for numeric sequences or
        ``(n_samples, max_len)`` int64 for token ids, padded with zeros after
        each sequence's valid part.
    lengths : ndarray of shape (n_samples,)
        Number of valid time steps of each sequence (int64, at least 1).
    static : ndarray of shape (n_samples, n_static) or None
        Static (time-invariant) features of each sequence, float32, from the
        table form of ``X`` (see :mod:`sksequence._static`).
    """

    values: np.ndarray
    lengths: np.ndarray
    static: np.ndarray | None = None

    @property
    def is_tokens(self):
        return self.values.ndim == 2

    @property
    def n_features(self):
        return 1 if self.is_tokens else self.values.shape[2]

    def __len__(self):
        return self.values.shape[0]


def check_sequences(X, *, name="Estimator"):
    """Validate ``X`` and convert it to :class:`Sequences`.

    Parameters
    ----------
    X : array-like, DataFrame or list of array-like
        ``(n, t, f)`` floats, ``(n, t)`` floats (univariate), ``(n, t)``
        integers (token ids, 0 = padding), a list of arrays of shape
        ``(t_i,)`` or ``(t_i, f)``, or a NaN-padded float array.
    name : str
        Estimator name used in error messages.

    Returns
    -------
    Sequences

    Examples
    --------
    >>> import numpy as np
    >>> seqs = check_sequences([np.ones((3, 2)), np.ones((5, 2))])
    >>> seqs.values.shape, seqs.lengths.tolist()
    ((2, 5, 2), [3, 5])
    >>> check_sequences(np.array([[0, 0, 4, 2], [3, 0, 0, 0]])).lengths.tolist()
    [2, 1]
    """
    if _is_ragged(X):
        return _from_ragged(X, name)
    array = _check_dense(X, name)
    if np.issubdtype(array.dtype, np.integer) and array.ndim == 2:
        return _from_tokens(array, name)
    array = _to_float32(array, name)
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    return _from_nan_padded(array, name)


def from_sktime(X):
    """Convert sktime/aeon's ``(n, channels, time)`` layout to ``(n, time, channels)``.

    sksequence never guesses the layout: call this explicitly on data that
    follows the channels-first convention.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_channels, n_timesteps)

    Returns
    -------
    ndarray of shape (n_samples, n_timesteps, n_channels)
        A transposed view (no copy).

    Examples
    --------
    >>> import numpy as np
    >>> from_sktime(np.zeros((4, 12, 29))).shape
    (4, 29, 12)
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            f"from_sktime expects a 3-D array (n_samples, n_channels, n_timesteps), "
            f"got an array of shape {X.shape}."
        )
    return X.transpose(0, 2, 1)


def _is_ragged(X):
    if isinstance(X, (list, tuple)):
        # A list holding any sequence is a list of sequences: its other items
        # (None, scalars) are then reported one by one by _check_ragged_item.
        return not X or any(_is_sequence_like(x) for x in X)
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        return True
    # A pandas Series whose cells are arrays: one sequence per row.
    return type(X).__name__ == "Series" and X.dtype == object


def _is_sequence_like(x):
    if isinstance(x, np.generic):  # numpy scalars have __array__ too
        return False
    return isinstance(x, (list, tuple, np.ndarray)) or hasattr(x, "__array__")


def _check_dense(X, name):
    try:
        array = check_array(
            X,
            accept_sparse=False,
            dtype="numeric",
            ensure_all_finite=False,
            allow_nd=True,
            ensure_2d=True,
            input_name="X",
            estimator=name,
        )
    except (TypeError, ValueError) as exc:
        if "Expected 2D array" in str(exc):
            _raise_if_text(X, name)
            raise ValueError(
                f"{name} expects sequences: a 2-D array (n_samples, n_timesteps), a "
                f"3-D array (n_samples, n_timesteps, n_features) or a list of "
                f"arrays, but got a 1-D array of shape {np.shape(X)}. Reshape your "
                "data: X.reshape(1, -1) if it is one sequence, X.reshape(-1, 1) if "
                "every sample is a single time step."
            ) from None
        _raise_if_not_numbers(X, name)
        raise
    if array.ndim > 3:
        raise ValueError(
            f"{name} expects at most 3 dimensions (n_samples, n_timesteps, "
            f"n_features), got an array of shape {array.shape}. Flatten the extra "
            "dimensions into features: X.reshape(len(X), X.shape[1], -1)."
        )
    if array.ndim == 3 and 0 in array.shape[1:]:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum "
            f"of 1 is required by {name}: every sequence needs at least one time "
            "step with at least one feature."
        )
    if array.dtype == bool:
        array = array.astype(np.float32)
    return array


# -- non-numeric values (on the error path only) ------------------------------

# Elements converted at a time when searching for a non-number: only the chunk
# holding the first failure is then searched element by element.
_CHUNK_ITEMS = 4096


def _raise_if_not_numbers(X, name):
    """Name the first value of a dense ``X`` that is not a number, if any."""
    if hasattr(X, "iloc") and hasattr(X, "dtypes") and getattr(X, "ndim", 0) == 2:
        for step, (column, dtype) in enumerate(X.dtypes.items()):
            if getattr(dtype, "kind", "O") in "biuf":
                continue
            found = _first_non_number(X.iloc[:, step].to_numpy(dtype=object))
            if found is not None:
                row, value, exc = found
                where = (
                    f"X column {column!r} (time step {step}) holds {_short(value)} "
                    f"in row {row}"
                )
                _raise_not_a_number(name, where, exc)
        return
    try:
        array = np.asarray(X)
    except (TypeError, ValueError):
        return  # not even a regular array: check_array's message stands
    if array.dtype.kind not in "OSU" or array.ndim == 0:
        return
    found = _first_non_number(array)
    if found is not None:
        index, value, exc = found
        position = np.unravel_index(index, array.shape)
        indices = ", ".join(str(int(i)) for i in position)
        where = f"X[{indices}] ({_describe(position)}) is {_short(value)}"
        _raise_not_a_number(name, where, exc)
    if array.dtype.kind in "SU":
        raise ValueError(
            f"{name} expects numeric sequences, but X has dtype {array.dtype}: "
            f"numbers stored as strings (e.g. {_short(array.flat[0])}). "
            "Convert them first: np.asarray(X, dtype=float)."
        )


def _raise_if_text(X, name):
    """A 1-D X of strings is most likely documents: point to TextTokenizer."""
    try:
        array = np.asarray(X)
    except (TypeError, ValueError):
        return
    first = array.flat[0] if array.size else None
    if array.dtype.kind in "SU" or isinstance(first, (str, bytes)):
        raise ValueError(
            f"{name} expects numeric sequences, but X is a 1-D array of strings "
            f"(e.g. {_short(first)}), "
            "such as text documents. Turn documents into token-id sequences "
            "first: make_pipeline(sksequence.TextTokenizer(), estimator)."
        )


def _first_non_number(values):
    """``(flat index, value, error)`` of the first element that is no float, or None.

    ``values`` is an object, str or bytes array; numpy converts it chunk by
    chunk, and only a failing chunk is searched one element at a time.
    """
    flat = values.reshape(-1)
    cell = np.empty(1, dtype=object)
    for start in range(0, flat.size, _CHUNK_ITEMS):
        chunk = flat[start : start + _CHUNK_ITEMS]
        try:
            chunk.astype(np.float64)
            continue
        except (ArithmeticError, TypeError, ValueError):
            pass
        for offset, value in enumerate(chunk):
            cell[0] = value.item() if isinstance(value, np.generic) else value
            try:
                cell.astype(np.float64)
            except ArithmeticError:  # a number, if too large for float64
                continue
            except (TypeError, ValueError) as exc:
                return start + offset, cell[0], exc
    return None


def _raise_not_a_number(name, where, exc):
    # Strings fail float() with ValueError, other objects with TypeError (whose
    # text, e.g. "float() argument must be a string or a real number, not
    # 'dict'", names the type); keep that class, as scikit-learn does.
    detail = f" ({exc})" if isinstance(exc, TypeError) else ""
    raise type(exc)(
        f"{name} expects numeric sequences, but {where}, which is not a "
        f"number{detail}. Convert text to token ids with sksequence.TextTokenizer, "
        "or encode categories as numbers (e.g. with "
        "sklearn.preprocessing.OrdinalEncoder) before fitting."
    ) from None


def _short(value, width=40):
    """``repr`` of a value, numpy scalars as Python ones, cut to ``width``."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _describe(position, axes=("sequence", "time step", "feature")):
    """'sequence 1, time step 2, feature 0' for an index into (n, t, f)."""
    named = zip(axes[: len(position)], position, strict=True)
    return ", ".join(f"{axis} {int(i)}" for axis, i in named)


# -- float32 range -------------------------------------------------------------


def _to_float32(array, name):
    """Cast to float32, refusing finite values that the cast would make inf."""
    try:
        with np.errstate(over="raise"):
            return array.astype(np.float32, copy=False)
    except FloatingPointError:
        _raise_too_large(array, name)
        raise  # pragma: no cover (_raise_too_large always raises here)


def _raise_too_large(array, name, prefix=()):
    """Report the first finite value of ``array`` beyond float32's range.

    ``prefix`` is the index of ``array`` itself (one sequence of a list).
    """
    too_large = np.isfinite(array) & (np.abs(array) > _FLOAT32_MAX)
    if not too_large.any():
        return
    position = tuple(np.argwhere(too_large)[0])
    value = array[position]
    exponent = int(np.floor(np.log10(np.abs(value))))
    raise ValueError(
        f"{name} computes in float32, but X holds {value:.6g} at "
        f"{_describe(prefix + position)}, beyond float32's range (magnitudes up "
        f"to {_FLOAT32_MAX:.4g}), where it would become inf. Rescale X before "
        f"fitting, e.g. divide it by a constant such as 1e{exponent}."
    )


# -- token ids -----------------------------------------------------------------


def _from_tokens(array, name):
    if array.size and array.min() < 0:
        row, step = np.argwhere(array < 0)[0]
        raise ValueError(
            f"Token ids must be >= 0 (0 is padding, 1 is the unknown token), but "
            f"X[{row}, {step}] = {array[row, step]}. If X holds numeric values "
            "rather than token ids, pass it as floats: X.astype(float)."
        )
    # Checked in the input's own dtype: uint64 ids above int64's range would
    # wrap negative in the int64 cast below.
    if array.size and array.max() > MAX_TOKEN_ID:
        row, step = np.argwhere(array > MAX_TOKEN_ID)[0]
        _raise_id_too_large(name, f"X[{row}, {step}]", array[row, step])
    lengths, post_padded, pre_padded = _token_layout(array)
    # A row with no tokens (an empty document) is read as one padding step:
    # the model's answer to "no evidence", as Keras gives for a masked row.
    lengths = np.maximum(lengths, 1)
    if post_padded:
        # A view, no copy.
        return Sequences(
            array[:, : lengths.max()].astype(np.int64, copy=False), lengths
        )
    return Sequences(_compact_tokens(array, lengths, pre_padded), lengths)


# Rows examined or rearranged at a time: bounds the temporaries (masks, sort
# order, gathered rows) to a few MB, so the result is the only full-size copy.
_CHUNK_ROWS = 1024


def _row_chunks(n_rows):
    return (slice(i, i + _CHUNK_ROWS) for i in range(0, n_rows, _CHUNK_ROWS))


def _token_layout(array):
    """Tokens per row, and whether every row is post- / pre-padded."""
    lengths = np.empty(len(array), dtype=np.int64)
    post_padded = pre_padded = True
    for rows in _row_chunks(len(array)):
        is_token = array[rows] != 0
        lengths[rows] = is_token.sum(axis=1)
        post_padded &= bool(np.all(is_token[:, 1:] <= is_token[:, :-1]))
        pre_padded &= bool(np.all(is_token[:, :-1] <= is_token[:, 1:]))
    return lengths, post_padded, pre_padded


def _raise_id_too_large(name, where, value):
    raise ValueError(
        f"Token ids must be at most MAX_TOKEN_ID = {MAX_TOKEN_ID} (2**31 - 2), but "
        f"{where} = {value}. Ids are vocabulary indices: {name} allocates one "
        "embedding row per id up to the largest (vocab_size = largest id + 1), so "
        "they cannot be hashes or raw values. Re-index the tokens: encode the raw "
        "text with sksequence.TextTokenizer, or map the ids to 0..n-1 with "
        "np.unique(X, return_inverse=True) (0, the padding id, stays 0 when X "
        "contains it). If X holds numeric values rather than token ids, pass it "
        "as floats: X.astype(float)."
    )


def _compact_tokens(array, lengths, pre_padded):
    """Move each row's tokens to its front, in order (post-padding).

    Keras' mask_zero semantics: a 0 anywhere is skipped. Pre-padded rows
    (every 0 before every token) are shifted left; otherwise a stable sort on
    "is padding" moves the tokens to the front, keeping their order.
    """
    width = int(lengths.max())
    values = np.empty((len(array), width), dtype=np.int64)
    steps = np.arange(width)
    for rows in _row_chunks(len(array)):
        if pre_padded:
            index = (array.shape[1] - lengths[rows])[:, None] + steps
            np.minimum(index, array.shape[1] - 1, out=index)
            chunk = np.take_along_axis(array[rows], index, axis=1)
            chunk[steps >= lengths[rows][:, None]] = 0
        else:
            order = np.argsort(array[rows] == 0, axis=1, kind="stable")
            chunk = np.take_along_axis(array[rows], order[:, :width], axis=1)
        values[rows] = chunk
    return values


def _from_nan_padded(array, name):
    if np.isinf(array).any():
        row, step = np.argwhere(np.isinf(array).any(axis=2))[0]
        raise ValueError(
            f"{name} does not accept inf: sequence {row} has an infinite value at "
            f"time step {step}. Replace or clip infinite values before fitting."
        )
    nan = np.isnan(array)
    if not nan.any():
        lengths = np.full(array.shape[0], array.shape[1], dtype=np.int64)
        return Sequences(np.ascontiguousarray(array), lengths)
    padding = nan.all(axis=2)
    _check_nan_only_in_padding(nan, padding, name)
    valid = ~padding
    lengths = valid.sum(axis=1)
    _check_not_empty(lengths, name, "only all-NaN padding steps")
    start = valid.argmax(axis=1)
    end = array.shape[1] - valid[:, ::-1].argmax(axis=1)
    if np.any(end - start != lengths):
        row = int(np.flatnonzero(end - start != lengths)[0])
        raise ValueError(
            f"Sequence {row} has all-NaN time steps between valid ones. NaN marks "
            "padding and is only allowed before or after a sequence's valid part; "
            "fill or interpolate missing values inside a sequence."
        )
    # Shift every sequence to start at step 0 (pre-padding becomes post-padding).
    steps = start[:, None] + np.arange(lengths.max())
    steps = np.minimum(steps, array.shape[1] - 1)
    values = np.take_along_axis(array, steps[:, :, None], axis=1)
    values[np.arange(lengths.max()) >= lengths[:, None]] = 0.0
    return Sequences(values, lengths.astype(np.int64))


def _check_nan_only_in_padding(nan, padding, name):
    partial = nan.any(axis=2) & ~padding
    if partial.any():
        row, step = np.argwhere(partial)[0]
        raise ValueError(
            f"{name} found NaN in sequence {row} at time step {step} alongside "
            "finite values. NaN is only allowed as padding, where every feature "
            "of a time step is NaN; impute missing values before fitting (e.g. "
            "with forward fill)."
        )


def _check_not_empty(lengths, name, what):
    if np.any(lengths == 0):
        row = int(np.flatnonzero(lengths == 0)[0])
        raise ValueError(
            f"Sequence {row} is empty: it contains {what}. {name} needs at least "
            "one time step per sequence; drop empty sequences before fitting."
        )


def _from_ragged(X, name):
    items = [_check_ragged_item(x, i, name) for i, x in enumerate(X)]
    if len(items) == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is "
            f"required by {name}."
        )
    lengths = np.array([len(x) for x in items], dtype=np.int64)
    _check_not_empty(lengths, name, "no time steps")
    if all(np.issubdtype(x.dtype, np.integer) and x.ndim == 1 for x in items):
        values = np.zeros((len(items), lengths.max()), dtype=np.int64)
        for row, x in enumerate(items):
            # uint64 ids above int64's range would wrap negative here; larger
            # int64 ids are found by _from_tokens, at the same positions.
            if x.dtype == np.uint64 and x.max() > MAX_TOKEN_ID:
                step = int(np.argmax(x > MAX_TOKEN_ID))
                _raise_id_too_large(name, f"X[{row}, {step}]", x[step])
            values[row, : len(x)] = x
        return _from_tokens(values, name)
    items = [x.reshape(-1, 1) if x.ndim == 1 else x for x in items]
    n_features = {x.shape[1] for x in items}
    if len(n_features) > 1:
        raise ValueError(
            f"All sequences must have the same number of features per time step, "
            f"got {sorted(n_features)}. Sequence 0 has {items[0].shape[1]}."
        )
    values = np.full(
        (len(items), lengths.max(), n_features.pop()), np.nan, dtype=np.float32
    )
    try:
        with np.errstate(over="raise"):
            for row, x in enumerate(items):
                values[row, : len(x)] = x
    except FloatingPointError:
        _raise_too_large(items[row], name, prefix=(row,))
        raise  # pragma: no cover (_raise_too_large always raises here)
    return _from_nan_padded(values, name)


def _check_ragged_item(x, index, name):
    if x is None:
        raise ValueError(
            f"Sequence {index} is None; {name} expects every item of X to be a "
            "sequence: an array of shape (n_timesteps,) or (n_timesteps, "
            "n_features). Drop missing sequences, and their targets, first."
        )
    try:
        item = np.asarray(x)
    except ValueError as exc:
        raise ValueError(f"Sequence {index} is not a regular array: {exc}") from None
    if item.dtype == object or not (
        np.issubdtype(item.dtype, np.number) or item.dtype == bool
    ):
        found = _first_non_number(item) if item.ndim else None
        if found is not None:
            position = np.unravel_index(found[0], item.shape)
            steps = _describe(position, axes=("time step", "feature"))
            at = f" ({steps} is {_short(found[1])})"
        else:
            at = ""
        raise TypeError(
            f"Sequence {index} has dtype {item.dtype}{at}; {name} expects "
            "numeric sequences (floats, or integer token ids). Convert text to "
            "token ids with sksequence.TextTokenizer, or encode categories as "
            "numbers first."
        )
    if np.iscomplexobj(item):
        raise ValueError("Complex data not supported.")
    if item.ndim == 0:
        raise ValueError(
            f"Sequence {index} is a scalar ({_short(x)}), but X mixes it with "
            f"sequences; {name} expects every item of X to be an array of shape "
            "(n_timesteps,) or (n_timesteps, n_features). Wrap a one-step "
            f"sequence in a list: [{_short(x)}]."
        )
    if item.ndim not in (1, 2):
        raise ValueError(
            f"Sequence {index} has shape {item.shape}; each sequence must be 1-D "
            "(n_timesteps,) or 2-D (n_timesteps, n_features)."
        )
    return item.astype(np.float32) if item.dtype == bool else item
