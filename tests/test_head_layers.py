"""Hidden layers in the output head (``head_layers``)."""

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from sksequence import RNNClassifier, RNNRegressor
from sksequence._module import RNNModule
from sksequence.persistence import load, save

TINY = {"hidden_size": 4, "max_epochs": 2, "random_state": 0}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    return X, X[:, :, 0].sum(axis=1)


def test_module_head_is_relu_layers_then_linear():
    module = RNNModule(n_inputs=2, n_outputs=3, hidden_size=6, head_layers=(8, 5))
    layers = list(module.head)
    assert [type(layer) for layer in layers] == [
        nn.Linear,
        nn.ReLU,
        nn.Linear,
        nn.ReLU,
        nn.Linear,
    ]
    assert [layers[0].in_features, layers[2].in_features, layers[4].out_features] == [
        6,
        8,
        3,
    ]
    out = module(torch.zeros(4, 7, 2), torch.tensor([7, 3, 1, 5]))
    assert out.shape == (4, 3)
    assert isinstance(RNNModule(n_inputs=2, n_outputs=3).head, nn.Linear)


@pytest.mark.parametrize("per_step", [False, True])
def test_estimators_train_and_record_the_head(data, per_step):
    X, y = data
    target = np.repeat(y[:, None], 5, axis=1) if per_step else y
    reg = RNNRegressor(head_layers=[6], per_step=per_step, **TINY).fit(X, target)
    assert reg.module_params_["head_layers"] == (6,)
    assert isinstance(reg.net_.module_.head, nn.Sequential)
    assert np.all(np.isfinite(np.stack(list(reg.predict(X)))))
    clf = RNNClassifier(head_layers=(6,), **TINY).fit(X, y > 0)
    assert clf.predict_proba(X).shape == (40, 2)


def test_save_load_and_pickle_keep_the_head(data, tmp_path):
    X, y = data
    reg = RNNRegressor(head_layers=(6, 3), **TINY).fit(X, y)
    save(reg, tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(reg)).predict(X), reg.predict(X)
    )


def test_warm_start_refuses_a_new_head_but_not_a_list_for_a_tuple(data):
    X, y = data
    reg = RNNRegressor(head_layers=(6,), warm_start=True, **TINY).fit(X, y)
    reg.set_params(head_layers=[6]).fit(X, y)  # the same layers
    with pytest.raises(ValueError, match=r"head_layers: \(6,\) -> \(8,\)"):
        reg.set_params(head_layers=(8,)).fit(X, y)


@pytest.mark.parametrize("bad", [(0,), (4, -1), (2.5,), ("8",), (True,)])
def test_bad_head_layers_are_refused_with_the_fix(data, bad):
    X, y = data
    with pytest.raises(
        ValueError, match=r"head_layers must hold positive ints.*\(64,\)"
    ):
        RNNRegressor(head_layers=bad, **TINY).fit(X, y)


def test_head_layers_as_an_array_and_warm_start_validation(data):
    X, y = data
    reg = RNNRegressor(head_layers=np.array([5]), warm_start=True, **TINY).fit(X, y)
    assert reg.module_params_["head_layers"] == (5,)
    with pytest.raises(ValueError, match="head_layers must hold positive ints"):
        reg.set_params(head_layers=(2.5,)).fit(X, y)


def test_a_module_pickled_before_n_outputs_still_predicts(data):
    X, y = data
    reg = RNNRegressor(**TINY).fit(X, y)
    expected = reg.predict(X)
    del reg.net_.module_.n_outputs  # as in modules pickled by older versions
    restored = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(restored.predict(X), expected)
