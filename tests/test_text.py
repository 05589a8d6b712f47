"""Tests for sksequence.text.TextTokenizer, against a naive reference."""

import pickle
import re
import string

import numpy as np
import pandas as pd
import pytest
import sklearn.utils.estimator_checks as sk_checks
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from sksequence.text import DEFAULT_TOKEN_PATTERN, TextTokenizer, _tokenize


# --------------------------------------------------------------------------
# Naive reference: one document, one token at a time
# --------------------------------------------------------------------------
def naive_tokenize(doc, analyzer="word", lowercase=True, token_pattern=None):
    if lowercase:
        doc = doc.lower()
    if analyzer == "char":
        return list(doc)
    if callable(analyzer):
        return list(analyzer(doc))
    return re.findall(token_pattern or DEFAULT_TOKEN_PATTERN, doc)


def naive_fit(docs, num_words=None, min_frequency=1, **tokenize_params):
    counts = {}
    for doc in docs:
        for token in naive_tokenize(doc, **tokenize_params):
            counts[token] = counts.get(token, 0) + 1
    kept = [token for token in counts if counts[token] >= min_frequency]
    ranked = sorted(kept, key=lambda token: (-counts[token], token))
    if num_words is not None:
        ranked = ranked[: num_words - 2]
    return {token: i + 2 for i, token in enumerate(ranked)}


def naive_pad(ids, maxlen, padding, truncating):
    if len(ids) > maxlen:
        ids = ids[-maxlen:] if truncating == "pre" else ids[:maxlen]
    zeros = [0] * (maxlen - len(ids))
    return zeros + ids if padding == "pre" else ids + zeros


def naive_transform(
    docs, vocabulary, maxlen=None, padding="pre", truncating="pre", **tokenize_params
):
    rows = []
    for doc in docs:
        ids = [vocabulary.get(t, 1) for t in naive_tokenize(doc, **tokenize_params)]
        ids = ids or [1]  # an empty document is one unknown token
        rows.append(
            ids if maxlen is None else naive_pad(ids, maxlen, padding, truncating)
        )
    return rows


def as_lists(ids):
    return [row.tolist() for row in ids]


def make_docs(n_docs=60, seed=0):
    """Small corpus with many frequency ties, case, punctuation, non-ASCII text."""
    rng = np.random.default_rng(seed)
    words = "a I cat Cat dog don't x_y 42 café Straße naïve über the sat on mat".split()
    seps = [" ", " ", ", ", ". ", "!", " -- ", "\n", "\t"]
    docs = []
    for _ in range(n_docs):
        n = rng.integers(0, 15)
        picked = rng.choice(words, size=n, p=_zipf(len(words)))
        docs.append("".join(w + rng.choice(seps) for w in picked))
    return [*docs, "", "?!", "...  "]


def _zipf(n):
    p = 1.0 / np.arange(1, n + 1)
    return p / p.sum()


DOCS = make_docs()
NEW_DOCS = ["A new cat, a NEW dog!", "unseen words only", "", "Café über alles"]


# --------------------------------------------------------------------------
# Behaviour against the reference
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"num_words": 3},
        {"num_words": 6, "maxlen": 4},
        {"min_frequency": 3},
        {"num_words": 8, "min_frequency": 2, "maxlen": 7},
        {"maxlen": 5, "padding": "post"},
        {"maxlen": 5, "truncating": "post"},
        {"maxlen": 5, "padding": "post", "truncating": "post"},
        {"maxlen": 40},
        {"lowercase": False},
        {"token_pattern": r"(?u)\b\w\w+\b"},
        {"token_pattern": r"\w+"},
        {"token_pattern": r"\b\w+\b", "lowercase": False, "maxlen": 3},
        {"token_pattern": r"(\w)\w*"},
        {"analyzer": "char"},
        {"analyzer": "char", "num_words": 10, "maxlen": 6, "lowercase": False},
        {"analyzer": str.split},
        {"analyzer": str.split, "lowercase": False, "maxlen": 4},
    ],
    ids=repr,
)
def test_matches_naive_reference(params):
    tokenize_params = {
        k: v
        for k, v in params.items()
        if k in ("analyzer", "lowercase", "token_pattern")
    }
    fit_params = {
        k: v for k, v in params.items() if k in ("num_words", "min_frequency")
    }
    pad_params = {
        k: v for k, v in params.items() if k in ("maxlen", "padding", "truncating")
    }
    vocabulary = naive_fit(DOCS, **fit_params, **tokenize_params)

    tokenizer = TextTokenizer(**params).fit(DOCS)
    assert tokenizer.vocabulary_ == vocabulary
    assert list(tokenizer.vocabulary_.values()) == list(range(2, len(vocabulary) + 2))
    assert tokenizer.vocab_size_ == len(vocabulary) + 2
    for docs in (DOCS, NEW_DOCS):
        expected = naive_transform(docs, vocabulary, **pad_params, **tokenize_params)
        assert as_lists(tokenizer.transform(docs)) == expected


