"""ONNX export: ONNX Runtime reproduces predict_proba / predict (sksequence.export).

Tiny models (hidden 4, one epoch on 16 rows): the parity checks need trained
weights of the right shapes, not good models. The reference for every output
is the estimator itself (``predict_proba``, ``predict``, ...) on the same
sequences, and the raw torch module for the logits.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from sksequence import RNNClassifier, RNNRegressor
from sksequence._module import CELLS, POOLINGS
from sksequence._sequences import check_sequences
from sksequence.preprocessing import SequenceScaler
from sksequence.text import TextTokenizer

onnx = pytest.importorskip(
    "onnx", reason='ONNX export needs the onnx extra: pip install "sksequence[onnx]"'
)
onnxruntime = pytest.importorskip(
    "onnxruntime",
    reason='running exported models needs the extra: pip install "sksequence[onnx]"',
)

from sksequence.export import export_tokenizer, to_onnx  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"
ATOL = 1e-5
N_FEATURES = 2
VOCAB = 20  # token ids 2..VOCAB-1 in training


# -- helpers -------------------------------------------------------------------


def session(model):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def run(model_or_session, X, lengths, static=None):
    """ONNX Runtime outputs as a {name: array} dict."""
    sess = model_or_session
    if not isinstance(sess, onnxruntime.InferenceSession):
        sess = session(sess)
    feed = {"X": X, "lengths": lengths}
    if static is not None:
        feed["static"] = static
    names = [output.name for output in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feed), strict=True))


def make_batch(rng, kind, lengths, steps=None):
    """Post-padded ``X`` with garbage padding (NaN / negative ids) and lengths.

    Returns ``(X, lengths, sequences)``; ``sequences`` is what the estimator
    is given: the valid part of every row (a list of arrays, or 0-padded ids).
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    steps = int(lengths.max()) if steps is None else steps
    padding = np.arange(steps)[None, :] >= lengths[:, None]
    if kind == "tokens":
        # Ids beyond the training vocabulary included: both map them to 1.
        X = rng.integers(2, VOCAB + 5, size=(len(lengths), steps))
        sequences = np.where(padding, 0, X)
        X[padding] = -7
        return X, lengths, sequences
    X = rng.normal(size=(len(lengths), steps, N_FEATURES)).astype(np.float32)
    sequences = [x[:length] for x, length in zip(X, lengths, strict=True)]
    X[padding] = np.nan
    return X, lengths, sequences


def mixed_lengths(rng, batch, steps):
    """``batch`` lengths in 1..steps, the extremes included when there is room."""
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps
    if batch > 1:
        lengths[1] = 1
    return lengths


def training_data(rng, kind, n=16, steps=6):
    """``n`` sequences of 1 to ``steps`` steps: a ragged list, or 0-padded ids."""
    lengths = rng.integers(1, steps + 1, size=n)
    if kind == "tokens":
        X = rng.integers(2, VOCAB, size=(n, steps))
        X[np.arange(steps)[None, :] >= lengths[:, None]] = 0
        return X
    return [rng.normal(size=(length, N_FEATURES)) for length in lengths]


def fit(estimator, kind, task, rng, n=16):
    y = {
        "binary": lambda: np.array(["neg", "pos"])[np.arange(n) % 2],
        "multiclass": lambda: np.arange(n) % 3,
        "regression": lambda: rng.normal(size=n),
        "regression_2d": lambda: rng.normal(size=(n, 2)),
    }[task]()
    return estimator.fit(training_data(rng, kind, n), y)


def classifier(**params):
    return RNNClassifier(**{**TINY, **params})


def regressor(**params):
    return RNNRegressor(**{**TINY, **params})


TINY = {"hidden_size": 4, "embedding_dim": 3, "max_epochs": 1, "random_state": 0}


def torch_logits(est, X, lengths):
    """The fitted module's raw output on the zero-padded batch."""
    seqs = check_sequences(X if est.input_kind_ == "tokens" else list(X))
    values = seqs.values
    if est.input_kind_ == "tokens":
        values = np.where(values < est.vocab_size_, values, 1)
    with torch.inference_mode():
        return est.net_.module_(torch.from_numpy(values), torch.from_numpy(lengths))


