"""The torch module behind every sksequence estimator.

Plain PyTorch: no scikit-learn imports. The module takes a post-padded batch
and the true length of each sequence, and its output for a sequence never
depends on how much padding follows it:

* forward directions read each sequence from step 0, so padding after the
  valid part cannot reach a valid step;
* backward directions read each sequence reversed *within its own length*
  (an index gather), so they also start at the true last step;
* pooling gathers the true last step or masks padded steps.

This is exact without ``pack_padded_sequence``, which measured 6.7-12x
slower for training on CPU (docs/design.md, "Variable-length training").
"""

import math

import torch
from torch import nn

__all__ = ["CELLS", "INITS", "POOLINGS", "RNNModule"]

# The choices for ``cell``, ``pooling`` and ``init``, defined here once: the
# estimators' parameter constraints are built from them.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
POOLINGS = ("last", "mean", "max")
INITS = ("pytorch", "keras", "orthogonal")
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class RNNModule(nn.Module):
    """Embedding (optional) -> stacked recurrent cells -> pooling -> linear head.

    Parameters
    ----------
    n_inputs : int
        Features per time step (ignored when ``vocab_size`` is given).
    n_outputs : int
        Size of the linear head's output.
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        Recurrent cell: Elman ``nn.RNN`` (tanh), ``nn.LSTM`` or ``nn.GRU``.
    hidden_size : int, default=32
        Units per direction in every layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Add a backward direction to every layer.
    dropout : float, default=0.0
        Dropout between stacked layers and before the head.
    vocab_size : int or None, default=None
        If given, inputs are token ids (``0`` = padding) embedded into
        ``embedding_dim`` dimensions.
    embedding_dim : int, default=32
        Embedding size for token inputs.
    pooling : {"last", "mean", "max"}, default="last"
        How the sequence of outputs becomes one vector: the state at the true
        last step (both directions' final states when bidirectional), or the
        mean or maximum over valid steps.
    init : {"pytorch", "keras", "orthogonal"}, default="pytorch"
        Weight initialisation (see :func:`init_weights`).

    Examples
    --------
    >>> import torch
    >>> module = RNNModule(n_inputs=3, n_outputs=2, cell="gru", hidden_size=8)
    >>> X = torch.zeros(4, 10, 3)
    >>> lengths = torch.tensor([10, 7, 3, 1])
    >>> module(X, lengths).shape
    torch.Size([4, 2])
    """

    def __init__(
        self,
        n_inputs,
        n_outputs,
        *,
        cell="lstm",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        vocab_size=None,
        embedding_dim=32,
        pooling="last",
        init="pytorch",
    ):
        super().__init__()
        _check_choice("cell", cell, tuple(CELLS))
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("init", init, INITS)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.cell = cell
        self.pooling = pooling
        self.bidirectional = bidirectional
        self.embedding = None
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            n_inputs = embedding_dim
        rnn = CELLS[cell]
        if bidirectional:
            # One unidirectional module per direction and layer, so the
            # backward direction can read each sequence within its length.
            sizes = [n_inputs] + [2 * hidden_size] * (num_layers - 1)
            self.forward_layers = nn.ModuleList(
                rnn(size, hidden_size, batch_first=True) for size in sizes
            )
            self.backward_layers = nn.ModuleList(
                rnn(size, hidden_size, batch_first=True) for size in sizes
            )
        else:
            # Unidirectional stacks are exact as one multi-layer module.
            self.rnn = rnn(
                n_inputs,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)
        init_weights(self, init)

    def forward(self, X, lengths):
        """Map a post-padded batch to one output row per sequence.

        Parameters
        ----------
        X : Tensor of shape (batch, steps, n_inputs), or (batch, steps) ids
        lengths : Tensor of shape (batch,)
            Valid steps of each sequence (padding follows them).
        """
        if self.embedding is not None:
            X = self.embedding(X)
        lengths = lengths.to(X.device)
        if self.bidirectional:
            pooled = self._bidirectional(X, lengths)
        else:
            outputs, _ = self.rnn(X)
            pooled = _pool(outputs, lengths, self.pooling)
        return self.head(self.dropout(pooled))

    def set_dropout(self, dropout):
        """Change the dropout rate in place (between layers and before the head).

        Parameters
        ----------
        dropout : float in [0, 1)
        """
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.dropout.p = dropout
        if not self.bidirectional and self.rnn.num_layers > 1:
            self.rnn.dropout = dropout

    def _bidirectional(self, X, lengths):
        reverse = _reverse_index(lengths, X.shape[1])
        last = len(self.forward_layers) - 1
        for depth, (fwd, bwd) in enumerate(
            zip(self.forward_layers, self.backward_layers, strict=True)
        ):
            forward_out, _ = fwd(X)
            backward_rev, _ = bwd(_gather_steps(X, reverse))
            if depth == last:
                break
            backward_out = _gather_steps(backward_rev, reverse)
            X = self.dropout(torch.cat([forward_out, backward_out], dim=2))
        # Pool each direction in its own reading order: the "last" step of
        # the reversed backward pass is its final state (Keras' convention),
        # and mean/max are order-free.
        return torch.cat(
            [
                _pool(forward_out, lengths, self.pooling),
                _pool(backward_rev, lengths, self.pooling),
            ],
            dim=1,
        )


