"""save/load: exact round trips, and a clear error for every bad file."""

import json
import pickle

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sksequence import RNNClassifier, RNNRegressor, SlidingWindow
from sksequence.persistence import ModelFileError, _digest, load, save
from sksequence.preprocessing import SequenceScaler
from sksequence.text import TextTokenizer

TINY = {"hidden_size": 4, "max_epochs": 2, "lr": 0.01, "random_state": 0}


@pytest.fixture(scope="module")
def float_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 6, 2)).astype(np.float32)
    y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    return X, y


@pytest.fixture(scope="module")
def classifier(float_data):
    return RNNClassifier(cell="gru", **TINY).fit(*float_data)


@pytest.fixture(scope="module")
def regressor(float_data):
    X, _ = float_data
    y = np.column_stack([X.sum(axis=(1, 2)), 100 + X[:, -1, 0]])
    return RNNRegressor(bidirectional=True, pooling="mean", **TINY).fit(X, y)


@pytest.fixture
def saved(classifier, tmp_path):
    path = tmp_path / "clf.safetensors"
    save(classifier, path)
    return path


def _assert_same_model(original, loaded, X):
    assert type(loaded) is type(original)
    assert loaded.get_params() == original.get_params()
    for key in ("n_features_in_", "input_kind_", "vocab_size_", "n_iter_"):
        assert getattr(loaded, key) == getattr(original, key)
    original_state = original.net_.module_.state_dict()
    for key, value in loaded.net_.module_.state_dict().items():
        assert torch.equal(value, original_state[key])
    assert loaded.history_.to_list() == original.history_.to_list()
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))


# -- round trips --------------------------------------------------------------


def test_classifier_round_trip(classifier, float_data, saved):
    X, _ = float_data
    loaded = load(saved, expected=RNNClassifier)
    _assert_same_model(classifier, loaded, X)
    np.testing.assert_array_equal(loaded.classes_, classifier.classes_)
    assert loaded.classes_.dtype == classifier.classes_.dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), classifier.predict_proba(X))
    assert loaded.device_ == "cpu"


def test_regressor_round_trip(regressor, float_data, tmp_path):
    X, _ = float_data
    save(regressor, tmp_path / "reg.safetensors")
    loaded = load(tmp_path / "reg.safetensors", expected=(RNNRegressor,))
    _assert_same_model(regressor, loaded, X)
    np.testing.assert_array_equal(loaded.y_mean_, regressor.y_mean_)
    assert loaded.y_scale_.dtype == np.float64


def test_token_classifier_with_int_keyed_class_weight(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 9, size=(30, 7))
    y = rng.integers(0, 3, size=30)
    clf = RNNClassifier(class_weight={0: 2.0, 1: 1.0, 2: 0.5}, **TINY).fit(X, y)
    save(clf, tmp_path / "tokens.safetensors")
    loaded = load(tmp_path / "tokens.safetensors")
    assert loaded.class_weight == {0: 2.0, 1: 1.0, 2: 0.5}
    _assert_same_model(clf, loaded, X)
    assert loaded.classes_.dtype == clf.classes_.dtype


def test_pipeline_round_trip(tmp_path):
    series = np.sin(np.arange(60) / 4) + 5
    pipe = make_pipeline(
        SlidingWindow(window=5, log=True),
        SequenceScaler(),
        RNNRegressor(cell="rnn", **TINY),
    ).fit(series[:-1], series[1:])
    save(pipe, tmp_path / "pipe.safetensors")
    loaded = load(tmp_path / "pipe.safetensors", expected=Pipeline)
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipe.steps]
    np.testing.assert_array_equal(loaded[1].mean_, pipe[1].mean_)
    np.testing.assert_array_equal(loaded.predict(series), pipe.predict(series))


def test_text_pipeline_round_trip(tmp_path):
    docs = ["good film", "bad film", "very good", "very bad plot", "good", "bad"]
    labels = [1, 0, 1, 0, 1, 0]
    pipe = make_pipeline(
        TextTokenizer(maxlen=4), RNNClassifier(embedding_dim=3, **TINY)
    ).fit(docs * 3, labels * 3)
    save(pipe, tmp_path / "text.safetensors")
    loaded = load(tmp_path / "text.safetensors")
    # Ids follow the vocabulary's insertion order, which must survive.
    assert list(loaded[0].vocabulary_.items()) == list(pipe[0].vocabulary_.items())
    new_docs = ["good plot", "unseen words here"]
    np.testing.assert_array_equal(
        loaded.predict_proba(new_docs), pipe.predict_proba(new_docs)
    )


