"""Benchmark: prediction speed of sksequence against torch.inference_mode and skorch.

One fitted ``RNNClassifier``; its torch module is also run (a) by hand under
``torch.inference_mode`` over batches of pre-made tensors and (b) by plain
skorch's ``predict_proba`` (per-sample ``DataLoader``); (c) is
``RNNClassifier.predict_proba`` (input validation included). Interleaved
rounds, medians, wall and CPU time. Sections:

* ``cells``: 200-token sequences, SimpleRNN / LSTM / GRU, batch 128 for (a)
  and (b), sksequence's own prediction batch size for (c);
* ``batch``: the hand-written inference loop at batch sizes 32..1024, which
  is how sksequence's prediction batch size was chosen;
* ``variable``: lengths 20..400, (a) at full width vs sksequence (sorted).

Run::

    python benchmarks/bench_inference.py              # about a minute
    python benchmarks/bench_inference.py --quick
    python benchmarks/bench_inference.py --threads 2
"""

import numpy as np
from _common import (
    benchmark_parser,
    environment,
    hand_predict,
    interleave,
    make_estimator,
    make_tokens,
    ratio_table,
    review_lengths,
    set_threads,
    skorch_predict,
    timed,
)

from sksequence import _base

BATCH = 128


def fitted(cell, X, y):
    """A model fitted briefly on the first rows; X clipped to its vocabulary."""
    est = make_estimator(cell, batch_size=BATCH, epochs=1).fit(X[:512], y[:512])
    return est, np.where(X < est.vocab_size_, X, 1)


def cells(n, rounds):
    X, L, y = make_tokens(n, 200)
    texts = []
    for cell in ("rnn", "lstm", "gru"):
        est, Xc = fitted(cell, X, y)
        module = est.net_.module_
        cases = {
            "(a) torch.inference_mode": lambda m=module, Xc=Xc: timed(
                lambda: hand_predict(m, Xc, L, batch_size=BATCH)
            ),
            "(b) skorch predict_proba": lambda m=module, Xc=Xc: timed(
                lambda: skorch_predict(m, Xc, L, batch_size=BATCH)
            ),
            "(c) sksequence predict_proba": lambda est=est, Xc=Xc: timed(
                lambda: est.predict_proba(Xc)
            ),
        }
        proba = est.predict_proba(Xc)[:, 1]
        reference = hand_predict(module, Xc, L)[:, 0]
        diff = float(np.abs(proba - reference).max())
        texts.append(
            ratio_table(
                f"Inference, {cell} ({n} x 200 tokens; sksequence batch "
                f"{_base.PREDICT_BATCH_SIZE})",
                interleave(cases, rounds),
                "(a) torch.inference_mode",
                [f"Largest difference between (a) and (c) probabilities: {diff:.1e}"],
            )
        )
    return "\n".join(texts)


def batch_sizes(n, rounds):
    X, L, y = make_tokens(n, 200)
    est, Xc = fitted("lstm", X, y)
    module = est.net_.module_
    cases = {
        f"batch {size}": lambda size=size: timed(
            lambda: hand_predict(module, Xc, L, batch_size=size)
        )
        for size in (32, 64, 128, 256, 512, 1024)
    }
    return ratio_table(
        f"Inference batch size, LSTM, torch.inference_mode ({n} x 200 tokens)",
        interleave(cases, rounds),
        "batch 128",
    )


def variable(n, rounds):
    lengths = review_lengths(n)
    X, L, y = make_tokens(n, int(lengths.max()), lengths=lengths)
    est, Xc = fitted("lstm", X, y)
    module = est.net_.module_
    cases = {
        "(a) torch.inference_mode, full width": lambda: timed(
            lambda: hand_predict(module, Xc, L, batch_size=BATCH)
        ),
        "(c) sksequence predict_proba (sorted by length)": lambda: timed(
            lambda: est.predict_proba(Xc)
        ),
    }
    return ratio_table(
        f"Variable-length inference, LSTM ({n} sequences, 20..400 tokens)",
        interleave(cases, rounds),
        "(a) torch.inference_mode, full width",
    )


SECTIONS = ("cells", "batch", "variable")


def main():
    parser = benchmark_parser(__doc__, SECTIONS)
    args = parser.parse_args()
    set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 5)
    scale = 4 if args.quick else 1
    print(f"Inference benchmark: {environment(args.threads)}; {rounds} round(s)")
    for section in args.sections:
        if section == "cells":
            cells(4000 // scale, rounds)
        elif section == "batch":
            batch_sizes(4000 // scale, rounds)
        elif section == "variable":
            variable(2000 // scale, rounds)


if __name__ == "__main__":
    main()
