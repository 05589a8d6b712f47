"""Bad inputs are refused during validation, naming the input and the fix.

Non-numbers, values beyond float32, malformed lists of sequences, absurd token
ids, ragged or non-numeric series for windowing, and DataFrame output for
transformers whose output is not a table.
"""

import re

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sksequence import RNNClassifier, RNNRegressor, check_sequences
from sksequence._sequences import MAX_TOKEN_ID
from sksequence.preprocessing import SequenceScaler
from sksequence.text import TextTokenizer
from sksequence.windowing import SlidingWindow, make_windows

TINY = {"hidden_size": 4, "max_epochs": 1, "random_state": 0}
DOCS = ["the cat sat", "a dog ran far", "the dog", "a cat ran"]
LABELS = [0, 1, 1, 0]


def fit_regressor(X):
    return RNNRegressor(**TINY).fit(X, np.ones(len(X)))


# -- 1. strings and other objects in a float X --------------------------------
@pytest.mark.parametrize(
    ("X", "match"),
    [
        (
            np.array([["1", "2"], ["3", "a"]]),
            r"X\[1, 1\] \(sequence 1, time step 1\) is 'a', which is not a number",
        ),
        (
            np.array([[[1.0], [2.0]], [[3.0], ["x"]]], dtype=object),
            r"X\[1, 1, 0\] \(sequence 1, time step 1, feature 0\) is 'x'",
        ),
        (
            pd.DataFrame({"t0": [1.0, 2.0, 3.0], "t1": ["4", "5", "high"]}),
            r"X column 't1' \(time step 1\) holds 'high' in row 2, which is not",
        ),
    ],
    ids=["str-2d", "object-3d", "dataframe"],
)
def test_non_number_in_float_X_is_located(X, match):
    with pytest.raises(ValueError, match=match + r".*sksequence\.TextTokenizer"):
        fit_regressor(X)
    with pytest.raises(ValueError, match="OrdinalEncoder"):
        check_sequences(X)


def test_non_number_at_predict():
    model = fit_regressor(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X\[0, 1\] \(sequence 0, time step 1\)"):
        model.predict(np.array([[1.0, "?"]], dtype=object))


def test_non_string_object_keeps_float_type_error():
    # float()'s TypeError text is kept: scikit-learn's check_dtype_object
    # matches it, and it names the type.
    X = np.ones((2, 3), dtype=object)
    X[1, 2] = {"foo": "bar"}
    match = r"X\[1, 2\] .* is \{'foo': 'bar'\}.*argument must be a string or a"
    with pytest.raises(TypeError, match=match):
        fit_regressor(X)


def test_long_values_are_cut_in_the_message():
    X = np.array([[1.0, "x" * 500]], dtype=object)
    with pytest.raises(ValueError, match=r"is 'xxxxx+\.\.\., which is not a number"):
        check_sequences(X)


def test_numbers_stored_as_strings():
    with pytest.raises(ValueError, match=r"dtype <U3: numbers stored as strings"):
        check_sequences(np.array([["1.5", "2"]]))


def test_documents_given_to_the_estimator():
    match = r"X is a 1-D array of strings \(e\.g\. 'the cat sat'\).*TextTokenizer"
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**TINY).fit(DOCS, LABELS)


def test_strings_in_a_ragged_sequence_are_located():
    X = [np.ones(3), np.array(["1", "b"])]
    with pytest.raises(TypeError, match=r"Sequence 1 has dtype <U1 \(time step 1 is"):
        fit_regressor(X)


# -- 2. float64 values beyond float32 ------------------------------------------
@pytest.mark.parametrize("value", [1e300, -1e39])
def test_values_beyond_float32_are_refused_before_the_cast(value):
    X = np.ones((3, 4, 2))
    X[2, 1, 1] = value
    match = (
        rf"RNNRegressor computes in float32, but X holds {re.escape(f'{value:.6g}')} "
        r"at sequence "
        r"2, time step 1, feature 1, beyond float32's range.*divide it by"
    )
    with pytest.raises(ValueError, match=match):
        fit_regressor(X)