@pytest.mark.parametrize("pattern", [DEFAULT_TOKEN_PATTERN, r"\b\w+\b", r"\w+"])
@pytest.mark.parametrize("lowercase", [True, False])
def test_fast_word_path_equals_regex(pattern, lowercase):
    rng = np.random.default_rng(1)
    alphabet = list(string.printable + "".join(map(chr, range(128)))) + list(
        "éßİıÆ€\u2019"
    )
    docs = ["".join(rng.choice(alphabet, size=80)) for _ in range(200)]
    docs += [
        "".join(rng.choice(list(map(chr, range(128))), size=80)) for _ in range(50)
    ]
    expected = [
        [t.encode() for t in re.findall(pattern, d.lower() if lowercase else d)]
        for d in docs
    ]
    assert _tokenize(docs, lowercase=lowercase, token_pattern=pattern) == expected


def test_frequency_ties_are_lexicographic_and_order_free():
    docs = ["b a c", "c b a", "d"]
    tokenizer = TextTokenizer().fit(docs)
    assert tokenizer.vocabulary_ == {"a": 2, "b": 3, "c": 4, "d": 5}
    shuffled = TextTokenizer().fit(docs[::-1])
    assert shuffled.vocabulary_ == tokenizer.vocabulary_


def test_num_words_caps_every_id():
    tokenizer = TextTokenizer(num_words=5)
    ids = tokenizer.fit_transform(DOCS)
    assert max(row.max() for row in ids) == 4
    assert tokenizer.vocab_size_ == 5
    assert len(tokenizer.vocabulary_) == 3


def test_unseen_tokens_map_to_unknown():
    tokenizer = TextTokenizer(maxlen=4).fit(["red green", "green"])
    np.testing.assert_array_equal(
        tokenizer.transform(["blue green purple", "blue"]), [[0, 1, 2, 1], [0, 0, 0, 1]]
    )


@pytest.mark.parametrize("maxlen", [None, 3])
def test_empty_documents_become_one_unknown_token(maxlen):
    tokenizer = TextTokenizer(maxlen=maxlen, padding="post").fit(["some words"])
    ids = as_lists(tokenizer.transform(["", "?!", "words"]))
    if maxlen is None:
        assert ids == [[1], [1], [3]]
    else:
        assert ids == [[1, 0, 0], [1, 0, 0], [3, 0, 0]]


def test_output_types():
    ragged = TextTokenizer().fit_transform(DOCS)
    assert isinstance(ragged, list) and len(ragged) == len(DOCS)
    assert all(r.dtype == np.int64 and r.ndim == 1 and r.size > 0 for r in ragged)
    padded = TextTokenizer(maxlen=7).fit_transform(DOCS)
    assert padded.dtype == np.int64 and padded.shape == (len(DOCS), 7)


@pytest.mark.parametrize(
    "params", [{}, {"maxlen": 6}, {"analyzer": "char", "maxlen": 3}]
)
def test_fit_transform_equals_fit_then_transform(params):
    expected = TextTokenizer(**params).fit(DOCS).transform(DOCS)
    assert as_lists(TextTokenizer(**params).fit_transform(DOCS)) == as_lists(expected)


@pytest.mark.parametrize("params", [{"num_words": 6}, {"num_words": 6, "maxlen": 50}])
def test_inverse_transform_round_trip(params):
    tokenizer = TextTokenizer(**params).fit(DOCS)
    vocabulary = tokenizer.vocabulary_
    expected = [
        [t if t in vocabulary else "<unk>" for t in naive_tokenize(doc)] or ["<unk>"]
        for doc in DOCS + NEW_DOCS
    ]
    assert tokenizer.inverse_transform(tokenizer.transform(DOCS + NEW_DOCS)) == expected


