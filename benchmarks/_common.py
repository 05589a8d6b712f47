"""Shared pieces of the speed benchmarks: data, models and the three systems.

Every benchmark compares, on the same torch module and the same data:

(a) ``hand``: the minimal hand-written PyTorch loop over pre-made tensors
    (a shuffled index per epoch, ``X[idx]``, forward, loss, backward, step);
(b) ``skorch``: a plain ``skorch.NeuralNet`` with its default per-sample
    ``DataLoader`` (the same module and loss);
(c) ``sksequence``: ``RNNClassifier.fit`` / ``predict_proba``.

Systems are run interleaved (round 1: a, b, c; round 2: a, b, c; ...) so
that load from other processes on a shared machine hits all of them alike,
and medians over the rounds are reported.
"""

import argparse
import platform
import statistics
import time
from datetime import date

import numpy as np
import sklearn
import skorch
import torch
from torch import nn

import sksequence
from sksequence import RNNClassifier
from sksequence._module import RNNModule

VOCAB = 5000
EMBED = 32
HIDDEN = 32
LR = 1e-3


# -- data ---------------------------------------------------------------------


def make_tokens(n, steps, *, lengths=None, seed=0):
    """IMDB-like token ids, post-padded with 0, and binary labels.

    Ids follow a Zipf-like law over ``VOCAB`` words (no 0 inside a sequence);
    the label depends on how many "positive" words (even ids) a text holds,
    so the models have something to learn.
    """
    rng = np.random.default_rng(seed)
    ranks = rng.zipf(1.3, size=(n, steps)) % (VOCAB - 2)
    X = (ranks + 2).astype(np.int64)
    if lengths is None:
        lengths = np.full(n, steps, dtype=np.int64)
    X[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    share = ((X % 2 == 0) & (X > 0)).sum(axis=1) / lengths
    y = (share > np.median(share)).astype(np.int64)
    return X, lengths.astype(np.int64), y


def review_lengths(n, low=20, high=400, seed=1):
    """Lengths uniform in ``[low, high]``: the padding ceiling is high/mean, ~1.9x."""
    return np.random.default_rng(seed).integers(low, high + 1, n).astype(np.int64)


# -- models -------------------------------------------------------------------


def make_module(cell="lstm", *, vocab=VOCAB, embed=EMBED, hidden=HIDDEN, seed=0):
    """The module RNNClassifier builds for binary token classification."""
    torch.manual_seed(seed)
    return RNNModule(
        n_inputs=1,
        n_outputs=1,
        cell=cell,
        hidden_size=hidden,
        vocab_size=vocab,
        embedding_dim=embed,
        init="keras",
    )


class PlainRNN(nn.Module):
    """The textbook model: Embedding -> nn.LSTM/GRU/RNN -> last step -> Linear.

    With ``pack=True`` the batch goes through ``pack_padded_sequence`` and the
    final hidden state is read from the packed run.
    """

    def __init__(self, cell="lstm", *, vocab=VOCAB, embed=EMBED, hidden=HIDDEN):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](
            embed, hidden, batch_first=True
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, X, lengths, pack=False):
        emb = self.embedding(X)
        if pack:
            packed = nn.utils.rnn.pack_padded_sequence(
                emb, lengths, batch_first=True, enforce_sorted=False
            )
            _, state = self.rnn(packed)
            last = (state[0] if isinstance(state, tuple) else state)[-1]
        else:
            out, _ = self.rnn(emb)
            last = out[:, -1]
        return self.head(last)


def make_estimator(cell="lstm", *, batch_size=128, epochs=1, seed=0, **params):
    return RNNClassifier(
        cell=cell,
        hidden_size=params.pop("hidden", HIDDEN),
        embedding_dim=params.pop("embed", EMBED),
        batch_size=batch_size,
        max_epochs=epochs,
        lr=LR,
        random_state=seed,
        **params,
    )


# -- (a) the hand-written loop ------------------------------------------------