def test_values_beyond_float32_in_a_list_and_in_the_scaler():
    X = [np.ones((2, 2)), np.array([[1.0, 1.0], [1.0, 1e300]])]
    match = r"X holds 1e\+300 at sequence 1, time step 1, feature 1.* 1e300\."
    with pytest.raises(ValueError, match=match):
        fit_regressor(X)
    with pytest.raises(ValueError, match="SequenceScaler computes in float32"):
        SequenceScaler().fit(X)


def test_a_huge_value_is_not_reported_as_inf():
    X = np.array([[np.inf, 1e300], [1.0, 2.0]])
    with pytest.raises(ValueError, match="X holds 1e\\+300 at sequence 0, time step 1"):
        check_sequences(X)


def test_float32_max_itself_is_accepted():
    big = float(np.finfo(np.float32).max)
    seqs = check_sequences(np.array([[big, -big]]))
    assert np.isfinite(seqs.values).all()


# -- 3. malformed lists of sequences -------------------------------------------
@pytest.mark.parametrize(
    "X",
    [
        [np.ones(3), None, np.ones(2)],
        np.array([np.ones(3), None, np.ones(2)], dtype=object),
        pd.Series([np.ones(3), None, np.ones(2)]),
    ],
    ids=["list", "object-array", "series"],
)
def test_none_in_a_list_of_sequences(X):
    with pytest.raises(ValueError, match="Sequence 1 is None; .*Drop missing"):
        fit_regressor(X)


def test_list_mixing_sequences_and_scalars():
    match = r"Sequence 1 is a scalar \(5\.0\), but X mixes it with sequences.*\[5\.0\]"
    with pytest.raises(ValueError, match=match):
        fit_regressor([np.ones(3), 5.0, np.ones(2)])


def test_empty_item_in_a_list_of_sequences():
    with pytest.raises(ValueError, match="Sequence 1 is empty: it contains no time"):
        fit_regressor([np.ones(3), np.array([]), np.ones(2)])


def test_list_of_numpy_scalars_is_one_dimensional():
    with pytest.raises(ValueError, match="got a 1-D array of shape \\(5,\\)"):
        check_sequences(list(np.arange(5.0)))


# -- 4 and 5. token ids that cannot be vocabulary indices ----------------------
def test_max_token_id_fits_int32():
    assert MAX_TOKEN_ID + 1 == np.iinfo(np.int32).max


@pytest.mark.parametrize(
    ("X", "where", "value"),
    [
        (np.array([[2, 3], [4, 2**40]]), r"X\[1, 1\]", 2**40),
        (np.array([[2, 2**63 + 5]], dtype=np.uint64), r"X\[0, 1\]", 2**63 + 5),
        ([np.array([2, 3]), np.array([4, 5, 2**40])], r"X\[1, 2\]", 2**40),
        ([np.array([2, 2**63 + 5], dtype=np.uint64)], r"X\[0, 1\]", 2**63 + 5),
        (np.array([[2, MAX_TOKEN_ID + 1]]), r"X\[0, 1\]", MAX_TOKEN_ID + 1),
    ],
    ids=["int64", "uint64-above-int64", "ragged", "ragged-uint64", "limit+1"],
)
def test_token_ids_above_max_token_id(X, where, value):
    match = (
        rf"Token ids must be at most MAX_TOKEN_ID = {MAX_TOKEN_ID} .*, but {where} "
        rf"= {value}\..*TextTokenizer.*np\.unique\(X, return_inverse=True\)"
    )
    with pytest.raises(ValueError, match=match):
        RNNClassifier(**TINY).fit(X, [0, 1][: len(X)])
    with pytest.raises(ValueError, match=match):
        check_sequences(X)