def test_inverse_transform_of_pandas_output():
    tokenizer = TextTokenizer(maxlen=3).set_output(transform="pandas").fit(DOCS)
    frame = tokenizer.transform(["the cat sat on"])
    assert list(frame.columns) == ["token_0", "token_1", "token_2"]
    assert tokenizer.inverse_transform(frame) == [["cat", "sat", "on"]]


def test_get_feature_names_out():
    tokenizer = TextTokenizer(maxlen=3).fit(DOCS)
    assert tokenizer.get_feature_names_out().tolist() == [
        "token_0",
        "token_1",
        "token_2",
    ]


# --------------------------------------------------------------------------
# Input containers
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "container",
    [
        pytest.param(list, id="list"),
        pytest.param(tuple, id="tuple"),
        pytest.param(iter, id="iterator"),
        pytest.param(lambda d: np.array(d, dtype=object), id="object_array"),
        pytest.param(np.array, id="unicode_array"),
        pytest.param(lambda d: np.array(d, dtype=object)[:, None], id="column"),
        pytest.param(lambda d: pd.Series(d, index=range(len(d), 0, -1)), id="series"),
        pytest.param(lambda d: pd.Series(d, dtype="string"), id="string_series"),
        pytest.param(lambda d: pd.DataFrame({"text": d}), id="dataframe"),
    ],
)
def test_input_containers(container):
    expected = TextTokenizer(maxlen=5).fit_transform(DOCS)
    tokenizer = TextTokenizer(maxlen=5)
    np.testing.assert_array_equal(tokenizer.fit_transform(container(DOCS)), expected)
    np.testing.assert_array_equal(tokenizer.transform(container(DOCS)), expected)


# --------------------------------------------------------------------------
# Errors: every hand-written message
# --------------------------------------------------------------------------
P = pytest.param


@pytest.mark.parametrize(
    "X, error, match",
    [
        P(
            "one doc",
            ValueError,
            r"received a single str\. Wrap it in a list",
            id="str",
        ),
        P(b"one doc", ValueError, r"received a single bytes", id="bytes"),
        P(
            [],
            ValueError,
            r"at least one document, but received an empty list",
            id="[]",
        ),
        P(pd.Series([], dtype=object), ValueError, r"an empty Series", id="empty"),
        P(
            None,
            TypeError,
            r"a collection of documents .* received NoneType",
            id="None",
        ),
        P(
            pd.Series(["a b", np.nan]),
            TypeError,
            r"document at position 1 is float \(nan\)\. .*X\.fillna\(''\)",
            id="nan",
        ),
        P(
            ["a", None],
            TypeError,
            r"position 1 is NoneType \(None\).*fillna",
            id="none",
        ),
        P(
            ["a", b"d"],
            TypeError,
            r"position 1 is bytes.*decode\('utf-8'\)",
            id="bytes_doc",
        ),
        P([3, "a"], TypeError, r"position 0 is int \(3\)\. .*str\(doc\)", id="int"),
        P(
            pd.DataFrame({"a": ["x"], "b": ["y"]}),
            ValueError,
            r"single column of documents, but received a DataFrame with 2 columns",
            id="wide_dataframe",
        ),
        P(
            np.array([["a", "b"], ["c", "d"]]),
            ValueError,
            r"1-D collection of documents, but received an array of shape \(2, 2\)",
            id="2d_array",
        ),
    ],
)
def test_invalid_documents(X, error, match):
    with pytest.raises(error, match=match):
        TextTokenizer().fit(X)
    fitted = TextTokenizer().fit(["a b"])
    with pytest.raises(error, match=match):
        fitted.transform(X)


@pytest.mark.parametrize(
    "params, docs, error, match",
    [
        P({}, ["", "!?"], ValueError, r"vocabulary is empty: no document contains"),
        P(
            {"min_frequency": 3},
            ["a b", "a c"],
            ValueError,
            r"none of the 3 distinct tokens occurs at least min_frequency=3 times\. "
            r"Lower min_frequency",
        ),
        P({"token_pattern": "("}, ["a"], ValueError, r"'\(' is not a valid regular"),
        P({"token_pattern": "(a)(b)"}, ["ab"], ValueError, r"has 2 capturing groups"),
        P(
            {"analyzer": str.lower},
            ["a"],
            TypeError,
            r"must return a list of str tokens, but .* returned str\.",
        ),
        P({"analyzer": lambda d: [1]}, ["a"], TypeError, r"a token of type int \(1\)"),
        P({"analyzer": lambda d: None}, ["a"], TypeError, r"returned NoneType"),
    ],
)
def test_fit_errors(params, docs, error, match):
    with pytest.raises(error, match=match):
        TextTokenizer(**params).fit(docs)