def hand_train(module, X, lengths, y, *, batch_size, epochs=1, mode="full", seed=0):
    """Minimal training loop over pre-made tensors; (wall, cpu) s per epoch.

    ``mode``: ``"full"`` feeds every batch at the full padded width,
    ``"trim"`` cuts each batch to its longest member (no sorting), ``"pack"``
    uses ``pack_padded_sequence`` (``module`` must be a :class:`PlainRNN`).
    """
    X = torch.from_numpy(X)
    lengths = torch.from_numpy(lengths)
    y = torch.from_numpy(y).float()[:, None]
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    loss_fn = nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(seed)
    module.train()
    times = []
    for _ in range(epochs):
        start = clock()
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for i in range(0, len(X), batch_size):
            idx = order[i : i + batch_size]
            lb = lengths[idx]
            xb = X[idx] if mode != "trim" else X[idx, : int(lb.max())]
            if mode == "pack":
                out = module(xb, lb, pack=True)
            else:
                out = module(xb, lb)
            loss = loss_fn(out, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        times.append(elapsed(start))
    return median_pair(times)


def hand_predict(module, X, lengths, *, batch_size=128):
    """``torch.inference_mode`` over batches of the full-width tensor."""
    X = torch.from_numpy(X)
    lengths = torch.from_numpy(lengths)
    module.eval()
    outs = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            rows = slice(i, i + batch_size)
            outs.append(torch.sigmoid(module(X[rows], lengths[rows])))
    return torch.cat(outs).numpy()


# -- (b) plain skorch ---------------------------------------------------------


def skorch_net(module, *, batch_size, epochs=1, seed=0):
    return skorch.NeuralNet(
        module=module,
        criterion=nn.BCEWithLogitsLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(seed),
        verbose=0,
    )


def skorch_train(module, X, lengths, y, *, batch_size, epochs=1, seed=0):
    """(wall, cpu) seconds per epoch, medians over the epochs."""
    net = skorch_net(module, batch_size=batch_size, epochs=epochs, seed=seed)
    net.fit({"X": X, "lengths": lengths}, y.astype(np.float32)[:, None])
    return epoch_times(net)


def skorch_predict(module, X, lengths, *, batch_size=128):
    net = skorch_net(module, batch_size=batch_size)
    net.initialize()
    net.module_ = module
    logits = net.predict_proba({"X": X, "lengths": lengths})
    return torch.sigmoid(torch.from_numpy(logits))


# -- (c) sksequence -----------------------------------------------------------


def sks_train(X, y, *, cell="lstm", batch_size, epochs=1, seed=0, **params):
    """(wall, cpu) seconds per epoch, medians over the epochs."""
    est = make_estimator(
        cell, batch_size=batch_size, epochs=epochs, seed=seed, **params
    )
    est.fit(X, y)
    return epoch_times(est.net_)


def sks_fit(X, y, *, cell="lstm", batch_size, epochs=1, seed=0, **params):
    """(wall, cpu) seconds of a whole ``fit`` (validation included) per epoch."""
    est = make_estimator(
        cell, batch_size=batch_size, epochs=epochs, seed=seed, **params
    )
    start = clock()
    est.fit(X, y)
    wall, cpu = elapsed(start)
    return wall / epochs, cpu / epochs


# -- timing and reporting -----------------------------------------------------


def clock():
    """Wall time and this thread's CPU time: with one torch thread the CPU
    time is the work done, unaffected by other processes taking the core."""
    return time.perf_counter(), time.thread_time()


def elapsed(start):
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def median_pair(pairs):
    return tuple(statistics.median(values) for values in zip(*pairs, strict=True))


_EPOCH_BEGIN = skorch.NeuralNet.on_epoch_begin
_EPOCH_END = skorch.NeuralNet.on_epoch_end


def _record_epoch_begin(self, net, **kwargs):
    _EPOCH_BEGIN(self, net, **kwargs)
    net._bench_clock = clock()


def _record_epoch_end(self, net, **kwargs):
    net.history.record("bench_times", elapsed(net._bench_clock))
    _EPOCH_END(self, net, **kwargs)


# skorch calls the net's own on_epoch_begin/on_epoch_end hooks around every
# epoch, before its callbacks: time the epochs there, for every NeuralNet.
skorch.NeuralNet.on_epoch_begin = _record_epoch_begin
skorch.NeuralNet.on_epoch_end = _record_epoch_end


def epoch_times(net):
    """(wall, cpu) seconds per training epoch (validation included), medians."""
    return median_pair(net.history[:, "bench_times"])


def timed(func):
    """(wall, cpu) seconds of ``func()``."""
    start = clock()
    func()
    return elapsed(start)


def interleave(cases, rounds):
    """Run ``{name: func}`` round-robin ``rounds`` times.

    Every case returns ``(wall, cpu)`` seconds; returns the medians per case.
    """
    results = {name: [] for name in cases}
    for _ in range(rounds):
        for name, func in cases.items():
            results[name].append(func())
    return {name: median_pair(values) for name, values in results.items()}


def ratio_table(title, medians, baseline, extra=None):
    """A markdown table: wall and CPU medians and ratios to ``baseline``."""
    lines = [
        f"\n### {title}\n",
        f"| system | wall (ms) | wall ratio | CPU (ms) | CPU ratio vs {baseline} |",
        "|---|---:|---:|---:|---:|",
    ]
    base_wall, base_cpu = medians[baseline]
    for name, (wall, cpu) in medians.items():
        lines.append(
            f"| {name} | {1000 * wall:.1f} | {wall / base_wall:.3f} "
            f"| {1000 * cpu:.1f} | {cpu / base_cpu:.3f} |"
        )
    if extra:
        lines.append("")
        lines.extend(extra)
    text = "\n".join(lines)
    print(text, flush=True)
    return text


def environment(threads):
    return (
        f"{date.today().isoformat()}, {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} torch thread(s) (asked {threads}), "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"skorch {skorch.__version__}, scikit-learn {sklearn.__version__}, "
        f"sksequence {sksequence.__version__}"
    )


def benchmark_parser(doc, sections):
    """The command-line options every speed benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 1 round")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--sections", nargs="+", choices=sections, default=sections)
    return parser


def set_threads(threads):
    if threads is not None:
        torch.set_num_threads(threads)