def test_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) ** 2})
    window = SlidingWindow(window=3).fit(frame)
    save(window, tmp_path / "window.safetensors")
    loaded = load(tmp_path / "window.safetensors")
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, ["a", "b"])
    np.testing.assert_array_equal(loaded.transform(frame), window.transform(frame))


def test_private_state_and_odd_values_round_trip(tmp_path):
    """Everything pickle would keep is kept, private derived state included."""
    window = SlidingWindow(window=2).fit(np.arange(5.0))
    window._cache = {b"\xffraw": 2, (1, "a"): [np.float32(0.5), None]}
    window.labels_ = np.array([True, False])
    save(window, tmp_path / "odd.safetensors")
    loaded = load(tmp_path / "odd.safetensors")
    assert loaded._cache == {b"\xffraw": 2, (1, "a"): [0.5, None]}
    assert loaded.labels_.dtype == bool


def test_unfitted_round_trip(tmp_path):
    save(RNNRegressor(hidden_size=3, clip_norm=1.0), tmp_path / "new.safetensors")
    loaded = load(tmp_path / "new.safetensors")
    assert (
        loaded.get_params() == RNNRegressor(hidden_size=3, clip_norm=1.0).get_params()
    )
    with pytest.raises(NotFittedError):
        check_is_fitted(loaded)


def test_training_continues_identically(float_data, tmp_path):
    """The optimizer state is saved too, so partial_fit resumes exactly."""
    X, y = float_data
    clf = RNNClassifier(optimizer="adam", **TINY).fit(X, y)
    save(clf, tmp_path / "clf.safetensors")
    loaded = load(tmp_path / "clf.safetensors")
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert len(loaded.history_) == len(clf.history_) == 3


def test_load_leaves_global_rng_alone(saved):
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002
    load(saved)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)  # noqa: NPY002


def test_load_on_explicit_device(saved, float_data):
    loaded = load(saved, device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert loaded.device_ == expected
    assert loaded.predict(float_data[0]).shape == (24,)


def test_pickle_still_works(classifier, float_data):
    X, _ = float_data
    loaded = pickle.loads(pickle.dumps(classifier))
    np.testing.assert_array_equal(loaded.predict_proba(X), classifier.predict_proba(X))


def test_file_is_standard_safetensors(saved, classifier):
    with safe_open(str(saved), framework="pt") as handle:
        metadata = handle.metadata()
        keys = set(handle.keys())
    document = json.loads(metadata["document"])
    assert document["estimator"]["class"] == "sksequence.RNNClassifier"
    assert document["versions"]["torch"] == torch.__version__
    module_keys = {f"e0.module.{k}" for k in classifier.net_.module_.state_dict()}
    assert module_keys <= keys


# -- save errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (
            RNNClassifier(random_state=np.random.RandomState(0)),
            r"Cannot save estimator\.random_state=RandomState",
        ),
        (TextTokenizer(analyzer=str.split), r"Cannot save estimator\.analyzer"),
        (StandardScaler(), "it supports only RNNClassifier, RNNRegressor"),
        (
            make_pipeline(StandardScaler(), RNNRegressor()),
            r"Cannot save estimator\.steps of type StandardScaler",
        ),
        (
            type("MyClassifier", (RNNClassifier,), {})(),
            "exact classes, not subclasses",
        ),
    ],
)
def test_save_refuses_what_json_cannot_hold(estimator, match, tmp_path):
    with pytest.raises(TypeError, match=match):
        save(estimator, tmp_path / "model.safetensors")
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file


def test_save_refuses_unsupported_arrays(tmp_path):
    window = SlidingWindow()
    window.n_features_in_ = 1
    window.when_ = np.array(["2024-01-01"], dtype="datetime64[D]")
    with pytest.raises(TypeError, match="arrays of dtype datetime64"):
        save(window, tmp_path / "model.safetensors")
    window.when_ = np.array([object()], dtype=object)
    with pytest.raises(TypeError, match="an object array may only hold"):
        save(window, tmp_path / "model.safetensors")


# -- load errors ----------------------------------------------------------------