def check_parity(est, X, lengths, sequences, outputs=None):
    """Every ONNX output against the estimator; returns the largest difference."""
    outputs = run(to_onnx(est), X, lengths) if outputs is None else outputs
    if isinstance(est, RNNClassifier):
        np.testing.assert_array_equal(outputs["label"], est.predict(sequences))
        proba = outputs["probabilities"]
        assert proba.dtype == np.float64
        np.testing.assert_allclose(proba, est.predict_proba(sequences), atol=ATOL)
        logits = torch_logits(est, sequences, lengths).numpy()
        np.testing.assert_allclose(outputs["logits"], logits, atol=ATOL)
        return float(np.abs(proba - est.predict_proba(sequences)).max())
    predictions = outputs["predictions"]
    np.testing.assert_allclose(predictions, est.predict(sequences), atol=ATOL)
    return float(np.abs(predictions - est.predict(sequences)).max())


# -- parity: every architecture -------------------------------------------------


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_cell_direction_and_pooling(cell, bidirectional, pooling, rng):
    est = fit(
        classifier(
            cell=cell, bidirectional=bidirectional, pooling=pooling, num_layers=2
        ),
        "float",
        "multiclass",
        rng,
    )
    X, lengths, sequences = make_batch(rng, "float", [9, 1, 4, 9, 2, 7, 5])
    check_parity(est, X, lengths, sequences)


# (estimator parameters, input kind, task): between them every cell and pooling.
SIZE_CONFIGS = {
    "lstm-bidirectional-2-mean": (
        {"cell": "lstm", "bidirectional": True, "num_layers": 2, "pooling": "mean"},
        "float",
        "binary",
    ),
    "gru-1-last": ({"cell": "gru", "pooling": "last"}, "float", "multiclass"),
    "rnn-bidirectional-2-attention-regressor": (
        {"cell": "rnn", "bidirectional": True, "num_layers": 2, "pooling": "attention"},
        "tokens",
        "regression",
    ),
    "lstm-1-max-regressor": (
        {"cell": "lstm", "pooling": "max"},
        "tokens",
        "regression_2d",
    ),
}


@pytest.fixture(scope="module")
def exported_by_config():
    """``{name: (estimator, session)}``, fitted and exported once per config."""
    rng = np.random.default_rng(1)
    exported = {}
    for name, (params, kind, task) in SIZE_CONFIGS.items():
        make = regressor if task.startswith("regression") else classifier
        est = fit(make(**params), kind, task, rng)
        exported[name] = est, kind, session(to_onnx(est))
    return exported


@pytest.mark.parametrize("steps", [1, 5, 300])
@pytest.mark.parametrize("batch", [1, 7, 128])
@pytest.mark.parametrize("config", sorted(SIZE_CONFIGS))
def test_batch_sizes_and_lengths(config, batch, steps, exported_by_config, rng):
    est, kind, sess = exported_by_config[config]
    X, lengths, sequences = make_batch(
        rng, kind, mixed_lengths(rng, batch, steps), steps=steps
    )
    check_parity(est, X, lengths, sequences, run(sess, X, lengths))


@pytest.mark.parametrize("kind", ["float", "tokens"])
@pytest.mark.parametrize(
    "task", ["binary", "multiclass", "regression", "regression_2d"]
)
def test_tasks_and_input_kinds(task, kind, rng):
    make = classifier if task in ("binary", "multiclass") else regressor
    est = fit(make(cell="gru", bidirectional=kind == "tokens"), kind, task, rng)
    X, lengths, sequences = make_batch(rng, kind, [6, 1, 3, 6, 2, 5, 4])
    outputs = run(to_onnx(est), X, lengths)
    check_parity(est, X, lengths, sequences, outputs)
    if task == "binary":
        assert outputs["label"].dtype == object  # the string labels themselves
        assert outputs["logits"].shape == (7, 1)
    if task == "regression":
        assert outputs["predictions"].shape == (7,)


@pytest.mark.parametrize("y_ndim", [1, 2])
def test_quantile_regressor(y_ndim, rng):
    est = fit(
        regressor(quantiles=(0.9, 0.1, 0.5)),
        "float",
        "regression" if y_ndim == 1 else "regression_2d",
        rng,
    )
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3, 6, 2])
    outputs = run(to_onnx(est), X, lengths)
    np.testing.assert_allclose(
        outputs["predictions"], est.predict(sequences), atol=ATOL
    )
    quantiles = est.predict_quantiles(sequences)
    np.testing.assert_allclose(outputs["quantiles"], quantiles, atol=ATOL)


