"""Turn raw text documents into integer token-id sequences for recurrent models.

The work is done by the module-level functions (tokenize, build a vocabulary, look
ids up, pad); :class:`TextTokenizer` is the thin scikit-learn wrapper around them.
"""

import re
import string
from collections.abc import Iterable
from functools import update_wrapper
from itertools import chain, count, repeat
from numbers import Integral
from types import MethodType

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._sklearn_compat import Interval, StrOptions, _fit_context

__all__ = ["TextTokenizer"]

PAD_ID = 0
UNK_ID = 1
UNK_TOKEN = "<unk>"
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w+\b"

# Patterns that mean "maximal runs of word characters". For those, tokens are
# UTF-8 bytes, and an ASCII document is tokenised by ``bytes.translate``
# (non-word characters to spaces, lowercasing) and ``bytes.split``: the same
# tokens as ``re.findall``, measured 2x faster, and bytes tokens also make the
# dict look-ups faster than str tokens. Other documents go through the regex.
_WORD_RUN_PATTERNS = {DEFAULT_TOKEN_PATTERN, r"\b\w+\b", r"(?u)\w+", r"\w+"}
_NON_WORD = bytes(c for c in range(128) if not re.fullmatch(r"\w", chr(c)))
_UPPER, _LOWER = string.ascii_uppercase.encode(), string.ascii_lowercase.encode()
_ASCII_WORDS = bytes.maketrans(_NON_WORD, b" " * len(_NON_WORD))
_ASCII_WORDS_LOWER = bytes.maketrans(_NON_WORD + _UPPER, b" " * len(_NON_WORD) + _LOWER)


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------
def _validate_documents(X):
    """Return ``X`` as a list of str documents, or raise a helpful error."""
    name = type(X).__name__
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "TextTokenizer expects a collection of documents (a list, tuple, "
            f"1-D array or pandas Series of str), but received a single {name}. "
            "Wrap it in a list: [text]."
        )
    docs = _documents_as_list(X)
    if not docs:
        raise ValueError(
            f"TextTokenizer needs at least one document, but received an empty {name}."
        )
    _check_all_str(docs)
    return docs


