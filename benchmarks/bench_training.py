"""Benchmark: training speed of sksequence against a hand-written loop and skorch.

Same module (``sksequence._module.RNNModule``), same data, same optimizer;
systems run interleaved in one process, medians over rounds, wall and CPU
time (CPU time of the one torch thread is the work done, robust to other
processes sharing the machine). Sections:

* ``fixed``: IMDB-like token ids, every sequence 200 tokens, Embedding 32 ->
  LSTM 32 -> Linear, batch 128: (a) the hand-written loop, (a') the same loop
  on a textbook ``nn.LSTM`` model, (b) plain skorch with its per-sample
  ``DataLoader``, (c) ``RNNClassifier`` (epoch time, and whole ``fit``).
* ``variable``: lengths uniform in 20..400: padding every batch to 400,
  cutting random batches to their own longest member, ``pack_padded_sequence``,
  and sksequence's length buckets; the "ceiling" is the time ratio if cost
  were proportional to the real (unpadded) steps.
* ``tiny``: Embedding 8 -> LSTM 8, 20 steps, batch 32: per-batch overhead.
* ``cells``: SimpleRNN, LSTM and GRU, hand loop vs sksequence.
* ``memory``: peak resident memory of ``fit`` above the data, in units of
  one padded copy of the training data (run in a fresh subprocess).
* ``threads``: 1 vs 2 torch threads for the tiny and the fixed model.

Run::

    python benchmarks/bench_training.py               # a few minutes
    python benchmarks/bench_training.py --quick       # under a minute
    python benchmarks/bench_training.py --threads 2   # torch threads (default 1)
    python benchmarks/bench_training.py --sections fixed tiny
"""

import json
import subprocess
import sys

import numpy as np
import torch
from _common import (
    PlainRNN,
    benchmark_parser,
    environment,
    hand_train,
    interleave,
    make_module,
    make_tokens,
    ratio_table,
    review_lengths,
    set_threads,
    skorch_train,
    sks_fit,
    sks_train,
)

BATCH = 128


def fixed(n, rounds):
    X, L, y = make_tokens(n, 200)
    cases = {
        "(a) hand loop, RNNModule": lambda: hand_train(
            make_module(), X, L, y, batch_size=BATCH, epochs=2
        ),
        "(a') hand loop, nn.LSTM": lambda: hand_train(
            _plain(), X, L, y, batch_size=BATCH, epochs=2
        ),
        "(b) skorch": lambda: skorch_train(
            make_module(), X, L, y, batch_size=BATCH, epochs=2
        ),
        "(c) sksequence epoch": lambda: sks_train(X, y, batch_size=BATCH, epochs=2),
        "(c) sksequence whole fit / epoch": lambda: sks_fit(
            X, y, batch_size=BATCH, epochs=2
        ),
    }
    medians = interleave(cases, rounds)
    return ratio_table(
        f"Fixed-length training epoch ({n} x 200 tokens, batch {BATCH})",
        medians,
        "(a) hand loop, RNNModule",
    )


def _plain(cell="lstm"):
    torch.manual_seed(0)
    return PlainRNN(cell)