def _rewrite(source, target, *, edit=None, tensors=None, rehash=True):
    """Copy a saved file, editing its JSON document or tensors."""
    with safe_open(str(source), framework="pt") as handle:
        metadata = handle.metadata()
        content = {key: handle.get_tensor(key) for key in handle.keys()}
    document = json.loads(metadata["document"])
    if edit is not None:
        edit(document)
    if tensors is not None:
        tensors(content)
    metadata["document"] = json.dumps(document)
    if rehash:
        metadata["sha256"] = _digest(metadata["document"], content)
    save_file(content, str(target), metadata=metadata)
    return target


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No model file at .*nothing"):
        load(tmp_path / "nothing.safetensors")


@pytest.mark.parametrize(
    "content", [b"", b"not a model at all", b"\x08\x00\x00\x00\x00\x00\x00\x00{bad"]
)
def test_garbage_file(content, tmp_path):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="is not a readable sksequence model"):
        load(path)


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="is not a readable sksequence model"):
        load(saved)


def test_flipped_weight_byte(saved):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0xFF  # inside the last tensor
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="failed its SHA-256 check"):
        load(saved)


def test_edited_document_without_rehash(saved, tmp_path):
    def bigger(document):
        document["estimator"]["params"]["lr"] = 0.5

    path = _rewrite(saved, tmp_path / "edited.safetensors", edit=bigger, rehash=False)
    with pytest.raises(ModelFileError, match="failed its SHA-256 check"):
        load(path)


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(path), metadata={"author": "someone"})
    with pytest.raises(ModelFileError, match="but not an sksequence model"):
        load(path)


def test_other_class_than_expected(regressor, tmp_path):
    save(regressor, tmp_path / "reg.safetensors")
    with pytest.raises(
        ModelFileError, match="holds a RNNRegressor, not a RNNClassifier or Pipeline"
    ):
        load(tmp_path / "reg.safetensors", expected=(RNNClassifier, Pipeline))


def test_newer_format_version(saved, tmp_path):
    with safe_open(str(saved), framework="pt") as handle:
        metadata = handle.metadata()
        content = {key: handle.get_tensor(key) for key in handle.keys()}
    metadata["format_version"] = "2"
    save_file(content, str(tmp_path / "v2.safetensors"), metadata=metadata)
    with pytest.raises(ModelFileError, match=r"format version '2'.*Upgrade"):
        load(tmp_path / "v2.safetensors")


def test_newer_sksequence_version(saved, tmp_path):
    def newer(document):
        document["versions"]["sksequence"] = "99.0.0"

    path = _rewrite(saved, tmp_path / "newer.safetensors", edit=newer)
    with pytest.raises(ModelFileError, match=r"sksequence 99\.0\.0, which is newer"):
        load(path)


def _set(*keys, value):
    def edit(document):
        target = document
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            _set("estimator", "class", value="os.system"),
            "names the class 'os.system', which sksequence does not load",
        ),
        (
            _set("estimator", "fitted", "module_params_", "hidden_size", value=5),
            "do not fit the network",
        ),
        (
            # Checked on torch's meta device: nothing is allocated.
            _set("estimator", "fitted", "module_params_", "hidden_size", value=10**12),
            "(do not fit the network|not laid out as sksequence)",
        ),
        (
            _set("estimator", "fitted", "module_params_", "cell", value="tpu-cell"),
            "do not fit the network .*cell must be one of",
        ),
        (
            _set("estimator", "fitted", "module_params_", "hidden_size", value=-3),
            "do not fit the network .*hidden_size must be greater than zero",
        ),
        (
            _set("estimator", "params", "colour", value="red"),
            "parameters that this version does not accept",
        ),
        (
            _set("estimator", "fitted", "classes_", value={"__type__": "pickle"}),
            "unknown type 'pickle'",
        ),
        (
            _set(
                "estimator",
                "fitted",
                "classes_",
                value={"__type__": "ndarray", "dtype": "<M8[D]", "shape": [0]},
            ),
            "unsupported dtype datetime64",
        ),
        (_set("versions", value={}), "content is not laid out as sksequence"),
    ],
)
def test_crafted_document(saved, tmp_path, edit, match):
    """A file whose checksum was recomputed still cannot build anything odd."""
    path = _rewrite(saved, tmp_path / "crafted.safetensors", edit=edit)
    with pytest.raises(ModelFileError, match=match):
        load(path)