@pytest.mark.parametrize("make", [classifier, regressor])
def test_per_step_outputs(make, rng):
    train = training_data(rng, "float")
    y = [rng.integers(0, 3, size=len(x)) for x in train]
    est = make(per_step=True, bidirectional=True).fit(train, y)
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3, 6, 2])
    outputs = run(to_onnx(est), X, lengths)
    if make is classifier:
        got, expected = outputs["probabilities"], est.predict_proba(sequences)
        labels = est.predict(sequences)
        for i, length in enumerate(lengths):
            np.testing.assert_array_equal(outputs["label"][i, :length], labels[i])
    else:
        got, expected = outputs["predictions"], est.predict(sequences)
    for i, length in enumerate(lengths):
        np.testing.assert_allclose(got[i, :length], expected[i], atol=ATOL)


@pytest.mark.parametrize("static_input", ["head", "init"])
def test_static_features(static_input, rng):
    n = 16
    table = pd.DataFrame(
        {
            "sequence": training_data(rng, "float", n),
            "age": rng.normal(size=n),
            "weight": rng.normal(size=n),
        }
    )
    est = classifier(static_input=static_input).fit(table, np.arange(n) % 2)
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3, 6, 2])
    static = rng.normal(size=(5, 2)).astype(np.float32)
    test = pd.DataFrame(
        {"sequence": sequences, "age": static[:, 0], "weight": static[:, 1]}
    )
    outputs = run(to_onnx(est), X, lengths, static)
    np.testing.assert_allclose(
        outputs["probabilities"], est.predict_proba(test), atol=ATOL
    )


@pytest.mark.parametrize("opset", [14, 17])
def test_older_opsets(opset, rng):
    est = fit(
        classifier(pooling="attention", bidirectional=True), "float", "binary", rng
    )
    model = to_onnx(est, opset=opset)
    assert model.opset_import[0].version == opset
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3])
    check_parity(est, X, lengths, sequences, run(model, X, lengths))


# -- pipelines -----------------------------------------------------------------


def test_sequence_scalers_are_part_of_the_graph(rng):
    """Features far from unit scale, two scalers in a row, large targets."""
    n = 24
    train = [x * 50 + 1000 for x in training_data(rng, "float", n)]
    y = 1e4 + 1e3 * rng.normal(size=n)
    pipe = make_pipeline(
        SequenceScaler(), SequenceScaler(with_mean=False), regressor(cell="lstm")
    ).fit(train, y)
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3, 6, 2])
    X = X * 50 + 1000
    sequences = [x * 50 + 1000 for x in sequences]
    outputs = run(to_onnx(pipe), X, lengths)
    # The network rounds in float32 in both runtimes: differences scale with
    # the targets' standard deviation (y_scale_ is about 1000 here).
    tolerance = ATOL * pipe[-1].y_scale_[0]
    np.testing.assert_allclose(
        outputs["predictions"], pipe.predict(sequences), atol=tolerance
    )


def test_passthrough_and_nested_pipelines(rng):
    est = fit(classifier(), "float", "binary", rng)
    inner = make_pipeline(SequenceScaler().fit(training_data(rng, "float")))
    pipe = make_pipeline("passthrough", inner, est)
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3])
    outputs = run(to_onnx(pipe), X, lengths)
    np.testing.assert_allclose(
        outputs["probabilities"], pipe.predict_proba(sequences), atol=ATOL
    )


def test_files_and_metadata(tmp_path, rng):
    docs = ["good film", "bad film", "a good plot", "a bad plot"] * 4
    pipe = make_pipeline(TextTokenizer(maxlen=5), classifier()).fit(
        docs, np.arange(16) % 2
    )
    path = tmp_path / "model.onnx"
    model = to_onnx(pipe, path)
    assert isinstance(model, onnx.ModelProto)
    assert onnx.load(path) == model
    config = json.loads((tmp_path / "model.tokenizer.json").read_text("utf-8"))
    assert config == export_tokenizer(pipe)
    assert config["vocabulary"] == pipe[0].vocabulary_
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert metadata["sksequence.estimator"] == "RNNClassifier"
    assert metadata["sksequence.input"] == "tokens"
    assert metadata["sksequence.tokenizer"] == "model.tokenizer.json"
    assert json.loads(metadata["sksequence.steps"]) == [
        "TextTokenizer",
        "RNNClassifier",
    ]
    assert json.loads(metadata["sksequence.classes"]) == [0, 1]
    # Without a tokenizer, nothing is written beside the model.
    to_onnx(pipe[-1], tmp_path / "alone.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alone.onnx",
        "model.onnx",
        "model.tokenizer.json",
    ]


def test_export_changes_nothing(rng):
    est = fit(
        classifier(bidirectional=True, pooling="attention"), "float", "binary", rng
    )
    sequences = make_batch(rng, "float", [6, 1, 3])[2]
    before = est.predict_proba(sequences)
    state = {k: v.clone() for k, v in est.net_.module_.state_dict().items()}
    module = est.net_.module_.train()
    rng_state = torch.random.get_rng_state()
    to_onnx(est)
    assert est.net_.module_ is module and module.training
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    for key, value in module.state_dict().items():
        assert torch.equal(value, state[key])
    np.testing.assert_array_equal(est.predict_proba(sequences), before)


