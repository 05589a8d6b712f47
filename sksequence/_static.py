"""Sequences with static features: a table whose cells hold sequences.

The input form for sequences that come with time-invariant attributes (a
patient's age beside their vitals): a pandas DataFrame, or the 2-D object
array scikit-learn's tools make of one, in which

* **sequence columns** hold one array-like per cell, ``(t_i,)`` or
  ``(t_i, f)``; several sequence columns are stacked as features per time
  step (their lengths must agree row by row);
* every other column holds one number per row: a **static feature**.

Such a table passes the 2-D checks of scikit-learn's tools that accept any
dtype: splitters, ``Pipeline``, ``ColumnTransformer`` (scale or one-hot the
static columns, pass the sequence column through), ``BaggingClassifier``,
``permutation_importance`` (one importance per column).

Tools that validate ``X`` as *numeric* (``OneVsOneClassifier``,
``ClassifierChain``, ``RegressorChain``, ``SelfTrainingClassifier``) need
the **wide numeric form** instead: a float table whose ``static_columns``
(an estimator parameter: positions, or names for a DataFrame) are static
features and whose other columns are the time steps of one univariate
sequence per row (all-NaN steps after the valid ones are padding). Plain
numeric tables without ``static_columns`` keep their meaning (a batch of
univariate sequences, one column per time step).
"""

import numbers

import numpy as np

__all__ = ["split_static"]


def split_static(X, name, static_columns=None):
    """Split a table of sequences and static features into its two parts.

    Parameters
    ----------
    X : object
        Any estimator input.
    name : str
        Estimator name for error messages.
    static_columns : array-like of int or str, default=None
        For the wide numeric form: the columns of a 2-D numeric ``X`` that
        hold static features.

    Returns
    -------
    sequences : object
        ``X`` itself when it is not such a table, else a list with one
        ``(t_i, f)`` array per row.
    static : ndarray of shape (n_samples, n_static) float32, or None
    static_names : list of str or None
        Names (or positions) of the static columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"vitals": [np.ones((3, 2)), np.ones((5, 2))],
    ...                   "age": [61, 47]})
    >>> sequences, static, names = split_static(X, "RNNClassifier")
    >>> [s.shape for s in sequences], static.tolist(), names
    ([(3, 2), (5, 2)], [[61.0], [47.0]], ['age'])
    """
    if static_columns is not None:
        return _split_wide(X, name, static_columns)
    table = _as_table(X)
    if table is None:
        return X, None, None
    cells, names = table
    is_sequence = [_is_sequence_column(column) for column in cells]
    if not any(is_sequence):
        return X, None, None
    for column, (values, flag) in enumerate(zip(cells, is_sequence, strict=True)):
        if not flag and not _is_numeric(values) and any(map(_is_array_like, values)):
            raise ValueError(
                f"Column {names[column]!r} of X mixes sequences and scalars. In a "
                "table of sequences every cell of a sequence column holds an "
                "array and every cell of a static column a number."
            )
    sequence_columns = [c for c, flag in enumerate(is_sequence) if flag]
    static_columns = [c for c, flag in enumerate(is_sequence) if not flag]
    sequences = _stack_sequences([cells[c] for c in sequence_columns], names, name)
    if not static_columns:
        return sequences, None, []
    static = np.column_stack(
        [_static_column(cells[c], names[c], name) for c in static_columns]
    ).astype(np.float32)
    return sequences, static, [names[c] for c in static_columns]