def test_extra_tensor(saved, tmp_path):
    def add(content):
        content["e7.module.payload"] = torch.zeros(3)

    path = _rewrite(saved, tmp_path / "extra.safetensors", tensors=add)
    with pytest.raises(ModelFileError, match="no network of the saved object uses"):
        load(path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a CPU-only machine")
def test_load_on_missing_gpu(saved):
    with pytest.raises(ValueError, match="CUDA is not available"):
        load(saved, device="cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a CPU-only machine")
def test_gpu_trained_file_loads_on_cpu_only_machine(saved, float_data, tmp_path):
    """A file saved from a CUDA model names its device; here it maps to CPU."""
    path = _rewrite(
        saved,
        tmp_path / "gpu.safetensors",
        edit=_set("estimator", "net", "device", value="cuda:1"),
    )
    loaded = load(path)
    assert loaded.device_ == "cpu"
    assert loaded.device == "cpu"  # the parameter keeps its saved value
    np.testing.assert_array_equal(
        loaded.predict_proba(float_data[0]), load(saved).predict_proba(float_data[0])
    )


# -- every public estimator, from the registry ---------------------------------


def _fitted_examples():
    """A fitted instance and its input for every registered estimator."""
    from sklearn.pipeline import make_pipeline

    from sksequence import (
        NaiveForecaster,
        PretrainedEmbeddings,
        RelativeTargetRegressor,
        RNNForecaster,
        SeasonalNaiveForecaster,
        SequenceScaler,
        SlidingWindow,
        TextTokenizer,
    )

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 2)).astype(np.float32)
    series = 100 + np.cumsum(rng.normal(size=40))
    docs = ["the cat sat", "a dog ran far", "the dog sat", "cats and dogs"]
    tiny = {"hidden_size": 4, "max_epochs": 2, "random_state": 0}
    forecaster = RelativeTargetRegressor(
        make_pipeline(SlidingWindow(4), RNNRegressor(**tiny)), log=True
    )
    return {
        "RNNClassifier": (RNNClassifier(**tiny).fit(X, np.arange(20) % 3), X),
        "RNNRegressor": (RNNRegressor(**tiny).fit(X, X.sum(axis=(1, 2))), X),
        "RelativeTargetRegressor": (
            forecaster.fit(series[:-1, None], series[1:]),
            series[:-1, None],
        ),
        "SequenceScaler": (SequenceScaler().fit(X), X),
        "SlidingWindow": (SlidingWindow(3).fit(series), series),
        "TextTokenizer": (TextTokenizer(maxlen=4).fit(docs), docs),
        "PretrainedEmbeddings": (
            PretrainedEmbeddings(
                make_pipeline(TextTokenizer(maxlen=4), RNNClassifier(**tiny)),
                {"the": [1.0, 0.0], "dog": [0.0, 1.0]},
                freeze=True,
            ).fit(docs, [0, 1, 0, 1]),
            docs,
        ),
        "RNNForecaster": (
            RNNForecaster(
                horizon=2, window=4, difference=True, regressor=RNNRegressor(**tiny)
            ).fit(series),
            series,
        ),
        "NaiveForecaster": (NaiveForecaster(horizon=2).fit(series), series),
        "SeasonalNaiveForecaster": (
            SeasonalNaiveForecaster(season_length=3, horizon=4).fit(series),
            series,
        ),
    }


# Registered estimators that persistence.save cannot write, with the reason.
NOT_SAVEABLE = {}


def _output(estimator, X):
    for method in ("predict_proba", "predict", "transform"):
        if hasattr(estimator, method):
            return getattr(estimator, method)(X)
    raise AssertionError(f"{estimator!r} has no output method")


def test_every_public_estimator_is_saveable_or_excused():
    from sksequence._registry import ESTIMATORS

    examples = _fitted_examples()
    for entry in ESTIMATORS:
        assert (entry.name in examples) != (entry.name in NOT_SAVEABLE), entry.name


@pytest.mark.parametrize(
    "name",
    [
        "RNNClassifier",
        "RNNRegressor",
        "RelativeTargetRegressor",
        "SequenceScaler",
        "SlidingWindow",
        "TextTokenizer",
        "PretrainedEmbeddings",
        "RNNForecaster",
        "NaiveForecaster",
        "SeasonalNaiveForecaster",
    ],
)
def test_public_estimator_round_trip(name, tmp_path):
    estimator, X = _fitted_examples()[name]
    path = tmp_path / f"{name}.safetensors"
    save(estimator, path)
    loaded = load(path, expected=type(estimator))
    assert type(loaded) is type(estimator)
    assert (
        loaded.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()
    )
    np.testing.assert_array_equal(_output(loaded, X), _output(estimator, X))
