"""Benchmark TextTokenizer against two reference pipelines (fit + transform).

Each method turns the same synthetic corpus into a 0-padded id array of shape
``(n_docs, maxlen)`` with a vocabulary capped at ``num_words``:

(a) the reference: ``CountVectorizer(...).build_analyzer()`` on every document,
    ``Counter`` for the frequencies, a dict lookup and a per-row padding loop;
(b) a plain Python ``str.split`` + dict tokenizer (Keras ``Tokenizer`` style);
(c) ``TextTokenizer(num_words=..., maxlen=...).fit_transform``.

The methods run interleaved over several rounds in one process, and the table
reports the median time of each and its ratio to (a). (a) uses the same token
pattern and tie-breaking as (c), so their outputs are checked to be equal.

Usage::

    python benchmarks/bench_tokenizer.py          # 25k docs x ~230 words
    python benchmarks/bench_tokenizer.py --quick  # small, a few seconds
"""

import argparse
import gc
import statistics
import sys
import time
from collections import Counter
from itertools import chain, pairwise

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from sksequence.text import DEFAULT_TOKEN_PATTERN, TextTokenizer

if "torch" in sys.modules:  # importing sksequence may import torch
    sys.modules["torch"].set_num_threads(1)


def make_corpus(n_docs, mean_words, vocab_size, seed=0):
    """Review-like documents: Zipf-distributed words, sentences, punctuation."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    word_lengths = rng.integers(1, 12, size=vocab_size)
    words = np.array(["".join(rng.choice(letters, size=k)) for k in word_lengths])
    p = 1.0 / np.arange(1, vocab_size + 1) ** 1.1
    n_words = np.maximum(rng.poisson(mean_words, size=n_docs), 1)
    tokens = words[rng.choice(vocab_size, size=n_words.sum(), p=p / p.sum())]
    separators = rng.choice(
        [" "] * 12 + [", ", ". ", "! ", "? ", " - ", "'s ", " <br /><br />"],
        size=tokens.size,
    )
    pieces = np.char.add(tokens, separators).tolist()
    bounds = np.concatenate([[0], np.cumsum(n_words)])
    return [
        "".join(pieces[start:stop]).capitalize()
        for start, stop in pairwise(bounds.tolist())
    ]


def _rank(counts, num_words):
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {token: i for i, (token, _) in enumerate(ranked[: num_words - 2], 2)}


def _pad_rows(id_lists, maxlen):
    padded = np.zeros((len(id_lists), maxlen), dtype=np.int64)
    for i, ids in enumerate(id_lists):
        ids = ids[-maxlen:] or [1]
        padded[i, maxlen - len(ids) :] = ids
    return padded


def countvectorizer_path(docs, num_words, maxlen):
    """(a) CountVectorizer's analyzer + Counter + dict lookup + padding loop."""
    analyze = CountVectorizer(token_pattern=DEFAULT_TOKEN_PATTERN).build_analyzer()
    token_lists = [analyze(doc) for doc in docs]
    vocabulary = _rank(Counter(chain.from_iterable(token_lists)), num_words)
    id_lists = [[vocabulary.get(t, 1) for t in tokens] for tokens in token_lists]
    return _pad_rows(id_lists, maxlen)


def split_dict_path(docs, num_words, maxlen):
    """(b) Plain Python lower + split + dict, per-row padding loop."""
    token_lists = [doc.lower().split() for doc in docs]
    vocabulary = _rank(Counter(chain.from_iterable(token_lists)), num_words)
    id_lists = [[vocabulary.get(t, 1) for t in tokens] for tokens in token_lists]
    return _pad_rows(id_lists, maxlen)


def text_tokenizer_path(docs, num_words, maxlen):
    """(c) TextTokenizer.fit_transform."""
    return TextTokenizer(num_words=num_words, maxlen=maxlen).fit_transform(docs)


METHODS = {
    "(a) CountVectorizer analyzer + dict + padding": countvectorizer_path,
    "(b) plain Python split + dict": split_dict_path,
    "(c) TextTokenizer.fit_transform": text_tokenizer_path,
}


def run(docs, rounds, num_words, maxlen):
    """Time every method ``rounds`` times, interleaved.

    Returns ``{name: (median wall seconds, median CPU seconds)}``; CPU time is
    less sensitive to other processes on a shared machine.
    """
    times = {name: [] for name in METHODS}
    outputs = {}
    for _ in range(rounds):
        for name, method in METHODS.items():
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            outputs[name] = method(docs, num_words, maxlen)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    reference, _, ours = outputs.values()
    assert np.array_equal(reference, ours), "TextTokenizer differs from (a)"
    return {
        name: tuple(statistics.median(column) for column in zip(*pairs, strict=True))
        for name, pairs in times.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast run")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    n_docs, rounds = (2_000, 3) if args.quick else (25_000, 5)
    rounds = args.rounds or rounds
    docs = make_corpus(n_docs, mean_words=230, vocab_size=50_000)
    fitted = TextTokenizer().fit(docs)
    n_tokens = sum(map(len, fitted.transform(docs)))
    print(
        f"{n_docs} documents, {n_tokens / n_docs:.0f} tokens each on average "
        f"(~230 words plus punctuation and <br /> tags), "
        f"{fitted.vocab_size_ - 2} distinct tokens; num_words=10000, maxlen=200; "
        f"median of {rounds} interleaved rounds\n"
    )
    medians = run(docs, rounds, num_words=10_000, maxlen=200)
    wall_a, cpu_a = next(iter(medians.values()))
    print("| method | median wall s | ratio vs (a) | median CPU s | ratio vs (a) |")
    print("|---|---:|---:|---:|---:|")
    for name, (wall, cpu) in medians.items():
        cells = [
            f"{wall:.3f}",
            f"{wall / wall_a:.2f}",
            f"{cpu:.3f}",
            f"{cpu / cpu_a:.2f}",
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