# -- the serving snippets of docs/export.md --------------------------------------


def docs_block(first_line):
    """The ```python block of docs/export.md that starts with ``first_line``."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text("utf-8"), re.DOTALL)
    matches = [block for block in blocks if block.startswith(first_line)]
    assert len(matches) == 1, f"docs/export.md has no block starting {first_line!r}"
    return matches[0]


@pytest.fixture
def serving_tokenizer(tmp_path, monkeypatch):
    """The docs' pure-Python tokenizer, importable as in a serving process."""
    code = docs_block("# serving_tokenizer.py")
    (tmp_path / "serving_tokenizer.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "serving_tokenizer", raising=False)
    import serving_tokenizer

    return serving_tokenizer


TRAIN_DOCS = [
    "The film was good, really GOOD!",
    "A bad film; bad acting, bad plot.",
    "Café naïve: ÉTÉ à Paris, très bien",
    "good good good and not_bad 42 times",
    "日本語 の テキスト, good",
    "it's the plot, the plot!",
]
TEST_DOCS = [
    "GOOD film, the Plot was bad",
    "",
    "?!...",
    "unseen words only here",
    "été café Ünïcödé naïve",
    "a very long document with many many many words the plot the film good bad",
    "don't stop_now 42",
]
TOKENIZER_SETTINGS = {
    "default (ragged)": {},
    "maxlen pre": {"maxlen": 5},
    "maxlen post": {"maxlen": 5, "padding": "post", "truncating": "post"},
    "num_words": {"num_words": 6, "maxlen": 8, "padding": "post"},
    "cased": {"lowercase": False, "maxlen": 6},
    "char": {"analyzer": "char", "maxlen": 12},
    "char cased ragged": {"analyzer": "char", "lowercase": False},
    "two-letter words": {"token_pattern": r"(?u)\b\w\w+\b", "maxlen": 7},
    "capturing group": {"token_pattern": r"'?(\w+)", "maxlen": 7},
    "min_frequency": {"min_frequency": 2, "maxlen": 6},
}


def test_tokenizer_json_records_every_parameter():
    """A new TextTokenizer parameter must be exported (and served) too."""
    config = export_tokenizer(TextTokenizer().fit(TRAIN_DOCS))
    assert set(TextTokenizer().get_params()) <= set(config)


@pytest.mark.parametrize("settings", list(TOKENIZER_SETTINGS))
def test_docs_tokenizer_reproduces_text_tokenizer(
    settings, serving_tokenizer, tmp_path
):
    tokenizer = TextTokenizer(**TOKENIZER_SETTINGS[settings]).fit(TRAIN_DOCS)
    export_tokenizer(tokenizer, tmp_path / "tokenizer.json")
    served = serving_tokenizer.Tokenizer(tmp_path / "tokenizer.json")
    documents = TRAIN_DOCS + TEST_DOCS
    expected, got = tokenizer.transform(documents), served.transform(documents)
    if tokenizer.maxlen is None:
        assert [row.tolist() for row in got] == [row.tolist() for row in expected]
    else:
        np.testing.assert_array_equal(got, expected)
    # The model inputs are the estimator's own view of the tokenizer output.
    X, lengths = served.model_inputs(documents)
    seqs = check_sequences(expected)
    np.testing.assert_array_equal(lengths, seqs.lengths)
    np.testing.assert_array_equal(X, seqs.values)


def test_docs_text_serving_snippet(tmp_path, monkeypatch):
    labels = np.array(["negative", "positive"])[[1, 0, 1, 1, 0, 0]]
    pipe = make_pipeline(TextTokenizer(maxlen=8), classifier(pooling="max")).fit(
        TRAIN_DOCS, labels
    )
    to_onnx(pipe, tmp_path / "model.onnx")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(docs_block("# serving_tokenizer.py"), namespace)
    exec(docs_block("# serve_text.py"), namespace)
    documents = namespace["documents"]
    np.testing.assert_array_equal(namespace["label"], pipe.predict(documents))
    np.testing.assert_allclose(
        namespace["probabilities"], pipe.predict_proba(documents), atol=ATOL
    )


def test_docs_numeric_serving_snippet(tmp_path, monkeypatch, rng):
    train = [rng.normal(size=(int(t), 3)) * 10 + 5 for t in rng.integers(2, 12, 16)]
    pipe = make_pipeline(SequenceScaler(), regressor(cell="rnn")).fit(
        train, rng.normal(size=16)
    )
    to_onnx(pipe, tmp_path / "model.onnx")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(docs_block("# serve_sequences.py"), namespace)
    np.testing.assert_allclose(
        namespace["predictions"], pipe.predict(namespace["sequences"]), atol=ATOL
    )


# -- errors --------------------------------------------------------------------


def test_unfitted_estimators_and_pipelines_raise_not_fitted():
    with pytest.raises(NotFittedError, match="RNNClassifier instance is not fitted"):
        to_onnx(RNNClassifier())
    with pytest.raises(NotFittedError, match="SequenceScaler instance is not fitted"):
        to_onnx(make_pipeline(SequenceScaler(), RNNRegressor()))
    with pytest.raises(NotFittedError, match="TextTokenizer instance is not fitted"):
        export_tokenizer(TextTokenizer())


def test_unsupported_objects_raise_type_error(rng):
    supported = "exports an RNNClassifier or RNNRegressor, alone or as the last step"
    with pytest.raises(TypeError, match=f"{supported}.*got a builtins.str"):
        to_onnx("model.onnx")
    with pytest.raises(TypeError, match=f"{supported}.*'sequencescaler'"):
        to_onnx(make_pipeline(SequenceScaler()))

    class MyClassifier(RNNClassifier):
        pass

    with pytest.raises(TypeError, match="exact classes, not subclasses"):
        to_onnx(MyClassifier())

    class Search:
        best_estimator_ = None

    with pytest.raises(TypeError, match="export its best_estimator_"):
        to_onnx(Search())
    step = "Pipeline step 'functiontransformer' is a sklearn.preprocessing"
    with pytest.raises(TypeError, match=f"{step}.*cannot export"):
        to_onnx(make_pipeline(FunctionTransformer(), RNNClassifier()))
    with pytest.raises(TypeError, match="'texttokenizer'.*as the first step"):
        to_onnx(make_pipeline(SequenceScaler(), TextTokenizer(), RNNClassifier()))
    with pytest.raises(TypeError, match="Pipeline without steps"):
        to_onnx(make_pipeline("passthrough"))
    with pytest.raises(
        TypeError, match="export_tokenizer needs a fitted TextTokenizer"
    ):
        export_tokenizer(make_pipeline(SequenceScaler(), RNNClassifier()))


def test_missing_onnx_names_the_extra(monkeypatch, rng):
    est = fit(classifier(), "float", "binary", rng)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=re.escape('pip install "sksequence[onnx]"')):
        to_onnx(est)