def test_max_token_id_itself_and_small_uint64_ids_are_accepted():
    seqs = check_sequences(np.array([[2, MAX_TOKEN_ID]]))
    assert seqs.values.max() == MAX_TOKEN_ID
    seqs = check_sequences(np.array([[2, 3, 0]], dtype=np.uint64))
    assert seqs.values.dtype == np.int64 and seqs.lengths.tolist() == [2]


# -- 6. ragged or object series for windowing ----------------------------------
@pytest.mark.parametrize(
    ("series", "shapes"),
    [
        ([[1.0, 2.0], [3.0]], r"row 0 has shape \(2,\), row 1 has shape \(1,\)"),
        (
            np.array([np.ones(2), np.ones(3)], dtype=object),
            r"row 0 has shape \(2,\), row 1 has shape \(3,\)",
        ),
    ],
    ids=["nested-list", "object-array"],
)
def test_windowing_a_ragged_series(series, shapes):
    match = rf"1-D or 2-D numeric array-like whose rows .* same length, but {shapes}"
    with pytest.raises(ValueError, match="make_windows expects a series: a " + match):
        make_windows(series, 1)
    with pytest.raises(ValueError, match="SlidingWindow expects a series: a " + match):
        SlidingWindow(window=1).fit(series)


def test_make_windows_names_the_non_number():
    series = np.array([1.0, 2.0, "high"], dtype=object)
    match = r"the series holds object values that are not numbers \(e\.g\. 'high'"
    with pytest.raises(TypeError, match=match + r" at time step 2\)\. Encode it"):
        make_windows(series, 1)


# -- 7. strings in SlidingWindow ------------------------------------------------
@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array(["a", "b", "c"]), r"column 0 holds strings that are not numbers"),
        (
            np.array([["1", "2"], ["3", "x"]]),
            r"column 1 holds strings that are not numbers \(e\.g\. 'x' at time "
            r"step 1\)",
        ),
        (
            pd.DataFrame({"x": [1.0, 2.0], "city": ["Oslo", "Rome"]}),
            r"column 'city' has dtype",
        ),
    ],
    ids=["str-1d", "str-2d", "dataframe"],
)
def test_sliding_window_names_the_non_numeric_column(X, match):
    with pytest.raises(TypeError, match=match + r".*encode it as numbers"):
        SlidingWindow(window=2).fit_transform(X)


def test_sliding_window_checks_strings_at_transform():
    fitted = SlidingWindow(window=2).fit(np.ones((3, 2)))
    with pytest.raises(TypeError, match="SlidingWindow needs numeric values"):
        fitted.transform(np.array([["1", "2"], ["3", "x"]]))


def test_sliding_window_keeps_accepting_numeric_strings():
    windows = SlidingWindow(window=2).fit_transform(np.array(["1", "2.5"]))
    np.testing.assert_array_equal(windows[1, :, 0], [1.0, 2.5])


# -- 8. DataFrame output -------------------------------------------------------
@pytest.fixture
def series_data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 5, 2)), rng.normal(size=8)


def test_global_pandas_output_leaves_sequence_outputs_alone(series_data):
    X, _ = series_data
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(SequenceScaler().fit_transform(X), np.ndarray)
        assert isinstance(SequenceScaler().fit(X).transform(X), np.ndarray)
        assert isinstance(TextTokenizer().fit_transform(DOCS), list)
        assert isinstance(TextTokenizer().fit(DOCS).transform(DOCS), list)
        # Padded ids are a table: wrapping them is legitimate.
        frame = TextTokenizer(maxlen=3).fit_transform(DOCS)
        assert isinstance(frame, pd.DataFrame) and frame.shape == (4, 3)


