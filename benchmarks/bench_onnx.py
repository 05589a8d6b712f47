"""Benchmark: ONNX Runtime on the exported graph against torch.inference_mode.

One fitted ``RNNClassifier`` per configuration (token input, Embedding 32,
LSTM or GRU, hidden 32 or 64), exported with ``sksequence.export.to_onnx``.
Per call, on the same post-padded batch:

* ``torch``: the fitted module under ``torch.inference_mode`` plus the
  sigmoid (what ``predict_proba`` computes, without input validation);
* ``onnxruntime``: ``InferenceSession.run`` of the exported graph (input
  preparation, network, probabilities and labels), CPU provider;
* ``sksequence``: ``RNNClassifier.predict_proba`` (validation included), for
  reference (``--sections`` ``sksequence``).

One thread each by default (``torch.set_num_threads`` and ONNX Runtime's
``intra_op_num_threads``), interleaved rounds, medians of wall and CPU time
per call. Sections: ``batch1`` (latency, one sequence per call) and
``batch32`` (small batches).

Run::

    python benchmarks/bench_onnx.py                # about a minute
    python benchmarks/bench_onnx.py --quick
    python benchmarks/bench_onnx.py --sections batch1 --rounds 11
"""

import numpy as np
import onnxruntime
import torch
from _common import (
    benchmark_parser,
    environment,
    interleave,
    make_estimator,
    make_tokens,
    set_threads,
    timed,
)

from sksequence.export import to_onnx

CONFIGS = [
    (cell, hidden, steps)
    for cell in ("lstm", "gru")
    for hidden in (32, 64)
    for steps in (50, 200)
]
QUICK_CONFIGS = [("lstm", 32, 50), ("gru", 64, 200)]
BATCHES = {"batch1": 1, "batch32": 32}
# Calls per timing, so that one timing lasts milliseconds, not microseconds.
CALLS = {1: 50, 32: 10}


def fitted(cell, hidden, steps):
    """A model fitted for one epoch on 512 rows, and its exported graph."""
    X, _, y = make_tokens(512, steps)
    est = make_estimator(cell, hidden=hidden, epochs=1).fit(X, y)
    return est, to_onnx(est).SerializeToString()


def session(model, threads):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(
        model, options, providers=["CPUExecutionProvider"]
    )


def torch_proba(module, X, lengths):
    with torch.inference_mode():
        return torch.sigmoid(module(X, lengths).double())


def per_call(func, calls):
    """(wall, cpu) seconds per call of ``func``, over ``calls`` calls."""

    def run():
        for _ in range(calls):
            func()

    wall, cpu = timed(run)
    return wall / calls, cpu / calls


def compare(cell, hidden, steps, batch, rounds, threads, with_sksequence):
    est, model = fitted(cell, hidden, steps)
    module = est.net_.module_.eval()
    ort = session(model, threads)
    X, lengths, _ = make_tokens(batch, steps, seed=1)
    X = np.where(X < est.vocab_size_, X, 1)
    Xt, Lt = torch.from_numpy(X), torch.from_numpy(lengths)
    feed = {"X": X, "lengths": lengths}
    calls = CALLS[batch]
    cases = {
        "torch": lambda: per_call(lambda: torch_proba(module, Xt, Lt), calls),
        "onnxruntime": lambda: per_call(lambda: ort.run(None, feed), calls),
    }
    if with_sksequence:
        cases["sksequence"] = lambda: per_call(lambda: est.predict_proba(X), calls)
    medians = interleave(cases, rounds)
    proba = ort.run(["probabilities"], feed)[0][:, 1]
    diff = float(np.abs(proba - torch_proba(module, Xt, Lt)[:, 0].numpy()).max())
    return medians, diff


def table(title, rows, with_sksequence):
    extra = " sksequence (ms) |" if with_sksequence else ""
    lines = [
        f"\n### {title}\n",
        "| cell | hidden | steps | torch (ms) | ORT (ms) | ORT speed-up, wall "
        f"| ORT speed-up, CPU |{extra} max abs diff |",
        "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * bool(extra) + "---:|",
    ]
    for (cell, hidden, steps), medians, diff in rows:
        (t_wall, t_cpu), (o_wall, o_cpu) = medians["torch"], medians["onnxruntime"]
        cells = [
            cell,
            str(hidden),
            str(steps),
            f"{1000 * t_wall:.3f}",
            f"{1000 * o_wall:.3f}",
            f"{t_wall / o_wall:.2f}x",
            f"{t_cpu / o_cpu:.2f}x",
        ]
        if with_sksequence:
            cells.append(f"{1000 * medians['sksequence'][0]:.3f}")
        cells.append(f"{diff:.1e}")
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


SECTIONS = ("batch1", "batch32", "sksequence")


def main():
    parser = benchmark_parser(__doc__, SECTIONS)
    parser.set_defaults(sections=["batch1", "batch32"])
    args = parser.parse_args()
    set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 7)
    configs = QUICK_CONFIGS if args.quick else CONFIGS
    with_sksequence = "sksequence" in args.sections
    print(
        f"ONNX benchmark: {environment(args.threads)}, onnxruntime "
        f"{onnxruntime.__version__} ({args.threads} intra-op thread(s)); "
        f"{rounds} round(s), medians per call"
    )
    for section, batch in BATCHES.items():
        if section not in args.sections:
            continue
        rows = []
        for config in configs:
            medians, diff = compare(
                *config, batch, rounds, args.threads, with_sksequence
            )
            rows.append((config, medians, diff))
        table(
            f"Batch {batch}: token ids, Embedding 32, one call = one batch",
            rows,
            with_sksequence,
        )


if __name__ == "__main__":
    main()