def test_bad_opset(rng):
    est = fit(classifier(), "float", "binary", rng)
    with pytest.raises(ValueError, match="opset must be from 14 to 20.*got 9"):
        to_onnx(est, opset=9)
    with pytest.raises(TypeError, match="opset must be an int from 14 to 20"):
        to_onnx(est, opset="17")


def test_callable_analyzer_cannot_be_exported(tmp_path):
    pipe = make_pipeline(TextTokenizer(analyzer=str.split), classifier()).fit(
        TRAIN_DOCS, np.arange(6) % 2
    )
    with pytest.raises(ValueError, match="callable analyzer.*which JSON cannot"):
        to_onnx(pipe, tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing written
    to_onnx(pipe)  # the graph alone is fine: the server runs the analyzer


def test_unsupported_label_types(rng):
    est = fit(classifier(), "float", "binary", rng)
    est.classes_ = np.array([1, "a"], dtype=object)
    with pytest.raises(TypeError, match="holds numbers or strings only"):
        to_onnx(est)


class _FrozenBatch(nn.Module):
    """Reads the batch size as a Python number: tracing freezes it."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, X, lengths):
        return self.module(X, lengths).reshape(len(X), -1)


def test_graph_frozen_to_the_traced_batch_is_refused(rng):
    est = fit(classifier(), "float", "multiclass", rng)
    est.net_.module_ = _FrozenBatch(est.net_.module_)
    with pytest.raises(RuntimeError, match="does not reproduce the network"):
        to_onnx(est)


def test_hidden_head_layers(rng):
    est = regressor(head_layers=(5, 3)).fit(
        training_data(rng, "float"), rng.normal(size=16)
    )
    X, lengths, sequences = make_batch(rng, "float", [6, 1, 3])
    outputs = run(to_onnx(est), X, lengths)
    np.testing.assert_allclose(
        outputs["predictions"], est.predict(sequences), atol=ATOL
    )
