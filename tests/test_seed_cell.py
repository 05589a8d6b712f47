"""The hand-written cell of PyTorch's name tutorial, next to ``nn.RNN``.

The tests show, on numbers, what docs/user_guide/text.md states: the
tutorial's ``i2h`` Linear on ``cat(x, h)`` is ``nn.RNN``'s two matrices and
two biases in one; without ``tanh`` its state is a linear recurrence that grows
or vanishes geometrically; ``LogSoftmax`` + ``NLLLoss`` is ``CrossEntropyLoss``;
and sksequence's ``cell="rnn"`` on one-hot letters (or on an embedding, which
is a factorised one-hot layer) computes what the tutorial with ``tanh`` does.
No data sets are needed.
"""

import numpy as np
import pytest
import torch
from torch import nn

from sksequence import RNNClassifier
from sksequence._module import RNNModule

N_LETTERS, HIDDEN, N_CLASSES = 7, 5, 3


class TutorialRNN(nn.Module):
    """PyTorch's tutorial cell, verbatim (names and all)."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden


def run_tutorial(cell, X, h0, activation=None):
    """Step the cell through ``X`` (batch, steps, letters), as the tutorial does.

    ``activation`` is applied to each new hidden state (None: the tutorial as
    written). Returns the hidden states ``(batch, steps, hidden)`` and the
    log-probabilities of the last step.
    """
    hidden, states = h0, []
    for t in range(X.shape[1]):
        output, hidden = cell(X[:, t], hidden)
        if activation is not None:
            hidden = activation(hidden)
        states.append(hidden)
    return torch.stack(states, dim=1), output


def copy_into_tutorial(rnn, cell):
    """Give the tutorial's ``i2h`` ``[W_ih | W_hh]`` and ``b_ih + b_hh`` of ``rnn``."""
    with torch.no_grad():
        cell.i2h.weight.copy_(torch.cat([rnn.weight_ih_l0, rnn.weight_hh_l0], dim=1))
        cell.i2h.bias.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)


@pytest.fixture
def seeded():
    """Seed torch for one test without changing the global RNG state."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


@pytest.fixture
def pair(seeded):
    rnn = nn.RNN(N_LETTERS, HIDDEN, batch_first=True)
    cell = TutorialRNN(N_LETTERS, HIDDEN, N_CLASSES)
    copy_into_tutorial(rnn, cell)
    X = torch.randn(4, 9, N_LETTERS)
    h0 = torch.randn(4, HIDDEN)
    return rnn, cell, X, h0


def one_hot_names(n, steps, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, N_LETTERS, size=(n, steps))
    return torch.from_numpy(np.eye(N_LETTERS, dtype=np.float32)[ids])


def test_i2h_with_tanh_is_nn_rnn_step_by_step(pair):
    rnn, cell, X, h0 = pair
    expected, h_n = rnn(X, h0[None])
    with torch.no_grad():
        states, _ = run_tutorial(cell, X, h0, activation=torch.tanh)
    torch.testing.assert_close(states, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(states[:, -1], h_n[0], atol=1e-6, rtol=0)


def test_one_bias_is_enough(pair):
    """nn.RNN's two biases only ever appear as their sum."""
    rnn, cell, X, h0 = pair
    with torch.no_grad():
        shift = torch.randn(HIDDEN)
        rnn.bias_ih_l0 += shift
        rnn.bias_hh_l0 -= shift
        states, _ = run_tutorial(cell, X, h0, activation=torch.tanh)
        torch.testing.assert_close(states, rnn(X, h0[None])[0], atol=1e-6, rtol=0)


def test_without_tanh_the_states_differ(pair):
    rnn, cell, X, h0 = pair
    expected, _ = rnn(X, h0[None])
    with torch.no_grad():
        states, _ = run_tutorial(cell, X, h0)
    assert (expected.abs() < 1).all()
    assert (states - expected).abs().max() > 0.1


@pytest.mark.parametrize("radius", [0.5, 1.5])
def test_without_tanh_the_state_scales_geometrically(seeded, radius):
    """No input, no bias, W_hh = radius * orthogonal: |h_t| = radius**t |h_0|."""
    steps = 30
    rnn = nn.RNN(N_LETTERS, HIDDEN, batch_first=True)
    cell = TutorialRNN(N_LETTERS, HIDDEN, N_CLASSES)
    with torch.no_grad():
        nn.init.orthogonal_(rnn.weight_hh_l0)
        rnn.weight_hh_l0 *= radius
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    copy_into_tutorial(rnn, cell)
    X, h0 = torch.zeros(2, steps, N_LETTERS), torch.randn(2, HIDDEN)
    with torch.no_grad():
        linear, _ = run_tutorial(cell, X, h0)
        bounded, _ = rnn(X, h0[None])
    norms = linear.norm(dim=2) / h0.norm(dim=1, keepdim=True)
    powers = radius ** torch.arange(1, steps + 1, dtype=torch.float32)
    torch.testing.assert_close(norms, powers.expand_as(norms), rtol=1e-4, atol=1e-9)
    assert (bounded.abs() < 1).all()  # tanh keeps nn.RNN's state in (-1, 1)
    if radius > 1:
        assert linear.norm(dim=2)[:, -1].min() > 1e4