def test_pipelines_fit_and_predict_under_global_pandas_output(series_data):
    X, y = series_data
    with sklearn.config_context(transform_output="pandas"):
        model = make_pipeline(SequenceScaler(), RNNRegressor(**TINY)).fit(X, y)
        assert model.predict(X).shape == (8,)
        for tokenizer in (TextTokenizer(), TextTokenizer(maxlen=4)):
            model = make_pipeline(tokenizer, RNNClassifier(**TINY)).fit(DOCS, LABELS)
            assert model.predict(DOCS).shape == (4,)


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_scaler_refuses_dataframe_output(container):
    match = (
        rf"SequenceScaler cannot output a {container} DataFrame: it returns a 3-D "
        r"array .* on the tabular steps only"
    )
    with pytest.raises(ValueError, match=match):
        SequenceScaler().set_output(transform=container)
    # The exact case of the bug report: refused at set_output, not in fit.
    pipeline = make_pipeline(SequenceScaler(), RNNRegressor(**TINY))
    with pytest.raises(ValueError, match=match):
        pipeline.set_output(transform=container)


def test_scaler_set_output_default_is_a_no_op(series_data):
    X, _ = series_data
    scaler = SequenceScaler()
    assert scaler.set_output(transform="default") is scaler
    assert scaler.set_output() is scaler
    assert not hasattr(scaler, "get_feature_names_out")
    with pytest.raises(ValueError, match=r"must be 'default', 'pandas', 'polars' or"):
        scaler.set_output(transform="arrow")
    with sklearn.config_context(transform_output="pandas"):
        model = make_pipeline(SequenceScaler(), RNNRegressor(**TINY))
        model.set_output(transform="default").fit(X, np.ones(8))


@pytest.mark.parametrize("method", ["fit_transform", "transform"])
def test_ragged_tokenizer_refuses_requested_dataframe_output(method):
    tokenizer = TextTokenizer().fit(DOCS).set_output(transform="pandas")
    match = (
        r"TextTokenizer cannot return a pandas DataFrame: with maxlen=None.*"
        r"set_output\(transform='pandas'\) was called on it.*Set maxlen to an int"
    )
    with pytest.raises(ValueError, match=match):
        getattr(tokenizer, method)(DOCS)


def test_ragged_tokenizer_in_a_pandas_pipeline_fails_before_training():
    model = make_pipeline(TextTokenizer(), RNNClassifier(**TINY))
    model.set_output(transform="pandas")  # accepted: maxlen may still be set
    with pytest.raises(ValueError, match="TextTokenizer cannot return a pandas"):
        model.fit(DOCS, LABELS)
    assert not hasattr(model[-1], "net_")
    model.set_params(texttokenizer__maxlen=4).fit(DOCS, LABELS)
    assert isinstance(model[0].transform(DOCS), pd.DataFrame)
    assert model.predict(DOCS).shape == (4,)


def test_tokenizer_set_output_round_trip_and_clone():
    tokenizer = TextTokenizer(maxlen=3).set_output(transform="pandas")
    assert isinstance(clone(tokenizer).fit_transform(DOCS), pd.DataFrame)
    tokenizer.set_output(transform="default")
    assert isinstance(tokenizer.fit_transform(DOCS), np.ndarray)
    ragged = TextTokenizer().set_output(transform="pandas").set_output()
    with pytest.raises(ValueError, match="cannot return a pandas DataFrame"):
        ragged.fit_transform(DOCS)
    ragged.set_output(transform="default")
    assert isinstance(ragged.fit_transform(DOCS), list)


def test_ragged_tokenizer_has_no_feature_names():
    # hasattr is False, which is what keeps scikit-learn from wrapping ragged
    # output; calling it still explains why.
    assert hasattr(TextTokenizer(maxlen=3).fit(DOCS), "get_feature_names_out")
    tokenizer = TextTokenizer().fit(DOCS)
    assert not hasattr(tokenizer, "get_feature_names_out")
    with pytest.raises(ValueError, match="get_feature_names_out needs maxlen"):
        tokenizer.get_feature_names_out()
