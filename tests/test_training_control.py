"""Learning-rate schedules, user callbacks and pretrained embeddings."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback, EarlyStopping, EpochScoring

from sksequence import RNNClassifier, RNNRegressor, TextTokenizer
from sksequence.embeddings import PretrainedEmbeddings, align_vectors
from sksequence.persistence import save

TINY = {"hidden_size": 4, "max_epochs": 6, "lr": 0.01, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    return X, X.sum(axis=(1, 2))


def _lrs(estimator):
    return np.array([row["lr"] for row in estimator.history_])


def test_constant_and_cosine_schedules(data):
    X, y = data
    np.testing.assert_allclose(_lrs(RNNRegressor(**TINY).fit(X, y)), 0.01)
    cosine = RNNRegressor(**TINY, lr_schedule="cosine").fit(X, y)
    epochs = np.arange(TINY["max_epochs"])
    expected = 0.01 * (1 + np.cos(np.pi * epochs / TINY["max_epochs"])) / 2
    np.testing.assert_allclose(_lrs(cosine), expected, rtol=1e-6)


def test_onecycle_rises_to_lr_then_anneals(data):
    X, y = data
    lrs = _lrs(
        RNNRegressor(**{**TINY, "max_epochs": 10}, lr_schedule="onecycle").fit(X, y)
    )
    peak = int(np.argmax(lrs))
    assert 0 < peak < len(lrs) - 1
    assert np.all(np.diff(lrs[: peak + 1]) > 0) and np.all(np.diff(lrs[peak:]) < 0)
    assert lrs.max() <= 0.01 and lrs[0] < 0.01 / 10


def test_plateau_halves_the_rate_when_the_loss_stalls(data):
    X, y = data
    reg = RNNRegressor(
        **{**TINY, "max_epochs": 8}, lr_schedule="plateau", n_iter_no_change=2, tol=0.9
    ).fit(X, y)
    lrs = _lrs(reg)
    ratios = lrs[1:] / lrs[:-1]
    assert set(np.round(ratios, 6)) <= {1.0, 0.5} and (ratios == 0.5).any()
    # On the validation tail with early stopping.
    reg = RNNRegressor(
        **{**TINY, "max_epochs": 8},
        lr_schedule="plateau",
        early_stopping=True,
        n_iter_no_change=4,
        tol=0.9,
    ).fit(X, y)
    assert _lrs(reg).min() < 0.01


@pytest.mark.parametrize("first", ["constant", "cosine", "onecycle"])
@pytest.mark.parametrize("second", ["cosine", "onecycle"])
def test_schedules_restart_on_a_warm_start(data, first, second):
    X, y = data
    reg = RNNRegressor(**{**TINY, "max_epochs": 4}, lr_schedule=first).fit(X, y)
    reg.set_params(warm_start=True, lr_schedule=second, lr=0.02).fit(X, y)
    lrs = _lrs(reg)[4:]
    fresh = _lrs(
        RNNRegressor(**{**TINY, "max_epochs": 4, "lr": 0.02}, lr_schedule=second).fit(
            X, y
        )
    )
    np.testing.assert_allclose(lrs, fresh, rtol=1e-6)
    assert lrs.max() <= 0.02


def test_unknown_schedule_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="'lr_schedule' parameter .* must be a str"):
        RNNRegressor(**TINY, lr_schedule="step").fit(X, y)


# -- user callbacks --------------------------------------------------------------


class Counter(Callback):
    def __init__(self, key="counted"):
        self.key = key

    def on_epoch_end(self, net, **kwargs):
        net.history.record(self.key, len(net.history))


def test_user_callbacks_run_after_ours_and_are_copied(data):
    X, y = data
    counter = Counter()
    reg = RNNRegressor(
        **TINY, callbacks=[counter, ("r2", EpochScoring("r2", on_train=True))]
    ).fit(X, y)
    assert reg.history_[-1, "counted"] == TINY["max_epochs"]
    assert "r2" in reg.history_[-1]
    assert "grad_norm_mean" in reg.history_[-1]  # ours still ran
    assert reg.callbacks[0] is counter  # the parameter is never replaced
    names = [name for name, _ in reg.net_.callbacks_]
    assert names.index("user_0") > names.index("gradients")


def test_user_callbacks_survive_clone_and_pickle_but_not_save(data, tmp_path):
    X, y = data
    reg = RNNRegressor(**TINY, callbacks=[Counter("c")])
    cloned = clone(reg)
    assert isinstance(cloned.get_params()["callbacks"][0], Counter)
    cloned.fit(X, y)
    restored = pickle.loads(pickle.dumps(cloned))
    np.testing.assert_array_equal(restored.predict(X), cloned.predict(X))
    assert restored.history_[-1, "c"] == TINY["max_epochs"]
    with pytest.raises(TypeError, match="callbacks parameter holds skorch callbacks"):
        save(cloned, tmp_path / "m.safetensors")
    save(cloned.set_params(callbacks=None), tmp_path / "m.safetensors")


def test_a_callback_that_stops_training_ends_the_fit_normally(data):
    X, y = data
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    reg = RNNRegressor(**{**TINY, "max_epochs": 30}, callbacks=[stop]).fit(X, y)
    assert reg.n_iter_ < 30


@pytest.mark.parametrize(
    ("callbacks", "error", "match"),
    [
        ([("scores", Counter())], ValueError, "named 'scores', which sksequence uses"),
        ([Counter], TypeError, r"callbacks\[0\] must be a skorch callback instance"),
        (["r2"], TypeError, r"callbacks\[0\] must be a skorch callback instance"),
    ],
)
def test_bad_callbacks(data, callbacks, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        RNNRegressor(**TINY, callbacks=callbacks).fit(X, y)


# -- pretrained embeddings -------------------------------------------------------


class EmbeddingAtStart(Callback):
    """Keeps the embedding as training starts (after initialisation)."""

    def on_train_begin(self, net, **kwargs):
        type(self).seen = net.module_.embedding.weight.detach().clone()


DOCS = ["good film", "bad film", "a good story", "a bad story", "fine film"] * 4
LABELS = [1, 0, 1, 0, 1] * 4


def test_embedding_starts_from_the_matrix_and_frozen_stays(data):
    ids = TextTokenizer(maxlen=4).fit_transform(DOCS)
    weights = np.random.default_rng(1).normal(size=(int(ids.max()) + 1, 3))
    for freeze in (False, True):
        clf = RNNClassifier(
            **TINY,
            embedding_weights=weights,
            freeze_embedding=freeze,
            callbacks=[EmbeddingAtStart()],
        ).fit(ids, LABELS)
        np.testing.assert_allclose(EmbeddingAtStart.seen.numpy(), weights, rtol=1e-6)
        after = clf.net_.module_.embedding.weight.detach().numpy()
        assert np.allclose(after, weights, rtol=1e-6) == freeze
        assert clf.module_params_["embedding_dim"] == 3
    # A frozen embedding stays frozen through a warm start.
    clf.set_params(warm_start=True, callbacks=None).fit(ids, LABELS)
    np.testing.assert_allclose(
        clf.net_.module_.embedding.weight.detach().numpy(), weights, rtol=1e-6
    )


def test_align_vectors_reports_coverage():
    tok = TextTokenizer().fit(DOCS)
    vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0]}
    weights, coverage = align_vectors(tok, vectors)
    assert weights.shape == (tok.vocab_size_, 2)
    np.testing.assert_array_equal(weights[tok.vocabulary_["bad"]], [-1.0, 0.0])
    np.testing.assert_array_equal(weights[0], [0.0, 0.0])
    assert coverage["n_found"] == 3 and coverage["n_tokens"] == len(tok.vocabulary_)
    assert math.isclose(coverage["fraction"], 3 / len(tok.vocabulary_))
    with pytest.raises(ValueError, match="None of the .* vocabulary tokens"):
        align_vectors(tok, {"GOOD": [1.0]})


def test_pretrained_embeddings_align_at_fit_time_in_a_search():
    vectors = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 1.0]}
    model = PretrainedEmbeddings(
        make_pipeline(TextTokenizer(maxlen=4), RNNClassifier(**TINY)),
        vectors,
        freeze=True,
    )
    search = GridSearchCV(
        model, {"pipeline__texttokenizer__num_words": [4, None]}, cv=KFold(2)
    ).fit(DOCS, LABELS)
    for num_words in (4, None):
        fitted = search.best_estimator_.set_params(
            pipeline__texttokenizer__num_words=num_words
        ).fit(DOCS, LABELS)
        tok, clf = fitted.pipeline_[0], fitted.pipeline_[-1]
        weights = clf.net_.module_.embedding.weight.detach().numpy()
        # Every kept token's row is its vector: aligned with this vocabulary.
        for token, index in tok.vocabulary_.items():
            if token in vectors:
                np.testing.assert_array_equal(weights[index], vectors[token])
        assert fitted.coverage_["n_tokens"] == len(tok.vocabulary_)
    assert search.best_estimator_.predict(["good film"]).shape == (1,)


def test_embedding_weights_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="X holds float sequences"):
        RNNRegressor(**TINY, embedding_weights=np.zeros((5, 2))).fit(X, y)
    ids = TextTokenizer(maxlen=4).fit_transform(DOCS)
    with pytest.raises(ValueError, match=r"must be a 2-D array .* got shape \(5,\)"):
        RNNClassifier(**TINY, embedding_weights=np.zeros(5)).fit(ids, LABELS)
    with pytest.raises(ValueError, match="NaN or infinite"):
        RNNClassifier(**TINY, embedding_weights=np.full((4, 2), np.nan)).fit(
            ids, LABELS
        )
    clf = RNNClassifier(**TINY).fit(ids, LABELS)
    with pytest.raises(ValueError, match="freeze_embedding changed"):
        clf.set_params(warm_start=True, freeze_embedding=True).fit(ids, LABELS)


def test_torch_state_is_untouched(data):
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    X, y = data
    RNNRegressor(**TINY, lr_schedule="onecycle", callbacks=[Counter()]).fit(X, y)
    assert torch.equal(torch.rand(2), expected)