def init_weights(module, init):
    """Initialise a module's weights in place.

    ``"pytorch"`` keeps PyTorch's defaults (uniform in +-1/sqrt(hidden)).
    ``"keras"`` follows Keras: Glorot-uniform input and head weights,
    orthogonal recurrent weights per gate, zero biases, LSTM forget-gate bias
    1, embeddings uniform in +-0.05. ``"orthogonal"`` makes every recurrent
    and input weight block orthogonal with zero biases.

    Parameters
    ----------
    module : RNNModule
    init : {"pytorch", "keras", "orthogonal"}
    """
    if init == "pytorch":
        return
    gates = _GATES[module.cell]
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name.startswith("embedding"):
                nn.init.uniform_(param, -0.05, 0.05)
                param[0].zero_()  # padding row
            elif name.startswith("head"):
                _init_head(name, param, init)
            elif "weight_hh" in name:
                _per_gate(param, gates, nn.init.orthogonal_)
            elif "weight_ih" in name:
                rule = nn.init.xavier_uniform_ if init == "keras" else _orthogonal
                _per_gate(param, gates, rule)
            elif "bias" in name:
                param.zero_()
                if init == "keras" and module.cell == "lstm" and "bias_ih" in name:
                    hidden = param.shape[0] // 4
                    param[hidden : 2 * hidden] = 1.0  # gate order: i, f, g, o


def _init_head(name, param, init):
    if "bias" in name:
        param.zero_()
    elif init == "keras":
        nn.init.xavier_uniform_(param)
    else:
        nn.init.orthogonal_(param)


def _per_gate(weight, gates, rule):
    for block in weight.chunk(gates, dim=0):
        rule(block)


def _orthogonal(block):
    nn.init.orthogonal_(block, gain=1.0)


def _reverse_index(lengths, steps):
    """Index that reverses each sequence within its length, padding in place."""
    positions = torch.arange(steps, device=lengths.device)
    flipped = lengths[:, None] - 1 - positions
    return torch.where(flipped >= 0, flipped, positions)


def _gather_steps(X, index):
    return X.gather(1, index[:, :, None].expand(-1, -1, X.shape[2]))


def _pool(outputs, lengths, pooling):
    if pooling == "last":
        index = (lengths - 1)[:, None, None].expand(-1, 1, outputs.shape[2])
        return outputs.gather(1, index).squeeze(1)
    steps = torch.arange(outputs.shape[1], device=outputs.device)
    valid = (steps[None, :] < lengths[:, None])[:, :, None]
    if pooling == "mean":
        total = outputs.masked_fill(~valid, 0.0).sum(dim=1)
        return total / lengths[:, None].to(outputs.dtype)
    return outputs.masked_fill(~valid, -math.inf).amax(dim=1)


def _check_choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}.")