def _documents_as_list(X):
    """Flatten the supported containers (1 column at most) into a list."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                "TextTokenizer expects a single column of documents, but received "
                f"a DataFrame with {X.shape[1]} columns. Select the text column, "
                "e.g. X['text']."
            )
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X.tolist()
    if isinstance(X, np.ndarray):
        if X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        if X.ndim != 1:
            raise ValueError(
                "TextTokenizer expects a 1-D collection of documents, but received "
                f"an array of shape {X.shape}."
            )
        return X.tolist()
    if not isinstance(X, Iterable):
        raise TypeError(
            "TextTokenizer expects a collection of documents (a list, tuple, 1-D "
            f"array or pandas Series of str), but received {type(X).__name__}."
        )
    return list(X)


def _check_all_str(docs):
    """Raise a TypeError naming the first document that is not a str."""
    for i, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise TypeError(
                "TextTokenizer expects every document to be a str, but the "
                f"document at position {i} is {type(doc).__name__} ({doc!r}). "
                + _conversion_hint(doc)
            )


def _conversion_hint(doc):
    if isinstance(doc, bytes):
        return "Decode bytes first, e.g. doc.decode('utf-8')."
    if doc is None or (isinstance(doc, float) and np.isnan(doc)):
        return "Replace missing values first, e.g. X.fillna('') for a pandas Series."
    return "Convert the documents to str first, e.g. [str(doc) for doc in X]."


# --------------------------------------------------------------------------
# Pure functions: tokenize, build the vocabulary, look ids up, pad
# --------------------------------------------------------------------------
def _tokenize(docs, *, analyzer="word", lowercase=True, token_pattern=None):
    """Split each document into tokens.

    Returns one sequence of tokens per document: for ``analyzer="char"`` the
    (lowercased) document itself, whose items are its characters; for word
    patterns in ``_WORD_RUN_PATTERNS`` a list of UTF-8 bytes (see
    :func:`_word_runs`); otherwise a list of str.
    """
    if token_pattern is None:
        token_pattern = DEFAULT_TOKEN_PATTERN
    if _uses_word_runs(analyzer, token_pattern):
        return _word_runs(docs, lowercase=lowercase)
    if lowercase:
        docs = map(str.lower, docs)
    if analyzer == "char":
        return list(docs)
    if callable(analyzer):
        return [_call_analyzer(analyzer, doc) for doc in docs]
    return list(map(_compile_token_pattern(token_pattern).findall, docs))


def _uses_word_runs(analyzer, token_pattern):
    return analyzer == "word" and token_pattern in _WORD_RUN_PATTERNS


def _word_runs(docs, *, lowercase):
    """``re.findall(r"\\w+", doc)`` of every doc, as UTF-8 bytes tokens."""
    table = _ASCII_WORDS_LOWER if lowercase else _ASCII_WORDS
    normalize = str.lower if lowercase else str
    findall = re.compile(DEFAULT_TOKEN_PATTERN).findall
    return [
        doc.encode().translate(table).split()
        if doc.isascii()
        else [token.encode() for token in findall(normalize(doc))]
        for doc in docs
    ]


def _compile_token_pattern(token_pattern):
    try:
        pattern = re.compile(token_pattern)
    except re.error as exc:
        raise ValueError(
            f"token_pattern={token_pattern!r} is not a valid regular expression: {exc}."
        ) from None
    if pattern.groups > 1:
        raise ValueError(
            f"token_pattern={token_pattern!r} has {pattern.groups} capturing "
            "groups, but at most one is allowed (its match is the token). Use "
            "non-capturing groups (?:...) for the others."
        )
    return pattern


def _call_analyzer(analyzer, doc):
    tokens = analyzer(doc)
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError(
            "A callable analyzer must return a list of str tokens, but "
            f"{analyzer!r} returned {type(tokens).__name__}."
        )
    tokens = list(tokens)
    if not all(isinstance(token, str) for token in tokens):
        bad = next(t for t in tokens if not isinstance(t, str))
        raise TypeError(
            "A callable analyzer must return a list of str tokens, but "
            f"{analyzer!r} returned a token of type {type(bad).__name__} ({bad!r})."
        )
    return tokens


def _lengths(token_seqs):
    """Number of tokens of each document, as an int64 array."""
    return np.fromiter(map(len, token_seqs), dtype=np.int64, count=len(token_seqs))


def _factorize(token_seqs, n_tokens):
    """Code every token by the position of its first occurrence in the corpus.

    Returns ``(first_seen, codes)``: ``first_seen`` maps each distinct token to
    its first position in the concatenated token stream, ``codes`` holds that
    position for every token of the stream. One C-level pass over the tokens.
    """
    first_seen = {}
    flat = chain.from_iterable(token_seqs)
    codes = map(first_seen.setdefault, flat, count())
    return first_seen, np.fromiter(codes, dtype=np.int64, count=n_tokens)


def _rank_vocabulary(first_seen, codes, *, num_words=None, min_frequency=1):
    """Rank tokens by descending count, ties broken lexicographically.

    Returns ``(vocabulary, recode)``: ``vocabulary`` maps each kept token to its
    id (``2, 3, ...``); ``recode[code]`` is the final id for a code from
    :func:`_factorize` (``UNK_ID`` for dropped tokens).
    """
    tokens = sorted(first_seen)
    first = np.fromiter(map(first_seen.__getitem__, tokens), np.int64, len(tokens))
    counts = np.bincount(codes, minlength=1)[first]
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_frequency]
    if num_words is not None:
        order = order[: num_words - 2]
    ids = np.arange(2, 2 + order.size, dtype=np.int64)
    vocabulary = dict(
        zip([tokens[i] for i in order.tolist()], ids.tolist(), strict=True)
    )
    recode = np.full(max(codes.size, 1), UNK_ID, dtype=np.int64)
    recode[first[order]] = ids
    return vocabulary, recode


def _lookup(token_seqs, vocabulary, n_tokens):
    """Flat int64 array of the ids of all tokens, unknown tokens -> ``UNK_ID``."""
    ids = map(vocabulary.get, chain.from_iterable(token_seqs), repeat(UNK_ID))
    return np.fromiter(ids, dtype=np.int64, count=n_tokens)


def _fill_empty(flat_ids, lengths):
    """Give every document without tokens a single ``UNK_ID``."""
    empty = lengths == 0
    if not empty.any():
        return flat_ids, lengths
    offsets = np.cumsum(lengths) - lengths
    flat_ids = np.insert(flat_ids, offsets[empty], UNK_ID)
    return flat_ids, np.where(empty, 1, lengths)


def _split(flat_ids, lengths):
    """Cut the flat id array into one 1-D array per document."""
    return np.split(flat_ids, np.cumsum(lengths)[:-1])


def _pad(flat_ids, lengths, maxlen, *, padding="pre", truncating="pre"):
    """Scatter the flat ids into a 0-padded ``(n_docs, maxlen)`` array.

    Keras' ``pad_sequences`` semantics, vectorised: ``truncating="pre"`` drops
    tokens from the start of long documents, ``"post"`` from the end;
    ``padding`` puts the zeros before (``"pre"``) or after (``"post"``).
    """
    kept = np.minimum(lengths, maxlen)
    if kept.sum() < flat_ids.size:
        position = np.arange(flat_ids.size) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        if truncating == "pre":
            keep = position >= np.repeat(lengths - kept, lengths)
        else:
            keep = position < np.repeat(kept, lengths)
        flat_ids = flat_ids[keep]
    columns = np.arange(maxlen)
    if padding == "pre":
        filled = columns >= (maxlen - kept)[:, np.newaxis]
    else:
        filled = columns < kept[:, np.newaxis]
    padded = np.zeros((lengths.size, maxlen), dtype=np.int64)
    padded[filled] = flat_ids
    return padded


# --------------------------------------------------------------------------
# Output containers
# --------------------------------------------------------------------------
_RAGGED_OUTPUT = (
    "with maxlen=None, TextTokenizer returns ragged sequences (a list of 1-D id "
    "arrays of different lengths), which have no columns"
)


class _RaggedOutputError(ValueError, AttributeError):
    """Ragged output has no column names.

    An AttributeError too (as scikit-learn's NotFittedError is), so that
    ``hasattr(tokenizer, "get_feature_names_out")`` is False with
    ``maxlen=None``: scikit-learn wraps ``transform``'s output in a DataFrame
    only for transformers that have that method.
    """


class _padded_output_only:
    """Method decorator: the method exists only when the output is padded.

    With ``maxlen=None`` a fitted tokenizer raises ``_RaggedOutputError`` on
    access (so ``hasattr`` is False) and an unfitted one NotFittedError.
    """

    def __init__(self, method):
        self.method = method
        update_wrapper(self, method)

    def __get__(self, tokenizer, owner=None):
        if tokenizer is None:
            return self.method  # the class attribute: docs and introspection
        if tokenizer.maxlen is None:
            check_is_fitted(tokenizer)
            raise _RaggedOutputError(
                f"get_feature_names_out needs maxlen: {_RAGGED_OUTPUT}. Set "
                "maxlen to an int to get one name per output column."
            )
        return MethodType(self.method, tokenizer)


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------
class TextTokenizer(TransformerMixin, BaseEstimator):
    r"""Turn text documents into integer id sequences for recurrent models.

    ``fit`` learns a vocabulary ranked by token frequency; ``transform`` maps
    each document to the ids of its tokens, either as a 0-padded array of
    shape ``(n_documents, maxlen)`` or, with ``maxlen=None``, as one 1-D array
    per document. Ids follow the Keras convention: ``0`` is padding, ``1`` is
    the unknown token ``"<unk>"``, and real tokens get ``2, 3, ...`` by
    descending frequency in the training documents. Tokens never seen in
    ``fit`` map to ``1``; they are never an error.

    Parameters
    ----------
    num_words : int, default=None
        Keras-style cap on the vocabulary: every id is smaller than
        ``num_words``, so at most ``num_words - 2`` real tokens (the most
        frequent) are kept. Because ids 0 and 1 are reserved, the smallest
        value is 3. None keeps every token.
    maxlen : int, default=None
        Length of the padded output. None returns ragged output: a list with
        one 1-D int64 array per document.
    padding : {"pre", "post"}, default="pre"
        Where the padding zeros go in documents shorter than ``maxlen``.
    truncating : {"pre", "post"}, default="pre"
        Which end of a document longer than ``maxlen`` is cut: ``"pre"``
        keeps its last ``maxlen`` tokens, ``"post"`` its first.
    lowercase : bool, default=True
        Lowercase documents before any analyzer is applied (a callable one
        included; set False to give it the raw document).
    analyzer : {"word", "char"} or callable, default="word"
        ``"word"`` tokens are the matches of ``token_pattern``; ``"char"``
        tokens are the single characters of the document, whitespace and
        punctuation included. A callable takes a document (str) and returns
        its tokens (a list of str).
    token_pattern : str, default=r"(?u)\b\w+\b"
        Regular expression for word tokens, used only with
        ``analyzer="word"``. The default keeps maximal runs of letters,
        digits and underscores, one-character words such as "a" and "I"
        included (unlike :class:`~sklearn.feature_extraction.text.CountVectorizer`,
        which drops them), and splits on punctuation ("don't" gives "don" and
        "t"). If the pattern has one capturing group, the group is the token.
    min_frequency : int, default=1
        Tokens seen fewer times than this in the training documents are left
        out of the vocabulary (they map to 1).

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Map from each kept token to its id, in id order (ids ``2`` to
        ``vocab_size_ - 1``). Ties in frequency are ranked lexicographically,
        so the vocabulary does not depend on the order of the documents.
    vocab_size_ : int
        Number of ids in use, padding and unknown included: the largest id
        plus one, i.e. the ``num_embeddings`` an embedding layer needs.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts, for
        models that ignore token order.

    Notes
    -----
    A document without any token (e.g. ``""`` or ``"!?"``) becomes the single
    id ``[1]`` ("unknown") rather than an empty sequence, with or without
    ``maxlen``: the sequence estimators reject empty sequences, and an
    all-zero padded row would be one. ``inverse_transform`` therefore returns
    ``["<unk>"]`` for it.

    The output is always int64. ``transform`` uses the current ``maxlen``,
    ``padding`` and ``truncating``, so these can be changed without refitting.

    **DataFrame output.** With ``maxlen`` set, the output is a table of ids
    (one column per position, named by :meth:`get_feature_names_out`), which
    ``set_output(transform="pandas")`` or the global
    ``sklearn.set_config(transform_output="pandas")`` turns into a DataFrame.
    With ``maxlen=None`` the output is ragged and has no columns: the global
    setting leaves it a list, while an explicit ``set_output`` to ``"pandas"``
    or ``"polars"`` (on the tokenizer or through ``Pipeline.set_output``)
    makes ``transform`` and ``fit_transform`` raise a ValueError, rather than
    ignore the request. ``set_output`` itself accepts it, as ``maxlen`` may be
    set later.

    Examples
    --------
    >>> from sksequence.text import TextTokenizer
    >>> docs = ["the cat sat", "the dog sat down", "a cat"]
    >>> tokenizer = TextTokenizer(maxlen=4).fit(docs)
    >>> tokenizer.vocabulary_
    {'cat': 2, 'sat': 3, 'the': 4, 'a': 5, 'dog': 6, 'down': 7}
    >>> tokenizer.transform(["The cat sat on the mat", "a dog"])
    array([[3, 1, 4, 1],
           [0, 0, 5, 6]])
    >>> tokenizer.inverse_transform([[0, 0, 5, 6]])
    [['a', 'dog']]
    >>> ragged = TextTokenizer(num_words=4).fit_transform(docs)
    >>> [ids.tolist() for ids in ragged]
    [[1, 2, 3], [1, 1, 3, 1], [1, 2]]
    """

    _parameter_constraints: dict = {
        "num_words": [Interval(Integral, 3, None, closed="left"), None],
        "maxlen": [Interval(Integral, 1, None, closed="left"), None],
        "padding": [StrOptions({"pre", "post"})],
        "truncating": [StrOptions({"pre", "post"})],
        "lowercase": ["boolean"],
        "analyzer": [StrOptions({"word", "char"}), callable],
        "token_pattern": [str],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        num_words=None,
        maxlen=None,
        padding="pre",
        truncating="pre",
        lowercase=True,
        analyzer="word",
        token_pattern=DEFAULT_TOKEN_PATTERN,
        min_frequency=1,
    ):
        self.num_words = num_words
        self.maxlen = maxlen
        self.padding = padding
        self.truncating = truncating
        self.lowercase = lowercase
        self.analyzer = analyzer
        self.token_pattern = token_pattern
        self.min_frequency = min_frequency

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of the documents.

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of str
            Training documents (a one-column DataFrame works too).
        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        self._fit_ids(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the documents' ids.

        Same result as ``fit(X).transform(X)``, but tokenises ``X`` once.

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of str
            Training documents (a one-column DataFrame works too).
        y : None
            Ignored.

        Returns
        -------
        ids : ndarray of shape (n_documents, maxlen) or list of ndarray
            See :meth:`transform`.
        """
        self._check_output_container()
        return self._format(*self._fit_ids(X))

    def transform(self, X):
        """Map documents to token ids.

        Parameters
        ----------
        X : list, tuple, 1-D array or pandas Series of str
            Documents (a one-column DataFrame works too).

        Returns
        -------
        ids : ndarray of shape (n_documents, maxlen) or list of ndarray
            int64 ids, 0-padded to ``maxlen``; with ``maxlen=None``, a list
            with one 1-D array of length at least 1 per document.
        """
        check_is_fitted(self)
        self._check_output_container()
        token_seqs = self._tokenize(_validate_documents(X))
        lengths = _lengths(token_seqs)
        flat_ids = _lookup(token_seqs, self._token_ids, int(lengths.sum()))
        return self._format(flat_ids, lengths)

    def inverse_transform(self, X):
        """Map ids back to tokens, dropping padding.

        Parameters
        ----------
        X : array-like of shape (n_documents, maxlen) or list of 1-D arrays
            Token ids, as returned by :meth:`transform`.

        Returns
        -------
        tokens : list of list of str
            The tokens of each document; id 1 becomes ``"<unk>"``.
        """
        check_is_fitted(self)
        if isinstance(X, pd.DataFrame):
            X = X.to_numpy()
        id_to_token = np.array([None, UNK_TOKEN, *self.vocabulary_], dtype=object)
        rows = [np.asarray(row) for row in X]
        for i, row in enumerate(rows):
            _check_ids(row, i, self.vocab_size_)
        return [id_to_token[row[row != PAD_ID]].tolist() for row in rows]

    def set_output(self, *, transform=None):
        """Set the output container of :meth:`transform` and :meth:`fit_transform`.

        Always available, whatever ``maxlen`` is (scikit-learn's own
        ``set_output`` disappears with ``get_feature_names_out``); see Notes
        for ``maxlen=None``.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            ``"default"`` returns arrays; ``"pandas"`` and ``"polars"``
            return DataFrames of the padded ids; None leaves the setting
            unchanged.

        Returns
        -------
        self : TextTokenizer
            The tokenizer.
        """
        if transform is None:
            return self
        # The attribute scikit-learn's own set_output writes (as
        # FunctionTransformer does): its transform wrapper and clone read it.
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    @_padded_output_only
    def get_feature_names_out(self, input_features=None):
        """Name each output column: ``token_0`` to ``token_{maxlen-1}``.

        Only defined when ``maxlen`` is set: ragged output has no columns
        (with ``maxlen=None``, accessing this method raises a ValueError).

        Parameters
        ----------
        input_features : None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per column of the padded output.
        """
        check_is_fitted(self)
        return np.asarray([f"token_{i}" for i in range(self.maxlen)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _tokenize(self, docs):
        return _tokenize(
            docs,
            analyzer=self.analyzer,
            lowercase=self.lowercase,
            token_pattern=self.token_pattern,
        )

    def _fit_ids(self, X):
        """Fit the vocabulary; return ``(flat_ids, lengths)`` of ``X``."""
        token_seqs = self._tokenize(_validate_documents(X))
        lengths = _lengths(token_seqs)
        first_seen, codes = _factorize(token_seqs, int(lengths.sum()))
        vocabulary, recode = _rank_vocabulary(
            first_seen,
            codes,
            num_words=self.num_words,
            min_frequency=self.min_frequency,
        )
        if not vocabulary:
            raise ValueError(self._empty_vocabulary_message(len(first_seen)))
        # Keys as _tokenize makes them (bytes for word runs), for transform.
        self._token_ids = vocabulary
        if _uses_word_runs(self.analyzer, self.token_pattern):
            vocabulary = {token.decode(): i for token, i in vocabulary.items()}
        self.vocabulary_ = vocabulary
        self.vocab_size_ = len(vocabulary) + 2
        return recode[codes], lengths

    def _empty_vocabulary_message(self, n_distinct):
        if n_distinct == 0:
            return (
                "The vocabulary is empty: no document contains a token "
                f"(analyzer={self.analyzer!r}, token_pattern="
                f"{self.token_pattern!r}). Check the documents and token_pattern."
            )
        return (
            f"The vocabulary is empty: none of the {n_distinct} distinct tokens "
            f"occurs at least min_frequency={self.min_frequency} times. Lower "
            "min_frequency."
        )

    def _check_output_container(self):
        container = getattr(self, "_sklearn_output_config", {}).get("transform")
        if self.maxlen is None and container in ("pandas", "polars"):
            raise ValueError(
                f"TextTokenizer cannot return a {container} DataFrame: "
                f"{_RAGGED_OUTPUT}, but set_output(transform={container!r}) was "
                "called on it (directly or by Pipeline.set_output). Set maxlen "
                "to an int to get a padded (n_documents, maxlen) table of ids, or "
                "call set_output on the tabular steps only (or "
                "set_output(transform='default') on the tokenizer)."
            )

    def _format(self, flat_ids, lengths):
        flat_ids, lengths = _fill_empty(flat_ids, lengths)
        if self.maxlen is None:
            return _split(flat_ids, lengths)
        return _pad(
            flat_ids,
            lengths,
            self.maxlen,
            padding=self.padding,
            truncating=self.truncating,
        )


def _check_ids(row, index, vocab_size):
    """Raise if a row of ids is not 1-D integers in ``[0, vocab_size)``."""
    if row.ndim != 1 or not np.issubdtype(row.dtype, np.integer):
        raise ValueError(
            "inverse_transform expects rows of integer ids, but row "
            f"{index} has dtype {row.dtype} and shape {row.shape}."
        )
    if row.size and (row.min() < 0 or row.max() >= vocab_size):
        raise ValueError(
            f"Row {index} contains ids outside [0, {vocab_size}), the ids of "
            "this fitted TextTokenizer. Were the ids made by another tokenizer?"
        )
