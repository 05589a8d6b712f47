"""Pretrained word vectors for the token embedding of a text model.

Two pieces:

* :func:`align_vectors` turns a token -> vector mapping (a dict, gensim's
  ``KeyedVectors``, anything with ``in`` and ``[]``) into the embedding
  matrix of a fitted :class:`~sksequence.TextTokenizer`, row ``i`` for id
  ``i``, and reports the coverage;
* :class:`PretrainedEmbeddings` does that *at fit time* inside a text
  pipeline, so a grid search over the tokenizer's ``num_words`` (or a
  cross-validation, where each fold fits its own vocabulary) always gets a
  matrix aligned with the vocabulary it trains on.
"""

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._sklearn_compat import _fit_context
from .text import TextTokenizer

__all__ = ["PretrainedEmbeddings", "align_vectors"]


def align_vectors(tokenizer, vectors, *, random_state=0):
    """The embedding matrix of a fitted tokenizer's vocabulary.

    Parameters
    ----------
    tokenizer : TextTokenizer
        A fitted tokenizer; row ``i`` of the result belongs to its id ``i``.
    vectors : mapping of str to array-like
        Token -> vector, all of one length (a ``dict``, gensim's
        ``KeyedVectors``, ...). Tokens are looked up as the tokenizer
        produces them (lower-cased when it lower-cases).
    random_state : int, default=0
        Seeds the rows of tokens without a vector: small uniform values in
        +-0.05 (Keras' embedding initialisation), so they can still learn.

    Returns
    -------
    weights : ndarray of shape (tokenizer.vocab_size_, dim), float32
        Row 0 (padding) is zero, row 1 (unknown) is the mean vector.
    coverage : dict
        ``n_tokens`` (vocabulary tokens), ``n_found`` (with a vector),
        ``fraction`` and ``missing`` (up to 20 frequent tokens without one).

    Examples
    --------
    >>> from sksequence import TextTokenizer
    >>> tok = TextTokenizer().fit(["the cat sat", "the dog"])
    >>> vectors = {"the": [1.0, 0.0], "cat": [0.0, 1.0]}
    >>> weights, coverage = align_vectors(tok, vectors)
    >>> weights.shape, coverage["n_found"], coverage["missing"]
    ((6, 2), 2, ['dog', 'sat'])
    """
    check_is_fitted(tokenizer, "vocabulary_")
    found = {
        token: np.asarray(vectors[token], dtype=np.float32)
        for token in tokenizer.vocabulary_
        if token in vectors
    }
    if not found:
        raise ValueError(
            f"None of the {len(tokenizer.vocabulary_)} vocabulary tokens has a "
            "vector. Check that the vectors use the tokenizer's tokens (e.g. "
            "lower case when lowercase=True, characters when analyzer='char')."
        )
    dims = {vector.shape for vector in found.values()}
    if len(dims) != 1 or len(next(iter(dims))) != 1:
        raise ValueError(
            f"Every vector must be 1-D and of one length, got shapes {sorted(dims)}."
        )
    dim = next(iter(dims))[0]
    rng = np.random.default_rng(random_state)
    weights = rng.uniform(-0.05, 0.05, size=(tokenizer.vocab_size_, dim))
    weights = weights.astype(np.float32)
    weights[0] = 0.0
    for token, vector in found.items():
        weights[tokenizer.vocabulary_[token]] = vector
    weights[1] = np.mean(list(found.values()), axis=0)
    if not np.isfinite(weights).all():
        raise ValueError("The vectors hold NaN or infinite values.")
    missing = [t for t in tokenizer.vocabulary_ if t not in found][:20]
    n_tokens = len(tokenizer.vocabulary_)
    coverage = {
        "n_tokens": n_tokens,
        "n_found": len(found),
        "fraction": len(found) / n_tokens,
        "missing": missing,
    }
    return weights, coverage


class PretrainedEmbeddings(BaseEstimator):
    """A text pipeline whose embedding starts from pretrained vectors.

    ``fit`` fits every step of ``pipeline`` but the last, aligns ``vectors``
    with the vocabulary of its :class:`~sksequence.TextTokenizer` step
    (:func:`align_vectors`), and fits the final RNN estimator with that
    matrix as ``embedding_weights``. The alignment therefore follows the
    vocabulary actually fitted, in every fold of a cross-validation and for
    every ``num_words`` of a grid search (``pipeline__texttokenizer__num_words``).

    Parameters
    ----------
    pipeline : Pipeline
        Steps ending in an :class:`~sksequence.RNNClassifier` or
        :class:`~sksequence.RNNRegressor`, with a ``TextTokenizer`` step
        before it.
    vectors : mapping of str to array-like
        Token -> vector (a ``dict``, gensim's ``KeyedVectors``, ...).
    freeze : bool, default=False
        Keep the pretrained embedding fixed during training.

    Attributes
    ----------
    pipeline_ : Pipeline
        The fitted pipeline.
    coverage_ : dict
        What :func:`align_vectors` reported for the fitted vocabulary.
    classes_ : ndarray
        The classes, for a classifier.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sksequence import RNNClassifier, TextTokenizer
    >>> docs = ["good film", "bad film", "good story", "bad story"] * 5
    >>> y = [1, 0, 1, 0] * 5
    >>> vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0]}
    >>> model = PretrainedEmbeddings(
    ...     make_pipeline(TextTokenizer(maxlen=3),
    ...                   RNNClassifier(hidden_size=4, max_epochs=2, random_state=0)),
    ...     vectors, freeze=True).fit(docs, y)
    >>> model.coverage_["n_found"], model.predict(["good story"]).shape
    (3, (1,))
    """

    _parameter_constraints = {
        "pipeline": [Pipeline],
        "vectors": "no_validation",
        "freeze": ["boolean"],
    }

    def __init__(self, pipeline, vectors, *, freeze=False):
        self.pipeline = pipeline
        self.vectors = vectors
        self.freeze = freeze

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the pipeline, starting its embedding from the aligned vectors.

        Parameters
        ----------
        X : list of str
            Documents.
        y : array-like of shape (n_samples,)
        **fit_params : dict
            Passed to the final estimator's ``fit``.

        Returns
        -------
        self : PretrainedEmbeddings
        """
        pipeline = clone(self.pipeline)
        *head, (_, model) = pipeline.steps
        tokenizers = [step for _, step in head if isinstance(step, TextTokenizer)]
        if not tokenizers or not hasattr(model, "embedding_weights"):
            raise ValueError(
                "PretrainedEmbeddings needs a pipeline with a TextTokenizer step "
                "and a final RNNClassifier or RNNRegressor, got steps "
                f"{[type(step).__name__ for _, step in pipeline.steps]}."
            )
        Xt = X
        for _, step in head:
            Xt = step.fit_transform(Xt, y)
        weights, coverage = align_vectors(tokenizers[-1], self.vectors)
        model.set_params(embedding_weights=weights, freeze_embedding=self.freeze)
        model.fit(Xt, y, **fit_params)
        self.pipeline_ = pipeline
        self.coverage_ = coverage
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_
        return self

    def predict(self, X):
        """Predictions of the fitted pipeline."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the fitted pipeline (classifiers only)."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """The final estimator's default score (accuracy or R^2)."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        final = self.pipeline.steps[-1][1]
        final_tags = final.__sklearn_tags__()
        tags.estimator_type = final_tags.estimator_type
        tags.classifier_tags = final_tags.classifier_tags
        tags.regressor_tags = final_tags.regressor_tags
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