def test_i2o_reads_the_previous_state(pair):
    """The output at step t is i2o(cat(x_t, h_{t-1})): h_t is not used."""
    _, cell, X, h0 = pair
    with torch.no_grad():
        states, log_proba = run_tutorial(cell, X, h0)
        previous = states[:, -2]
        expected = torch.log_softmax(cell.i2o(torch.cat([X[:, -1], previous], 1)), 1)
        from_new = torch.log_softmax(
            cell.i2o(torch.cat([X[:, -1], states[:, -1]], 1)), 1
        )
    torch.testing.assert_close(log_proba, expected)
    assert (log_proba - from_new).abs().max() > 1e-3


def test_log_softmax_and_nll_loss_is_cross_entropy(seeded):
    logits = torch.randn(8, N_CLASSES) * 3
    target = torch.randint(0, N_CLASSES, (8,))
    tutorial = nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), target)
    ours = nn.CrossEntropyLoss()(logits, target)
    torch.testing.assert_close(tutorial, ours)
    # By hand: the mean of -log p(target), so the test can tell a wrong loss.
    by_hand = -torch.log_softmax(logits, 1)[torch.arange(8), target].mean()
    torch.testing.assert_close(ours, by_hand)
    assert not torch.allclose(ours, nn.NLLLoss()(logits, target))


def test_binary_logit_is_two_class_softmax(seeded):
    """Two classes: RNNClassifier's one logit z with BCEWithLogitsLoss is
    CrossEntropyLoss on the logits [0, z]."""
    z = torch.randn(8) * 3
    target = torch.randint(0, 2, (8,))
    bce = nn.BCEWithLogitsLoss()(z, target.float())
    ce = nn.CrossEntropyLoss()(torch.stack([torch.zeros(8), z], dim=1), target)
    torch.testing.assert_close(bce, ce)


def test_rnn_module_on_one_hot_letters_is_the_tutorial_with_tanh(seeded):
    module = RNNModule(N_LETTERS, N_CLASSES, cell="rnn", hidden_size=HIDDEN)
    cell = TutorialRNN(N_LETTERS, HIDDEN, N_CLASSES)
    copy_into_tutorial(module.rnn, cell)
    X = one_hot_names(6, 8)
    lengths = torch.tensor([8, 5, 1, 8, 3, 6])
    with torch.no_grad():
        states, _ = run_tutorial(cell, X, torch.zeros(6, HIDDEN), torch.tanh)
        last = states[torch.arange(6), lengths - 1]
        torch.testing.assert_close(
            module(X, lengths), module.head(last), atol=1e-6, rtol=0
        )


def test_embedding_is_a_factorised_one_hot_layer(seeded):
    """Embedding E then W_ih equals one-hot letters through W_ih @ E.T."""
    vocab, dim = N_LETTERS + 2, 4  # ids 0 (padding) and 1 (unknown) reserved
    tokens = RNNModule(
        1,
        N_CLASSES,
        cell="rnn",
        hidden_size=HIDDEN,
        vocab_size=vocab,
        embedding_dim=dim,
    )
    one_hot = RNNModule(vocab, N_CLASSES, cell="rnn", hidden_size=HIDDEN)
    with torch.no_grad():
        one_hot.load_state_dict(
            {
                **{
                    k: v
                    for k, v in tokens.state_dict().items()
                    if k != "embedding.weight"
                },
                "rnn.weight_ih_l0": tokens.rnn.weight_ih_l0 @ tokens.embedding.weight.T,
            }
        )
        ids = torch.randint(1, vocab, (5, 7))
        lengths = torch.full((5,), 7)
        X = nn.functional.one_hot(ids, vocab).float()
        torch.testing.assert_close(
            tokens(ids, lengths), one_hot(X, lengths), atol=1e-6, rtol=0
        )


def test_rnn_classifier_predicts_what_the_tutorial_cell_computes():
    """A fitted RNNClassifier(cell="rnn") on one-hot names: its probabilities
    are softmax(head(h_T)) with h_T from the tutorial cell plus tanh."""
    rng = np.random.default_rng(0)
    X = [
        np.eye(N_LETTERS, dtype=np.float32)[rng.integers(0, N_LETTERS, t)]
        for t in rng.integers(2, 9, 30)
    ]
    y = rng.choice(["Czech", "Irish", "Scottish"], size=30)
    clf = RNNClassifier(
        cell="rnn", hidden_size=HIDDEN, max_epochs=2, random_state=0
    ).fit(X, y)
    module = clf.net_.module_
    cell = TutorialRNN(N_LETTERS, HIDDEN, N_CLASSES)
    copy_into_tutorial(module.rnn, cell)
    with torch.no_grad():
        expected = []
        for x in X:
            states, _ = run_tutorial(
                cell, torch.from_numpy(x)[None], torch.zeros(1, HIDDEN), torch.tanh
            )
            expected.append(torch.softmax(module.head(states[0, -1]), dim=0))
    np.testing.assert_allclose(
        clf.predict_proba(X), torch.stack(expected).numpy(), atol=1e-6
    )
