"""Benchmark: one output per time step against one output per sequence.

Goal (issue "One output per time step, and static features beside the
sequence"): a ``per_step=True`` training epoch costs at most 1.10x the
epoch of the pooled model (``pooling="last"``) on the same sequences with
the same network, and per-step predictions keep the length-bucketed path.

Both models are ``RNNClassifier`` (Embedding 32 -> LSTM 32 -> Linear, batch
128) on the same IMDB-like token ids; the pooled model learns one label per
sequence, the per-step model one label per token (whether the token id is
even). Runs are interleaved (pooled, per-step; pooled, per-step; ...), and
the medians of the epoch times (wall and this thread's CPU) are reported.
A forward pre-hook counts the padded steps the network is fed: if per-step
training or prediction left the length buckets, the counts would differ.
Sections:

* ``train``: training epoch, every sequence 200 tokens (``fixed``) and
  lengths uniform in 20..400 (``variable``);
* ``predict``: ``predict_proba`` on the variable-length sequences.

Run::

    python benchmarks/bench_per_step.py               # about 2 minutes
    python benchmarks/bench_per_step.py --quick       # under a minute
    python benchmarks/bench_per_step.py --sections predict
"""

import numpy as np
from _common import (
    benchmark_parser,
    environment,
    epoch_times,
    interleave,
    make_estimator,
    make_tokens,
    ratio_table,
    review_lengths,
    set_threads,
    timed,
)
from torch.nn.modules.module import register_module_forward_pre_hook

from sksequence._module import RNNModule

BATCH = 128
SECTIONS = ["train", "predict"]
POOLED, PER_STEP = "pooled (pooling='last')", "per step (per_step=True)"


def step_labels(X, lengths):
    """One label per valid token: whether its id is even."""
    return [
        (row[:n] % 2 == 0).astype(np.int64) for row, n in zip(X, lengths, strict=True)
    ]


class StepCounter:
    """Forward pre-hook: the padded steps (batch x width) the network is fed."""

    def __init__(self, estimator):
        self.steps = 0
        estimator.net_.module_.register_forward_pre_hook(self)

    def __call__(self, module, args):
        self.steps += int(args[0].shape[0] * args[0].shape[1])


def training_steps(X, L, y, per_step):
    """Padded steps the network is fed in one training epoch (untimed fit)."""
    counter = {"steps": 0}

    def hook(module, args):
        if isinstance(module, RNNModule):
            counter["steps"] += int(args[0].shape[0] * args[0].shape[1])

    handle = register_module_forward_pre_hook(hook)
    try:
        _fit(X, L, y, per_step, epochs=1)
    finally:
        handle.remove()
    return counter["steps"]


def train(n, rounds, epochs):
    lines = []
    for name, lengths in [
        ("fixed", None),
        ("variable", review_lengths(n, 20, 400)),
    ]:
        X, L, y = make_tokens(n, 400 if lengths is not None else 200, lengths=lengths)
        medians = interleave(
            {
                POOLED: lambda X=X, L=L, y=y: _fit(X, L, y, False, epochs),
                PER_STEP: lambda X=X, L=L, y=y: _fit(X, L, y, True, epochs),
            },
            rounds,
        )
        title = (
            f"Training epoch, {name} length ({n} x "
            f"{'200' if lengths is None else '20..400'} tokens, batch {BATCH})"
        )
        wall = medians[PER_STEP][0] / medians[POOLED][0]
        cpu = medians[PER_STEP][1] / medians[POOLED][1]
        steps = {p: training_steps(X, L, y, p) for p in (False, True)}
        lines.append((name, wall, cpu, steps[False] == steps[True]))
        extra = [
            f"Padded steps fed to the network per epoch: pooled {steps[False]:,}, "
            f"per step {steps[True]:,} ({int(L.sum()):,} real steps)"
        ]
        ratio_table(title, medians, POOLED, extra)
    return lines


def _fit(X, L, y, per_step, epochs):
    est = make_estimator(batch_size=BATCH, epochs=epochs, per_step=per_step)
    est.fit(X, step_labels(X, L) if per_step else y)
    return epoch_times(est.net_)


def predict(n, rounds):
    X, L, y = make_tokens(n, 400, lengths=review_lengths(n, 20, 400))
    pooled = make_estimator(batch_size=BATCH).fit(X, y)
    per_step = make_estimator(batch_size=BATCH, per_step=True).fit(X, step_labels(X, L))
    counters = {POOLED: StepCounter(pooled), PER_STEP: StepCounter(per_step)}
    medians = interleave(
        {
            POOLED: lambda: timed(lambda: pooled.predict_proba(X)),
            PER_STEP: lambda: timed(lambda: per_step.predict_proba(X)),
        },
        rounds,
    )
    steps = {name: c.steps // rounds for name, c in counters.items()}
    real = int(L.sum())
    extra = [
        f"Padded steps fed to the network per call: {name} {count:,} "
        f"({count / real:.3f}x the {real:,} real steps; padding everything to "
        f"400 would be {n * 400 / real:.3f}x)"
        for name, count in steps.items()
    ]
    ratio_table(
        f"predict_proba, variable length ({n} x 20..400 tokens)",
        medians,
        POOLED,
        extra,
    )
    return medians[PER_STEP][1] / medians[POOLED][1], steps


def main():
    parser = benchmark_parser(__doc__, SECTIONS)
    args = parser.parse_args()
    set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 5)
    scale = 8 if args.quick else 1
    print(f"Per-step benchmark: {environment(args.threads)}; {rounds} round(s)")
    summary = []
    if "train" in args.sections:
        for name, wall, cpu, same in train(2000 // scale, rounds, epochs=2):
            summary.append(
                f"| training epoch, {name} length | {cpu:.3f}x CPU ({wall:.3f}x "
                f"wall); padded steps {'equal' if same else 'DIFFER'} | <= 1.10x | "
                f"{'met' if cpu <= 1.10 and same else 'NOT met'} |"
            )
    if "predict" in args.sections:
        cpu, steps = predict(4000 // scale, rounds)
        same = steps[POOLED] == steps[PER_STEP]
        summary.append(
            f"| predict_proba, variable length | {cpu:.3f}x CPU; padded steps "
            f"{'equal' if same else 'DIFFER'} | bucketed like the pooled model | "
            f"{'met' if same else 'NOT met'} |"
        )
    print("\n### Goals\n\n| measure | per step vs pooled | goal | status |")
    print("|---|---|---|---|")
    print("\n".join(summary))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
