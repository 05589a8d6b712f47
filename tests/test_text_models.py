"""The seed's text models at small size: TextTokenizer -> RNNClassifier.

The examples (``examples/plot_text_sentiment.py``, ``plot_name_gender.py``)
run the same pipelines on real data; these tests run them on a tiny
vocabulary in seconds and check the handshake between the two steps.
"""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sksequence import RNNClassifier, TextTokenizer
from sksequence.diagnostics import count_parameters

POSITIVE = ["good", "great", "lovely", "fine", "tasty"]
NEGATIVE = ["bad", "awful", "stale", "poor", "bland"]
FILLER = ["the", "coffee", "was", "really", "and", "a", "bit", "very", "snack"]


def _reviews(n, seed=0):
    """Short reviews whose label is the sentiment word they contain."""
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for i in range(n):
        label = i % 2
        words = list(rng.choice(FILLER, size=rng.integers(2, 7)))
        words.insert(
            rng.integers(0, len(words) + 1), rng.choice(POSITIVE if label else NEGATIVE)
        )
        docs.append(" ".join(words).capitalize() + ".")
        labels.append("great" if label else "other")
    return docs, np.array(labels)


def _keras_sentiment_model(cell="rnn", num_words=30, **params):
    """Embedding -> SimpleRNN -> one sigmoid unit, RMSprop: the seed's model."""
    settings = {
        "embedding_dim": 8,
        "hidden_size": 8,
        "optimizer": "rmsprop",
        "lr": 1e-2,
        "max_epochs": 15,
        "batch_size": 16,
        "random_state": 0,
    }
    return make_pipeline(
        TextTokenizer(num_words=num_words, maxlen=10),
        RNNClassifier(cell=cell, **{**settings, **params}),
    )


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_keras_sentiment_pipeline_learns_from_raw_strings(cell):
    docs, labels = _reviews(120)
    test_docs, test_labels = _reviews(60, seed=1)
    model = _keras_sentiment_model(cell).fit(docs, labels)
    assert model.score(test_docs, test_labels) > 0.9
    assert list(model.classes_) == ["great", "other"]


def test_keras_sentiment_parameter_count():
    """Keras' count for Embedding(V, 8) -> SimpleRNN(8) -> Dense(1), plus the
    second bias vector torch's recurrent layer has (8 more)."""
    docs, labels = _reviews(40)
    model = _keras_sentiment_model().fit(docs, labels)
    vocab = model[-1].vocab_size_
    assert vocab == model[0].vocab_size_
    keras = vocab * 8 + (8 * 8 + 8 * 8 + 8) + (8 + 1)
    assert count_parameters(model[-1]) == keras + 8


def test_searching_the_vocabulary_size_never_breaks_the_model():
    """The estimator reads the vocabulary size from the ids it is given."""
    docs, labels = _reviews(60)
    search = GridSearchCV(
        _keras_sentiment_model(max_epochs=2),
        {"texttokenizer__num_words": [3, 8, 1000], "texttokenizer__maxlen": [2, None]},
        cv=2,
    ).fit(docs, labels)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best[-1].vocab_size_ <= best[0].vocab_size_


def test_unseen_words_and_out_of_range_ids_never_crash_prediction():
    docs, labels = _reviews(40)
    model = _keras_sentiment_model(max_epochs=2).fit(docs, labels)
    unseen = ["Zebra quokka xylophone.", "", "good good good"]
    assert model.predict(unseen).shape == (3,)
    rnn = model[-1]
    ids = model[0].transform(["the coffee was good"])
    too_large = ids.copy()
    too_large[too_large > 1] = rnn.vocab_size_ + 500  # ids the model never had
    unknown = np.where(ids > 1, 1, ids)  # the same positions as "unknown" (1)
    np.testing.assert_array_equal(
        rnn.predict_proba(too_large), rnn.predict_proba(unknown)
    )


def test_char_level_name_classifier_with_search_over_cell_and_clipping():
    """The PyTorch tutorial's task, as a pipeline: letters in, a label out."""
    names = [
        "anna",
        "maria",
        "julia",
        "laura",
        "sofia",
        "emma",
        "olga",
        "nina",
        "peter",
        "john",
        "mark",
        "otto",
        "ivan",
        "paul",
        "erik",
        "jan",
    ] * 2
    labels = ["f"] * 8 + ["m"] * 8
    labels = labels * 2
    model = make_pipeline(
        TextTokenizer(analyzer="char", maxlen=8),
        RNNClassifier(
            bidirectional=True,
            embedding_dim=4,
            hidden_size=6,
            lr=3e-2,
            max_epochs=60,
            random_state=0,
        ),
    )
    search = GridSearchCV(
        model,
        {
            "rnnclassifier__cell": ["rnn", "gru"],
            "rnnclassifier__clip_norm": [None, 1.0],
        },
        cv=2,
    ).fit(names, labels)
    assert search.best_params_["rnnclassifier__cell"] in {"rnn", "gru"}
    assert search.best_estimator_.score(names, labels) == 1.0
    assert search.best_estimator_[-1].n_features_in_ == 1  # one id per step
