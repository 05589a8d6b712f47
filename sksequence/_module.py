"""The torch module behind every sksequence estimator.

Plain PyTorch: no scikit-learn imports. The module takes a post-padded batch
and the true length of each sequence, and its output for a sequence never
depends on how much padding follows it:

* forward directions read each sequence from step 0, so padding after the
  valid part cannot reach a valid step;
* backward directions read each sequence reversed *within its own length*
  (an index gather), so they also start at the true last step;
* pooling gathers the true last step or masks padded steps (attention
  gives padded steps a weight of exactly 0);
* per-step outputs at padded positions exist but are never read: the loss
  masks them and predictions are cut to each sequence's length.

This is exact without ``pack_padded_sequence``, which measured 6.7-12x
slower for training on CPU (docs/design.md, "Variable-length training").
"""

import math

import torch
from torch import nn

__all__ = ["CELLS", "INITS", "POOLINGS", "STATIC_INPUTS", "RNNModule"]

# The choices for ``cell``, ``pooling`` and ``init``, defined here once: the
# estimators' parameter constraints are built from them.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
POOLINGS = ("last", "mean", "max", "attention")
STATIC_INPUTS = ("head", "init")
INITS = ("pytorch", "keras", "orthogonal")
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


class RNNModule(nn.Module):
    """Embedding (optional) -> stacked recurrent cells -> pooling -> head.

    Parameters
    ----------
    n_inputs : int
        Features per time step (ignored when ``vocab_size`` is given).
    n_outputs : int
        Size of the head's output.
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
    pooling : {"last", "mean", "max", "attention"}, default="last"
        How the sequence of outputs becomes one vector: the state at the true
        last step (both directions' final states when bidirectional), the
        mean or maximum over valid steps, or an attention-weighted mean (a
        learned score per step, softmax over the valid steps only).
    init : {"pytorch", "keras", "orthogonal"}, default="pytorch"
        Weight initialisation (see :func:`init_weights`).
    n_static : int, default=0
        Static (time-invariant) features per sequence, passed as ``static``.
    static_input : {"head", "init"}, default="head"
        How static features enter: concatenated to the summary before the
        head (to every step's output when ``per_step``), or mapped by a
        linear layer and tanh to the initial hidden state of every layer and
        direction.
    per_step : bool, default=False
        Emit one output row per time step, ``(batch, steps, n_outputs)``,
        instead of one per sequence; ``pooling`` must then be ``"last"``
        (unused). A unidirectional model's output at step ``t`` depends on
        steps ``0..t`` only.
    freeze_embedding : bool, default=False
        Keep the embedding weights fixed in training (``requires_grad``
        off), e.g. for pretrained word vectors.
    head_layers : tuple of int, default=()
        Hidden sizes of ReLU layers between the summary (with the static
        features) and the output layer; ``()`` is a single linear layer.

    Examples
    --------
    >>> import torch
    >>> module = RNNModule(n_inputs=3, n_outputs=2, cell="gru", hidden_size=8)
    >>> X = torch.zeros(4, 10, 3)
    >>> lengths = torch.tensor([10, 7, 3, 1])
    >>> module(X, lengths).shape
    torch.Size([4, 2])
    >>> tagger = RNNModule(n_inputs=3, n_outputs=5, hidden_size=8, per_step=True)
    >>> tagger(X, lengths).shape
    torch.Size([4, 10, 5])
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
        n_static=0,
        static_input="head",
        per_step=False,
        freeze_embedding=False,
        head_layers=(),
    ):
        super().__init__()
        _check_choice("cell", cell, tuple(CELLS))
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("init", init, INITS)
        _check_choice("static_input", static_input, STATIC_INPUTS)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        if per_step and pooling != "last":
            raise ValueError(
                f"per_step=True gives one output per time step, so no pooling "
                f"applies; got pooling={pooling!r}. Keep pooling='last'."
            )
        self.cell = cell
        self.pooling = pooling
        self.bidirectional = bidirectional
        self.per_step = per_step
        self.n_static = int(n_static)
        self.n_outputs = int(n_outputs)
        self.static_input = static_input
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
        width = hidden_size * (2 if bidirectional else 1)
        self.dropout = nn.Dropout(dropout)
        if pooling == "attention":
            self.attention = nn.Linear(width, 1)
        head_inputs = width
        if self.n_static and static_input == "head":
            head_inputs += self.n_static
        if self.n_static and static_input == "init":
            directions = 2 if bidirectional else 1
            self.static_to_hidden = nn.Linear(
                self.n_static, num_layers * directions * hidden_size
            )
        self._shape = (num_layers, 2 if bidirectional else 1, hidden_size)
        self.head = _head(head_inputs, n_outputs, head_layers)
        init_weights(self, init)
        if self.embedding is not None and freeze_embedding:
            self.embedding.weight.requires_grad_(False)

    def forward(self, X, lengths, static=None):
        """Map a post-padded batch to one output row per sequence (or step).

        Parameters
        ----------
        X : Tensor of shape (batch, steps, n_inputs), or (batch, steps) ids
        lengths : Tensor of shape (batch,)
            Valid steps of each sequence (padding follows them).
        static : Tensor of shape (batch, n_static) or None
            Static features (required when ``n_static > 0``).

        Returns
        -------
        Tensor of shape (batch, n_outputs), or (batch, steps, n_outputs)
        when ``per_step``.
        """
        return self._run(X, lengths, static)[0]

    def attention_weights(self, X, lengths, static=None):
        """Attention weights per step, shape (batch, steps); 0 on padding.

        Only for ``pooling="attention"``; each row sums to 1 over the valid
        steps of its sequence.
        """
        if self.pooling != "attention":
            raise ValueError(
                f"attention_weights needs pooling='attention', but this module "
                f"pools with {self.pooling!r}."
            )
        return self._run(X, lengths, static)[1]

    def _run(self, X, lengths, static):
        if self.embedding is not None:
            X = self.embedding(X)
        lengths = lengths.to(X.device)
        static = self._check_static(static, X)
        initial = self._initial_states(static)
        weights = None
        if self.bidirectional:
            summary, weights = self._bidirectional(X, lengths, initial)
        else:
            outputs, _ = self.rnn(X, None if initial is None else initial[0])
            summary, weights = self._summarise(outputs, lengths)
        summary = self.dropout(summary)
        if self.n_static and self.static_input == "head":
            if self.per_step:
                static = static[:, None, :].expand(-1, summary.shape[1], -1)
            summary = torch.cat([summary, static.to(summary.dtype)], dim=-1)
        return self.head(summary), weights

    def _summarise(self, outputs, lengths):
        """Time-aligned top-layer outputs -> (summary, attention weights)."""
        if self.per_step:
            return outputs, None
        if self.pooling == "attention":
            return _attend(self.attention, outputs, lengths)
        return _pool(outputs, lengths, self.pooling), None

    def _check_static(self, static, X):
        if not self.n_static:
            return None
        if static is None or static.shape != (X.shape[0], self.n_static):
            got = None if static is None else tuple(static.shape)
            raise ValueError(
                f"this module needs static features of shape (batch, "
                f"{self.n_static}), got {got}."
            )
        return static.to(device=X.device, dtype=X.dtype)

    def _initial_states(self, static):
        """Initial hidden states from static features, per layer and direction.

        Returns a list (one entry per direction) of ``h0`` tensors of shape
        (num_layers, batch, hidden), or ``(h0, c0)`` for an LSTM (``c0``
        zero), or None when static features do not set the initial state.
        """
        if not self.n_static or self.static_input != "init":
            return None
        layers, directions, hidden = self._shape
        h0 = torch.tanh(self.static_to_hidden(static))
        # -1, not len(static): a traced (ONNX) graph keeps the batch dynamic.
        h0 = h0.reshape(-1, layers, directions, hidden).permute(2, 1, 0, 3)
        states = []
        for direction in range(directions):
            h = h0[direction].contiguous()
            states.append((h, torch.zeros_like(h)) if self.cell == "lstm" else h)
        return states

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

    def _bidirectional(self, X, lengths, initial):
        reverse = _reverse_index(lengths, X.shape[1])
        last = len(self.forward_layers) - 1
        for depth, (fwd, bwd) in enumerate(
            zip(self.forward_layers, self.backward_layers, strict=True)
        ):
            forward_out, _ = fwd(X, _layer_state(initial, 0, depth))
            backward_rev, _ = bwd(
                _gather_steps(X, reverse), _layer_state(initial, 1, depth)
            )
            if depth == last:
                break
            backward_out = _gather_steps(backward_rev, reverse)
            X = self.dropout(torch.cat([forward_out, backward_out], dim=2))
        if self.per_step or self.pooling == "attention":
            # Steps need both directions' outputs at the same time index.
            aligned = torch.cat(
                [forward_out, _gather_steps(backward_rev, reverse)], dim=2
            )
            return self._summarise(aligned, lengths)
        # Pool each direction in its own reading order: the "last" step of
        # the reversed backward pass is its final state (Keras' convention),
        # and mean/max are order-free.
        pooled = torch.cat(
            [
                _pool(forward_out, lengths, self.pooling),
                _pool(backward_rev, lengths, self.pooling),
            ],
            dim=1,
        )
        return pooled, None


def _layer_state(initial, direction, depth):
    """The initial state of one direction's layer ``depth`` (or None)."""
    if initial is None:
        return None
    state = initial[direction]
    if isinstance(state, tuple):
        return tuple(part[depth : depth + 1].contiguous() for part in state)
    return state[depth : depth + 1].contiguous()


def _attend(score_layer, outputs, lengths):
    """Attention pooling: softmax of a learned score over the valid steps."""
    scores = score_layer(outputs).squeeze(2)
    steps = torch.arange(outputs.shape[1], device=outputs.device)
    valid = steps[None, :] < lengths[:, None]
    weights = torch.softmax(scores.masked_fill(~valid, -math.inf), dim=1)
    return (weights[:, :, None] * outputs).sum(dim=1), weights


def _head(n_inputs, n_outputs, hidden_sizes):
    """One linear layer, or ReLU layers of ``hidden_sizes`` then a linear one."""
    if not hidden_sizes:
        return nn.Linear(n_inputs, n_outputs)
    layers = []
    for size in hidden_sizes:
        layers += [nn.Linear(n_inputs, int(size)), nn.ReLU()]
        n_inputs = int(size)
    return nn.Sequential(*layers, nn.Linear(n_inputs, n_outputs))


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