def _split_wide(X, name, static_columns):
    """The wide numeric form: static columns + one univariate sequence per row."""
    columns = list(X.columns) if hasattr(X, "columns") else None
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"static_columns is set, so {name} expects X as a 2-D numeric table "
            f"(static columns plus one column per time step), got an array of "
            f"shape {array.shape}."
        )
    positions = []
    for key in np.ravel(np.asarray(static_columns, dtype=object)):
        if isinstance(key, str):
            if columns is None or key not in columns:
                raise ValueError(
                    f"static_columns names {key!r}, which is not a column of X"
                    + (f" (columns: {columns})." if columns else " (not a DataFrame).")
                )
            positions.append(columns.index(key))
        elif (
            isinstance(key, numbers.Integral)
            and -array.shape[1] <= key < array.shape[1]
        ):
            positions.append(int(key) % array.shape[1])
        else:
            raise ValueError(
                f"static_columns holds {key!r}, which is not a column position of X "
                f"(X has {array.shape[1]} columns) nor a column name."
            )
    steps = [c for c in range(array.shape[1]) if c not in set(positions)]
    if not steps:
        raise ValueError(
            f"static_columns covers every column of X, so {name} finds no time "
            "steps. Leave the sequence's steps out of static_columns."
        )
    names = [columns[c] if columns else c for c in positions]
    try:
        numeric = array.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"With static_columns, X must be numeric (the wide form); it holds "
            f"{array.dtype} values that are not numbers. Pass sequences in cells "
            "of a DataFrame instead, without static_columns."
        ) from None
    static = np.column_stack(
        [
            _static_column(numeric[:, c], n, name)
            for c, n in zip(positions, names, strict=True)
        ]
    ).astype(np.float32)
    return numeric[:, steps], static, names


def _as_table(X):
    """``(columns as lists of cells, column names)`` for a 2-D table, else None."""
    if hasattr(X, "columns") and hasattr(X, "iloc"):
        names = [str(c) if not isinstance(c, str) else c for c in X.columns]
        return [X.iloc[:, i].to_numpy() for i in range(X.shape[1])], names
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2:
        return [X[:, i] for i in range(X.shape[1])], list(range(X.shape[1]))
    return None


def _is_numeric(values):
    """A column of plain numbers (no cell can hold a sequence): checked at once."""
    return isinstance(values, np.ndarray) and values.dtype.kind in "biuf"


def _is_array_like(value):
    return isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) >= 1


def _is_sequence_column(values):
    if _is_numeric(values):
        return False
    return len(values) > 0 and all(_is_array_like(v) for v in values)


def _stack_sequences(columns, names, name):
    if len(columns) == 1:
        return [np.asarray(cell) for cell in columns[0]]
    sequences = []
    for row, cells in enumerate(zip(*columns, strict=True)):
        parts = [np.asarray(cell) for cell in cells]
        parts = [p.reshape(len(p), -1) for p in parts]
        lengths = {len(p) for p in parts}
        if len(lengths) > 1:
            raise ValueError(
                f"Row {row} of X has sequence columns of different lengths "
                f"({[len(p) for p in parts]} steps); {name} stacks the sequence "
                "columns of a row as features per time step, so they must have "
                "the same length."
            )
        sequences.append(np.concatenate(parts, axis=1))
    return sequences


def _static_column(values, column, name):
    if _is_numeric(values):
        finite = np.isfinite(values)
        if finite.all():
            return values.astype(np.float64)
        # The first bad row gets the message of the cell-by-cell check below.
        values = values[: int(np.argmin(finite)) + 1].tolist()
    for row, value in enumerate(values):
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(value, numbers.Real) and np.isfinite(value):
            continue
        if isinstance(value, numbers.Real) or value is None:
            raise ValueError(
                f"Static feature {column!r} of X is {value!r} in row {row}: {name} "
                "needs finite numbers in static columns (no NaN, inf or None). "
                "Impute them first, e.g. with sklearn.impute.SimpleImputer in a "
                "ColumnTransformer."
            )
        raise ValueError(
            f"Static feature {column!r} of X holds {value!r} in row {row}, which is "
            f"not a number. Encode categorical static columns first, e.g. "
            "ColumnTransformer([('onehot', OneHotEncoder(), [...])], "
            "remainder='passthrough')."
        )
    return np.asarray(values, dtype=np.float64)
