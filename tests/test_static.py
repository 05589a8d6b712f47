"""Static features beside sequences: a table whose cells hold sequences."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import BaggingClassifier
from sklearn.inspection import permutation_importance
from sklearn.model_selection import KFold, cross_val_score
from sklearn.multiclass import OneVsOneClassifier
from sklearn.multioutput import ClassifierChain, RegressorChain
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from sksequence import RNNClassifier, RNNRegressor
from sksequence._module import RNNModule
from sksequence.persistence import load, save

TINY = {"hidden_size": 6, "max_epochs": 2, "random_state": 0}


def _table(n=40, seed=0):
    """Label = sign of (sum of the sequence) + 3 * static 'bias'."""
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(int(t), 2)) for t in rng.integers(3, 9, n)]
    bias = rng.normal(size=n)
    table = pd.DataFrame(
        {"trace": sequences, "bias": bias, "noise": rng.normal(size=n)}
    )
    score = np.array([s[:, 0].sum() for s in sequences]) + 3 * bias
    return table, np.where(score > 0, "up", "down"), score


def test_static_features_are_read_and_help():
    table, y, _ = _table(120)
    train, test = slice(0, 90), slice(90, 120)
    settings = {**TINY, "max_epochs": 40, "lr": 0.02}
    with_static = RNNClassifier(**settings).fit(table[train], y[train])
    assert with_static.n_static_features_in_ == 2
    assert with_static.n_features_in_ == 2
    without = RNNClassifier(**settings).fit(list(table["trace"][train]), y[train])
    assert with_static.score(table[test], y[test]) > without.score(
        list(table["trace"][test]), y[test]
    )


@pytest.mark.parametrize("static_input", ["head", "init"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_static_features_keep_padding_exact(static_input, bidirectional, cell):
    table, y, _ = _table(12)
    clf = RNNClassifier(
        **TINY,
        cell=cell,
        num_layers=2,
        bidirectional=bidirectional,
        static_input=static_input,
    ).fit(table, y)
    together = clf.predict_proba(table)
    alone = np.vstack([clf.predict_proba(table.iloc[[i]]) for i in range(len(table))])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_several_sequence_columns_are_stacked_as_features():
    table, y, _ = _table(10)
    table["second"] = [s[:, :1] * 2 for s in table["trace"]]
    clf = RNNClassifier(**TINY).fit(table, y)
    assert clf.n_features_in_ == 3 and clf.n_static_features_in_ == 2


def test_object_array_form_equals_the_dataframe():
    table, y, _ = _table(12)
    clf = RNNClassifier(**TINY).fit(table, y)
    np.testing.assert_array_equal(
        clf.predict_proba(table.to_numpy()), clf.predict_proba(table)
    )


def test_static_input_init_sets_the_initial_state():
    module = RNNModule(2, 1, hidden_size=3, n_static=2, static_input="init")
    X, lengths = torch.zeros(2, 4, 2), torch.tensor([4, 4])
    a = module(X, lengths, torch.tensor([[0.0, 0.0], [5.0, -5.0]]))
    assert not torch.allclose(a[0], a[1])  # same sequence, other static -> other output
    with pytest.raises(ValueError, match=r"static features of shape \(batch, 2\)"):
        module(X, lengths)


def test_static_columns_are_preprocessed_in_a_pipeline():
    table, y, _ = _table(30)
    table["group"] = np.where(np.arange(30) % 2, "a", "b")
    prepare = ColumnTransformer(
        [
            ("scale", StandardScaler(), ["bias", "noise"]),
            ("onehot", OneHotEncoder(), ["group"]),
        ],
        remainder="passthrough",
    )
    model = make_pipeline(prepare, RNNClassifier(**TINY))
    scores = cross_val_score(model, table, y, cv=KFold(3))
    assert scores.shape == (3,)
    fitted = model.fit(table, y)
    assert fitted[-1].n_static_features_in_ == 4  # 2 scaled + 2 one-hot


def test_static_features_survive_clone_pickle_and_save(tmp_path):
    table, y, _ = _table(16)
    clf = RNNClassifier(**TINY, static_input="init").fit(table, y)
    expected = clf.predict_proba(table)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(table), expected
    )
    save(clf, tmp_path / "static.safetensors")
    np.testing.assert_array_equal(
        load(tmp_path / "static.safetensors").predict_proba(table), expected
    )
    clone(clf).fit(table, y)


# -- scikit-learn tools that accept only 2-D X ---------------------------------


def _wide(table):
    """The wide numeric form: static columns, then the NaN-padded steps."""
    width = max(len(s) for s in table["trace"])
    steps = np.full((len(table), width), np.nan)
    for i, s in enumerate(table["trace"]):
        steps[i, : len(s)] = s[:, 0]
    return np.column_stack([table[["bias", "noise"]].to_numpy(), steps])


WIDE = {**TINY, "static_columns": [0, 1]}


def test_wide_form_equals_the_table_form():
    table, y, _ = _table(12)
    univariate = table.assign(trace=[s[:, :1] for s in table["trace"]])
    a = RNNClassifier(**TINY).fit(univariate, y)
    b = RNNClassifier(**WIDE).fit(_wide(table), y)
    np.testing.assert_allclose(
        a.predict_proba(univariate), b.predict_proba(_wide(table)), atol=1e-6
    )
    named = pd.DataFrame(_wide(table)).add_prefix("c")
    c = RNNClassifier(**{**TINY, "static_columns": ["c0", "c1"]}).fit(named, y)
    np.testing.assert_array_equal(c.predict_proba(named), b.predict_proba(_wide(table)))


def test_bagging_on_the_table_form():
    table, y, _ = _table(30)
    bagging = BaggingClassifier(RNNClassifier(**TINY), n_estimators=2, random_state=0)
    assert bagging.fit(table, y).predict(table).shape == (30,)


def test_one_vs_one_on_the_wide_form():
    table, _, score = _table(30)
    three = np.digitize(score, [-1.0, 1.0])  # 3 classes
    ovo = OneVsOneClassifier(RNNClassifier(**WIDE)).fit(_wide(table), three)
    assert set(ovo.predict(_wide(table))) <= {0, 1, 2}


def test_classifier_and_regressor_chains_on_the_wide_form():
    # The chains refuse NaN in X, so padding is out: equal-length sequences.
    table, y, score = _table(20)
    table["trace"] = [s[:3] for s in table["trace"]]
    X = _wide(table)
    assert not np.isnan(X).any()
    Y = np.column_stack([y == "up", score > 1]).astype(int)
    chain = ClassifierChain(RNNClassifier(**WIDE), order=[0, 1]).fit(X, Y)
    assert chain.predict(X).shape == (20, 2)
    targets = np.column_stack([score, score**2])
    regchain = RegressorChain(RNNRegressor(**WIDE), order=[0, 1]).fit(X, targets)
    assert regchain.predict(X).shape == (20, 2)


def test_self_training_on_the_wide_form():
    table, y, _ = _table(30)
    codes = (y == "up").astype(int)
    codes[::3] = -1  # unlabelled
    model = SelfTrainingClassifier(RNNClassifier(**WIDE), max_iter=1)
    assert model.fit(_wide(table), codes).predict(_wide(table)).shape == (30,)


def test_bad_static_columns():
    table, y, _ = _table(6)
    with pytest.raises(ValueError, match="static_columns holds 99, which is not"):
        RNNClassifier(**{**TINY, "static_columns": [99]}).fit(_wide(table), y)
    with pytest.raises(ValueError, match="static_columns names 'age'"):
        RNNClassifier(**{**TINY, "static_columns": ["age"]}).fit(_wide(table), y)
    with pytest.raises(ValueError, match="covers every column"):
        RNNClassifier(**{**TINY, "static_columns": [0, 1]}).fit(_wide(table)[:, :2], y)


def test_permutation_importance_per_column():
    table, y, _ = _table(60)
    clf = RNNClassifier(**{**TINY, "max_epochs": 30, "lr": 0.02}).fit(table, y)
    result = permutation_importance(clf, table, y, n_repeats=3, random_state=0)
    assert result.importances_mean.shape == (3,)  # trace, bias, noise
    # The label depends strongly on 'bias' and not at all on 'noise'.
    assert result.importances_mean[1] > result.importances_mean[2]


# -- errors --------------------------------------------------------------------


def test_wrong_number_of_static_columns_at_predict():
    table, y, _ = _table(10)
    clf = RNNClassifier(**TINY).fit(table, y)
    with pytest.raises(
        ValueError, match=r"X has 1 static feature\(s\) .* fitted with 2"
    ):
        clf.predict(table[["trace", "bias"]])
    with pytest.raises(ValueError, match=r"X has 0 static feature\(s\)"):
        clf.predict(list(table["trace"]))


def test_nan_and_strings_in_static_columns():
    table, y, _ = _table(10)
    bad = table.copy()
    bad.loc[3, "bias"] = np.nan
    with pytest.raises(ValueError, match=r"Static feature 'bias' of X is nan in row 3"):
        RNNClassifier(**TINY).fit(bad, y)
    bad = table.copy()
    bad["kind"] = "x"
    with pytest.raises(ValueError, match=r"Static feature 'kind' .* OneHotEncoder"):
        RNNClassifier(**TINY).fit(bad, y)


def test_sequence_columns_of_different_lengths_in_a_row():
    table, y, _ = _table(10)
    table["second"] = [s[:-1] for s in table["trace"]]
    with pytest.raises(
        ValueError, match="Row 0 of X has sequence columns of different"
    ):
        RNNClassifier(**TINY).fit(table, y)