@pytest.mark.parametrize("num_words", [0, 1, 2])
def test_num_words_below_three_is_rejected(num_words):
    match = r"'num_words' parameter of TextTokenizer must be an int in the range \[3, "
    with pytest.raises(ValueError, match=match):
        TextTokenizer(num_words=num_words).fit(DOCS)


def test_inverse_transform_errors():
    tokenizer = TextTokenizer().fit(["a b c"])
    with pytest.raises(ValueError, match=r"Row 1 contains ids outside \[0, 5\)"):
        tokenizer.inverse_transform([[2, 3], [4, 5]])
    with pytest.raises(ValueError, match=r"rows of integer ids, but row 0 has dtype"):
        tokenizer.inverse_transform([[2.0, 3.0]])


def test_feature_names_need_maxlen():
    with pytest.raises(ValueError, match=r"get_feature_names_out needs maxlen"):
        TextTokenizer().fit(DOCS).get_feature_names_out()


@pytest.mark.parametrize(
    "method, args",
    [
        ("transform", (DOCS,)),
        ("inverse_transform", ([[2]],)),
        ("get_feature_names_out", ()),
    ],
)
def test_not_fitted(method, args):
    with pytest.raises(NotFittedError):
        getattr(TextTokenizer(maxlen=3), method)(*args)


# --------------------------------------------------------------------------
# scikit-learn API
# --------------------------------------------------------------------------
ESTIMATORS = [TextTokenizer(), TextTokenizer(maxlen=5)]

# sklearn's common checks feed numeric 2-D arrays, so for a string-input
# transformer (two_d_array=False, like CountVectorizer) check_estimator runs
# only check_estimator_cloneable (in tests/test_common.py) and skips the rest.
# The data-independent checks are run explicitly below, and the
# data-dependent ones are rewritten with text in the tests that follow.


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize(
    "check_name",
    [
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimator_repr",
        "check_do_not_raise_errors_in_init_or_set_params",
        "check_param_validation",
        "check_valid_tag_types",
        "check_estimator_tags_renamed",
        "check_mixin_order",
        "check_estimators_unfitted",
        "check_transformers_unfitted",
        "check_get_feature_names_out_error",
    ],
)
def test_data_independent_sklearn_checks(estimator, check_name):
    getattr(sk_checks, check_name)(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_fit_leaves_params_and_input_unchanged(estimator):
    params = estimator.get_params()
    docs = list(DOCS)
    estimator = clone(estimator).fit(docs)
    assert estimator.get_params() == params
    assert docs == DOCS
    public = {k for k in vars(estimator) if not k.startswith("_")} - set(params)
    assert public == {"vocabulary_", "vocab_size_"}
    state = pickle.dumps(vars(estimator))
    estimator.transform(NEW_DOCS)
    assert pickle.dumps(vars(estimator)) == state  # transform changes nothing


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_fit_is_idempotent_and_row_wise(estimator):
    tokenizer = clone(estimator).fit(DOCS)
    expected = as_lists(tokenizer.transform(NEW_DOCS))
    assert as_lists(tokenizer.fit(DOCS).transform(NEW_DOCS)) == expected
    order = np.random.default_rng(0).permutation(len(NEW_DOCS))
    shuffled = tokenizer.transform([NEW_DOCS[i] for i in order])
    assert as_lists(shuffled) == [expected[i] for i in order]
    assert as_lists(tokenizer.transform(NEW_DOCS[1:3])) == expected[1:3]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_pickle_and_clone_round_trip(estimator):
    tokenizer = clone(estimator).fit(DOCS)
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored.vocabulary_ == tokenizer.vocabulary_
    assert as_lists(restored.transform(NEW_DOCS)) == as_lists(
        tokenizer.transform(NEW_DOCS)
    )
    unfitted = clone(tokenizer)
    assert unfitted.get_params() == tokenizer.get_params()
    assert not hasattr(unfitted, "vocabulary_")


def test_in_a_pipeline():
    y = np.arange(len(DOCS)) % 2
    pipeline = make_pipeline(
        TextTokenizer(maxlen=5), DecisionTreeClassifier(random_state=0)
    )
    assert pipeline.fit(DOCS, y).predict(NEW_DOCS).shape == (len(NEW_DOCS),)