def variable(n, rounds, pack):
    lengths = review_lengths(n)
    X, L, y = make_tokens(n, int(lengths.max()), lengths=lengths)
    cases = {
        "(a) pad all to 400": lambda: hand_train(
            make_module(), X, L, y, batch_size=BATCH, epochs=1
        ),
        "(a) random batches cut to their longest": lambda: hand_train(
            make_module(), X, L, y, batch_size=BATCH, epochs=1, mode="trim"
        ),
        "(c) sksequence (length buckets)": lambda: sks_train(
            X, y, batch_size=BATCH, epochs=1
        ),
    }
    medians = interleave(cases, rounds)
    if pack:
        # Packing is slow: one round on a quarter of the rows, scaled up.
        part = slice(0, n // 4)
        wall, cpu = hand_train(
            _plain(), X[part], L[part], y[part], batch_size=BATCH, mode="pack"
        )
        share = n / (n // 4)
        medians["(a) pack_padded_sequence (1 round, n/4, scaled)"] = (
            share * wall,
            share * cpu,
        )
    ceiling = L.max() / L.mean()
    base = medians["(a) pad all to 400"]
    sks = medians["(c) sksequence (length buckets)"]
    extra = [
        f"Speed-up of sksequence over padding everything: wall "
        f"{base[0] / sks[0]:.2f}x, CPU {base[1] / sks[1]:.2f}x; padding ceiling "
        f"(max length / mean length) {ceiling:.2f}x, so sksequence reaches "
        f"{base[1] / sks[1] / ceiling:.0%} of it (CPU)."
    ]
    return ratio_table(
        f"Variable-length training epoch ({n} sequences, 20..400 tokens, "
        f"batch {BATCH})",
        medians,
        "(a) pad all to 400",
        extra,
    )


def tiny(n, rounds):
    X, L, y = make_tokens(n, 20)
    small = {"embed": 8, "hidden": 8}
    cases = {
        "(a) hand loop": lambda: hand_train(
            make_module(**small), X, L, y, batch_size=32, epochs=2
        ),
        "(b) skorch": lambda: skorch_train(
            make_module(**small), X, L, y, batch_size=32, epochs=2
        ),
        "(c) sksequence": lambda: sks_train(X, y, batch_size=32, epochs=2, **small),
    }
    medians = interleave(cases, rounds)
    n_batches = -(-n // 32)
    extra = [
        f"Per batch (CPU): {name} {1e6 * cpu / n_batches:.0f} us"
        for name, (_, cpu) in medians.items()
    ]
    return ratio_table(
        f"Tiny model, per-batch overhead ({n} x 20 tokens, Embedding 8 -> LSTM 8, "
        "batch 32)",
        medians,
        "(a) hand loop",
        extra,
    )


def cells(n, rounds):
    X, L, y = make_tokens(n, 100)
    cases = {}
    for cell in ("rnn", "lstm", "gru"):
        cases[f"(a) hand loop, {cell}"] = lambda cell=cell: hand_train(
            make_module(cell), X, L, y, batch_size=BATCH, epochs=2
        )
        cases[f"(c) sksequence, {cell}"] = lambda cell=cell: sks_train(
            X, y, cell=cell, batch_size=BATCH, epochs=2
        )
    medians = interleave(cases, rounds)
    lines = [
        f"\n### Cell types, training epoch ({n} x 100 tokens, batch {BATCH})\n",
        "| cell | hand loop CPU (ms) | sksequence CPU (ms) | CPU ratio | wall ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for cell in ("rnn", "lstm", "gru"):
        hand = medians[f"(a) hand loop, {cell}"]
        sks = medians[f"(c) sksequence, {cell}"]
        lines.append(
            f"| {cell} | {1000 * hand[1]:.1f} | {1000 * sks[1]:.1f} "
            f"| {sks[1] / hand[1]:.3f} | {sks[0] / hand[0]:.3f} |"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text


_MEMORY_CHILD = """
import gc, json, sys, tracemalloc
import numpy as np

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

sys.path.insert(0, "benchmarks")
from _common import make_tokens, review_lengths, make_estimator
n, kind, early, trace = (int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1",
                         sys.argv[4] == "1")
if kind.startswith("tokens"):
    lengths = review_lengths(n)
    X, L, y = make_tokens(n, int(lengths.max()), lengths=lengths)
    if kind == "tokens, pre-padded":
        X = np.stack([np.roll(row, X.shape[1] - l) for row, l in zip(X, L)])
else:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 200, 4)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
est = make_estimator(epochs=1, batch_size=512, hidden=4, embed=4,
                     early_stopping=early)
est.fit(X[:64], y[:64])  # warm up: imports, allocator pools
gc.collect()
if trace:
    # numpy reports its allocations to tracemalloc; torch tensors made from
    # the data share numpy's memory, and batches are small.
    tracemalloc.start()
    est.fit(X, y)
    extra = tracemalloc.get_traced_memory()[1]
else:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS mark (VmHWM) to the current RSS
    before = status("VmRSS")
    est.fit(X, y)
    extra = status("VmHWM") - before
print(json.dumps({"copy": X.nbytes, "extra": extra}))
"""


def _memory_child(n, kind, early, trace):
    args = [str(n), kind, str(int(early)), str(int(trace))]
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def memory(n):
    lines = [
        f"\n### Memory during fit ({n} sequences; one fresh process per cell)\n",
        "| input | early stopping | padded copy (MB) | data path peak (MB) | "
        "data path copies | RSS growth (MB) | RSS growth, n/10 rows (MB) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    configs = [
        ("tokens, post-padded", False),
        ("tokens, post-padded", True),
        ("tokens, pre-padded", False),
        ("float32", False),
        ("float32", True),
    ]
    for kind, early in configs:
        traced = _memory_child(n, kind, early, trace=True)
        rss = _memory_child(n, kind, early, trace=False)
        small = _memory_child(n // 10, kind, early, trace=False)
        copy = traced["copy"]
        lines.append(
            f"| {kind} | {early} | {copy / 1e6:.0f} | {traced['extra'] / 1e6:.1f} | "
            f"{traced['extra'] / copy:.2f} | {rss['extra'] / 1e6:.0f} | "
            f"{small['extra'] / 1e6:.0f} |"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def threads(n, rounds):
    X, _, y = make_tokens(n, 20)
    Xf, _, yf = make_tokens(max(n // 4, 256), 200)
    small = {"embed": 8, "hidden": 8}
    cases = {}
    for count in (1, 2):

        def run(count=count, big=False):
            torch.set_num_threads(count)
            if big:
                return sks_train(Xf, yf, batch_size=BATCH, epochs=1)
            return sks_train(X, y, batch_size=32, epochs=1, **small)

        cases[f"tiny, {count} thread(s)"] = run
        cases[f"LSTM 32 x 200 steps, {count} thread(s)"] = lambda r=run: r(big=True)
    previous = torch.get_num_threads()
    try:
        medians = interleave(cases, rounds)
    finally:
        torch.set_num_threads(previous)
    lines = [
        "\n### Torch threads: sksequence training epoch, wall time\n",
        "| model | 1 thread (ms) | 2 threads (ms) | 2 threads / 1 thread |",
        "|---|---:|---:|---:|",
    ]
    for model in ("tiny", "LSTM 32 x 200 steps"):
        one = medians[f"{model}, 1 thread(s)"][0]
        two = medians[f"{model}, 2 thread(s)"][0]
        lines.append(
            f"| {model} | {1000 * one:.0f} | {1000 * two:.0f} | {two / one:.2f} |"
        )
    text = "\n".join(lines)
    print(text, flush=True)
    return text


SECTIONS = ("fixed", "variable", "tiny", "cells", "memory", "threads")


def main():
    parser = benchmark_parser(__doc__, SECTIONS)
    parser.add_argument("--no-pack", action="store_true", help="skip packing")
    args = parser.parse_args()
    set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 3)
    scale = 8 if args.quick else 1
    print(f"Training benchmark: {environment(args.threads)}; {rounds} round(s)")
    for section in args.sections:
        if section == "fixed":
            fixed(4000 // scale, rounds)
        elif section == "variable":
            variable(2000 // scale, rounds, pack=not (args.no_pack or args.quick))
        elif section == "tiny":
            tiny(4096, rounds)
        elif section == "cells":
            cells(2000 // scale, rounds)
        elif section == "memory":
            memory(20000 // scale)
        elif section == "threads":
            threads(4096 // scale, rounds)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
