"""Export fitted estimators and pipelines to ONNX, for serving without Python.

:func:`to_onnx` writes the fitted network of an :class:`~sksequence.RNNClassifier`
or :class:`~sksequence.RNNRegressor` (alone, or as the last step of a
:class:`~sklearn.pipeline.Pipeline`) as one ONNX graph that ONNX Runtime runs
to the same answers as ``predict_proba`` / ``predict``. The graph holds, in
order:

1. input preparation: token ids the network has no embedding for become the
   unknown id 1; steps after each sequence's length are zeroed (so NaN
   padding is harmless); the per-feature standardisation of every
   :class:`~sksequence.preprocessing.SequenceScaler` step, in float64 as
   ``transform`` computes it;
2. the network itself (``RNNModule.forward``, traced: whatever cell, depth,
   direction and pooling it was built with);
3. output decoding: class probabilities (sigmoid or softmax, float64) and
   labels, or de-standardised (and, for quantile models, sorted) predictions.

A :class:`~sksequence.text.TextTokenizer` cannot be an ONNX graph (regular
expressions and a dictionary lookup on strings): :func:`export_tokenizer`
writes its vocabulary and settings as JSON, from which a serving process
reproduces ``transform`` in a few lines of Python (docs/export.md).

Graph inputs: ``X``, the post-padded batch (float32 ``(batch, steps,
n_features)`` or int64 token ids ``(batch, steps)``), ``lengths`` (int64
``(batch,)``, each in ``1..steps``) and, for models fitted with static
features, ``static`` (float32 ``(batch, n_static)``). Batch and steps are
dynamic. Outputs: ``label``, ``probabilities`` (float64) and ``logits``
(float32, the network's raw output) for classifiers; ``predictions``
(float64), plus ``quantiles`` for quantile regressors. Per-step models give
one row per step, ``(batch, steps, ...)``; rows beyond a sequence's length
are padding.

The exporter is torch's TorchScript-based ``torch.onnx.export(...,
dynamo=False)``: in torch 2.13 the ``torch.export``-based exporter fixes the
number of time steps of ``nn.RNN`` networks to the example's and failed
intermittently on LSTM/GRU graphs with a dynamic step axis (docs/export.md).
"""

import copy
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._classifier import RNNClassifier
from ._regressor import RNNRegressor
from .preprocessing import SequenceScaler
from .text import PAD_ID, UNK_ID, UNK_TOKEN, TextTokenizer

__all__ = ["export_tokenizer", "to_onnx"]

#: Opsets the TorchScript exporter writes and the exported graphs were tested
#: with (ONNX Runtime 1.17 and later run opset 20).
MIN_OPSET = 14
MAX_OPSET = 20
#: Format of the tokenizer JSON, for servers that check what they read.
TOKENIZER_FORMAT = "sksequence.TextTokenizer"
TOKENIZER_FORMAT_VERSION = 1

#: The example batch the network is traced with, and the one the exported
#: graph is checked on (other batch size, other steps, a length-1 sequence).
TRACE_LENGTHS = (5, 3, 2)
CHECK_LENGTHS = (7, 1, 4, 6)
INPUT_NAMES = ["X", "lengths", "static"]

_MODELS = (RNNClassifier, RNNRegressor)
_INSTALL = 'pip install "sksequence[onnx]"'
_SUPPORTED = (
    "an RNNClassifier or RNNRegressor, alone or as the last step of a Pipeline "
    "whose other steps are SequenceScaler (computed in the graph) and, as the "
    "first step, a TextTokenizer (exported as JSON beside the model); exact "
    "classes, not subclasses"
)


def to_onnx(estimator, path=None, *, opset=None):
    """Export a fitted estimator or pipeline as an ONNX model.

    ONNX Runtime then reproduces ``predict_proba`` and ``predict`` (to float
    rounding, about 1e-7) with no sksequence, torch or scikit-learn in the
    serving process. See the module docstring for the graph's inputs and
    outputs, and the user guide page "Export to ONNX" for a serving example.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor or Pipeline
        A fitted model, or a fitted Pipeline ending in one whose other steps
        are :class:`~sksequence.preprocessing.SequenceScaler` (put into the
        graph) and, as its first step, a :class:`~sksequence.text.TextTokenizer`.
        Exact classes only, as for :func:`sksequence.persistence.save`.
    path : str or path-like, default=None
        Where to write the model (conventionally ``*.onnx``). When the
        pipeline starts with a TextTokenizer, its JSON (see
        :func:`export_tokenizer`) is written beside it, with the suffix
        replaced by ``.tokenizer.json``. None writes nothing.
    opset : int, default=None
        ONNX opset, from 14 to 20; None uses torch's default (20).

    Returns
    -------
    model : onnx.ModelProto
        The model; ``model.SerializeToString()`` is what
        ``onnxruntime.InferenceSession`` reads. ``model.metadata_props``
        records the sksequence version, the estimator and the input kind.

    Raises
    ------
    ImportError
        If the ``onnx`` package is missing (``pip install "sksequence[onnx]"``).
    TypeError
        If the object, or a step of the pipeline, cannot be exported.
    sklearn.exceptions.NotFittedError
        If the model or a pipeline step is not fitted.

    See Also
    --------
    export_tokenizer : The JSON a serving process tokenises text with.
    sksequence.persistence.save : Save a model to reload it in Python.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sksequence import RNNClassifier
    >>> from sksequence.export import to_onnx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 6, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> model = to_onnx(clf)
    >>> session = onnxruntime.InferenceSession(model.SerializeToString())
    >>> [output.name for output in session.get_outputs()]
    ['label', 'probabilities', 'logits']
    >>> lengths = np.full(len(X), 6, dtype=np.int64)
    >>> label, proba, logits = session.run(None, {"X": X, "lengths": lengths})
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-6))
    True
    >>> bool((label == clf.predict(X)).all())
    True
    """
    onnx = _import_onnx()
    opset = _check_opset(opset)
    tokenizer, scalers, model = _split_pipeline(estimator)
    tokenizer_config = None
    if tokenizer is not None and path is not None:
        # Built first: a tokenizer that cannot be described fails the export
        # before any file is written.
        tokenizer_config = export_tokenizer(tokenizer)
    serving = _ServingModule(model, scalers)
    proto = onnx.load_model_from_string(_trace(serving, opset))
    _check_graph(serving, proto)
    if isinstance(model, RNNClassifier):
        _add_label_output(onnx, proto, model.classes_)
    metadata = _metadata(tokenizer, scalers, model)
    if tokenizer_config is not None:
        json_path = _tokenizer_path(path)
        metadata["sksequence.tokenizer"] = json_path.name
    onnx.helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto)
    if path is not None:
        onnx.save_model(proto, os.fspath(path))
        if tokenizer_config is not None:
            _write_json(tokenizer_config, json_path)
    return proto


def export_tokenizer(tokenizer, path=None):
    """The vocabulary and settings of a fitted TextTokenizer, as JSON.

    Everything a serving process needs to reproduce
    :meth:`TextTokenizer.transform <sksequence.text.TextTokenizer.transform>`
    without sksequence: lowercase the document if ``lowercase``; take its
    tokens (``re.findall(token_pattern, doc)`` for ``analyzer="word"``, its
    characters for ``"char"``); map each to ``vocabulary[token]``, or to
    ``unknown_id`` (1) when absent; a document without tokens becomes
    ``[unknown_id]``; keep the last ``maxlen`` ids (``truncating="pre"``) or
    the first (``"post"``). ``pad_id`` (0) is padding. ``num_words`` and
    ``min_frequency`` are recorded for reference only: the vocabulary is
    already cut by them.

    Parameters
    ----------
    tokenizer : TextTokenizer or Pipeline
        A fitted tokenizer, or a fitted Pipeline whose first step is one.
    path : str or path-like, default=None
        Where to write the JSON (UTF-8). None writes nothing.

    Returns
    -------
    config : dict
        The JSON document: ``format``, ``format_version``, ``analyzer``,
        ``lowercase``, ``token_pattern`` (a Python :mod:`re` pattern),
        ``num_words``, ``min_frequency``, ``maxlen``, ``padding``,
        ``truncating``, ``pad_id``, ``unknown_id``, ``unknown_token``,
        ``empty_document``, ``vocab_size`` and ``vocabulary`` (token to id,
        in id order).

    Raises
    ------
    TypeError
        If ``tokenizer`` is neither a TextTokenizer nor a Pipeline starting
        with one.
    ValueError
        If the tokenizer uses a callable analyzer, which JSON cannot describe.
    sklearn.exceptions.NotFittedError
        If the tokenizer is not fitted.

    See Also
    --------
    to_onnx : Export the model that reads the ids.

    Examples
    --------
    >>> from sksequence.text import TextTokenizer
    >>> from sksequence.export import export_tokenizer
    >>> tokenizer = TextTokenizer(maxlen=4).fit(["the cat sat", "the dog"])
    >>> config = export_tokenizer(tokenizer)
    >>> config["vocabulary"]
    {'the': 2, 'cat': 3, 'dog': 4, 'sat': 5}
    >>> config["maxlen"], config["padding"], config["unknown_id"]
    (4, 'pre', 1)
    """
    tokenizer = _find_tokenizer(tokenizer)
    check_is_fitted(tokenizer)
    if callable(tokenizer.analyzer):
        raise ValueError(
            f"This TextTokenizer uses the callable analyzer {tokenizer.analyzer!r}, "
            "which JSON cannot describe. Use analyzer='word' with a token_pattern "
            "(or 'char'), or export the vocabulary yourself (tokenizer."
            "vocabulary_) and run the same analyzer in the serving process."
        )
    config = {
        "format": TOKENIZER_FORMAT,
        "format_version": TOKENIZER_FORMAT_VERSION,
        "analyzer": tokenizer.analyzer,
        "lowercase": bool(tokenizer.lowercase),
        "token_pattern": tokenizer.token_pattern,
        "num_words": _optional_int(tokenizer.num_words),
        "min_frequency": int(tokenizer.min_frequency),
        "maxlen": _optional_int(tokenizer.maxlen),
        "padding": tokenizer.padding,
        "truncating": tokenizer.truncating,
        "pad_id": PAD_ID,
        "unknown_id": UNK_ID,
        "unknown_token": UNK_TOKEN,
        "empty_document": [UNK_ID],
        "vocab_size": int(tokenizer.vocab_size_),
        "vocabulary": {str(k): int(v) for k, v in tokenizer.vocabulary_.items()},
    }
    if path is not None:
        _write_json(config, Path(path))
    return config


# -- what is exported ----------------------------------------------------------


def _split_pipeline(estimator):
    """``(tokenizer or None, [scalers], model)``; raise for anything else."""
    steps = _flatten(estimator)
    *before, (name, model) = steps
    if type(model) not in _MODELS:
        where = "" if name is None else f" (the last step of the Pipeline, {name!r})"
        raise TypeError(
            f"to_onnx exports {_SUPPORTED}, but got {_describe(model)}{where}."
            + _search_hint(model)
        )
    tokenizer, scalers = None, []
    for position, (name, step) in enumerate(before):
        if type(step) is TextTokenizer and position == 0:
            tokenizer = step
        elif type(step) is SequenceScaler:
            scalers.append(step)
        else:
            raise TypeError(
                f"Pipeline step {name!r} is {_describe(step)}, which to_onnx cannot "
                f"export: it exports {_SUPPORTED}. Apply other preprocessing before "
                "the exported model (in the serving process), and export the "
                "Pipeline of the remaining steps."
            )
    for _, step in before:
        check_is_fitted(step)
    check_is_fitted(model, "net_")
    return tokenizer, scalers, model


def _flatten(estimator, name=None):
    """``[(step name, step)]`` of a (nested) Pipeline, skipping passthrough steps."""
    if not isinstance(estimator, Pipeline):
        return [(name, estimator)]
    steps = []
    for step_name, step in estimator.steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        steps.extend(_flatten(step, step_name))
    if not steps:
        raise TypeError(
            f"to_onnx exports {_SUPPORTED}, but got a Pipeline without steps."
        )
    return steps


def _find_tokenizer(obj):
    if isinstance(obj, Pipeline):
        steps = _flatten(obj)
        if type(steps[0][1]) is TextTokenizer:
            return steps[0][1]
    if type(obj) is TextTokenizer:
        return obj
    raise TypeError(
        f"export_tokenizer needs a fitted TextTokenizer, or a Pipeline whose first "
        f"step is one, but got {_describe(obj)}."
    )


def _describe(obj):
    return f"a {type(obj).__module__}.{type(obj).__qualname__}"


def _search_hint(obj):
    if hasattr(obj, "best_estimator_"):
        return " For a fitted search, export its best_estimator_."
    return ""


# -- the traced graph ----------------------------------------------------------


class _ServingModule(nn.Module):
    """Input preparation -> the fitted network -> output decoding, as one module.

    Torch code only: everything it needs from the estimator is read here,
    once, into tensors and plain values.
    """

    def __init__(self, model, scalers):
        super().__init__()
        network = model.net_.module_
        self.network = copy.deepcopy(network).to("cpu").eval()
        self.tokens = model.input_kind_ == "tokens"
        self.n_features = int(model.n_features_in_)
        self.n_static = int(getattr(model, "n_static_features_in_", 0) or 0)
        self.per_step = bool(getattr(network, "per_step", False))
        self.vocab_size = None if model.vocab_size_ is None else int(model.vocab_size_)
        self.n_scalers = len(scalers)
        for i, scaler in enumerate(scalers):
            self.register_buffer(f"mean{i}", _float64(scaler.mean_))
            self.register_buffer(f"scale{i}", _float64(scaler.scale_))
        if isinstance(model, RNNClassifier):
            self.task = "binary" if model.n_outputs_ == 1 else "multiclass"
            self.output_names = ["probabilities", "logits"]
        else:
            self.task = "regression"
            quantiles = getattr(model, "quantiles_", None)
            self.n_outputs = int(model.n_outputs_)
            self.n_quantiles = 0 if quantiles is None else len(quantiles)
            self.point = model._point_quantile() if self.n_quantiles else 0
            self.squeeze = model.y_ndim_ == 1
            self.register_buffer("y_mean", _float64(model.y_mean_))
            self.register_buffer("y_scale", _float64(model.y_scale_))
            self.output_names = ["predictions"]
            if self.n_quantiles:
                self.output_names.append("quantiles")

    def forward(self, X, lengths, static=None):
        X = self._prepare(X, lengths)
        if static is None:
            raw = self.network(X, lengths)
        else:
            raw = self.network(X, lengths, static)
        return self._decode(raw)

    def _prepare(self, X, lengths):
        steps = torch.arange(X.shape[1])
        valid = steps[None, :] < lengths[:, None]
        if self.tokens:
            # As the estimator does: ids without an embedding row are unknown.
            X = torch.where((X >= 0) & (X < self.vocab_size), X, UNK_ID)
            return X.masked_fill(~valid, PAD_ID)
        for i in range(self.n_scalers):
            # SequenceScaler computes in float64 and returns float32.
            mean, scale = getattr(self, f"mean{i}"), getattr(self, f"scale{i}")
            X = ((X.double() - mean) / scale).float()
        # Padding becomes 0, as in the estimator: NaN padding cannot leak.
        return X.masked_fill(~valid[:, :, None], 0.0)

    def _decode(self, raw):
        z = raw.double()
        if self.task == "binary":
            positive = torch.sigmoid(z)
            return torch.cat([1.0 - positive, positive], dim=-1), raw
        if self.task == "multiclass":
            return torch.softmax(z, dim=-1), raw
        if not self.n_quantiles:
            predictions = z * self.y_scale + self.y_mean
            return predictions[..., 0] if self.squeeze else predictions
        z = z.unflatten(-1, (self.n_outputs, self.n_quantiles))
        values = z * self.y_scale[:, None] + self.y_mean[:, None]
        # Sorted, as predict_quantiles: quantiles never cross.
        values = torch.sort(values, dim=-1).values
        if self.squeeze:
            values = values[..., 0, :]
        return values[..., self.point], values

    def example_inputs(self, lengths, rng=None):
        """A batch with these lengths: constant values, or random ones from ``rng``."""
        batch, steps = len(lengths), max(lengths)
        lengths = torch.tensor(lengths, dtype=torch.int64)
        if self.tokens:
            if rng is None:
                X = np.full((batch, steps), UNK_ID)
            else:  # ids beyond the embedding included
                X = rng.integers(0, self.vocab_size + 3, size=(batch, steps))
            X = torch.as_tensor(X, dtype=torch.int64)
        else:
            shape = (batch, steps, self.n_features)
            X = np.zeros(shape) if rng is None else rng.normal(size=shape)
            X = torch.as_tensor(X, dtype=torch.float32)
        if not self.n_static:
            return X, lengths
        shape = (batch, self.n_static)
        static = np.zeros(shape) if rng is None else rng.normal(size=shape)
        return X, lengths, torch.as_tensor(static, dtype=torch.float32)

    def dynamic_axes(self):
        axes = {"X": {0: "batch", 1: "steps"}, "lengths": {0: "batch"}}
        if self.n_static:
            axes["static"] = {0: "batch"}
        output_axes = {0: "batch", 1: "steps"} if self.per_step else {0: "batch"}
        axes.update({name: output_axes for name in self.output_names})
        return axes


def _trace(serving, opset):
    """The serialised ONNX model of ``serving``, from torch's TorchScript exporter."""
    # No size is 1 and the lengths differ, so the tracer specialises nothing.
    inputs = serving.example_inputs(TRACE_LENGTHS)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Expected and harmless here: the legacy exporter's DeprecationWarning,
        # TracerWarnings from nn.RNN's input-size checks (sizes that are fixed
        # anyway) and the LSTM batch-size note (initial states are zeros built
        # from the dynamic batch size; the tests run other batch sizes).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            serving,
            inputs,
            buffer,
            dynamo=False,
            input_names=INPUT_NAMES[: len(inputs)],
            output_names=serving.output_names,
            dynamic_axes=serving.dynamic_axes(),
            opset_version=opset,
        )
    return buffer.getvalue()


def _check_graph(serving, proto):
    """Run the graph on a batch of other sizes; raise if it disagrees with torch.

    Tracing records one example batch; a shape the network reads as a
    Python number (``len(tensor)``) would be frozen into the graph. This
    check catches that when onnxruntime is installed (skipped otherwise).
    """
    try:
        import onnxruntime
    except ImportError:
        return
    inputs = serving.example_inputs(CHECK_LENGTHS, np.random.default_rng(0))
    with torch.no_grad():
        expected = serving(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    feed = {name: x.numpy() for name, x in zip(INPUT_NAMES, inputs, strict=False)}
    try:
        session = onnxruntime.InferenceSession(
            proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        outputs = session.run(serving.output_names, feed)
    except Exception as exc:  # onnxruntime's own exception types
        raise RuntimeError(_graph_error(str(exc).strip())) from exc
    for name, want, got in zip(serving.output_names, expected, outputs, strict=True):
        want = want.numpy()
        tolerance = 1e-4 * (1.0 + float(np.abs(want).max()))
        if want.shape != got.shape or not np.allclose(
            got, want, rtol=0, atol=tolerance
        ):
            raise RuntimeError(
                _graph_error(f"output {name!r} differs from the torch network's")
            )


def _graph_error(detail):
    return (
        "The exported ONNX graph does not reproduce the network on a batch of "
        f"another size than the traced one ({detail}). Part of the network reads "
        "a tensor size as a Python number, which tracing freezes; this is a bug "
        "of sksequence for this configuration: please report it."
    )


def _add_label_output(onnx, proto, classes):
    """Append ``label = classes[argmax(probabilities)]`` to the graph."""
    graph = proto.graph
    graph.initializer.append(_classes_tensor(onnx, classes))
    graph.node.extend(
        [
            onnx.helper.make_node(
                "ArgMax",
                ["probabilities"],
                ["sksequence_label_index"],
                name="sksequence_label_argmax",
                axis=-1,
                keepdims=0,
            ),
            onnx.helper.make_node(
                "Gather",
                ["sksequence_classes", "sksequence_label_index"],
                ["label"],
                name="sksequence_label_gather",
                axis=0,
            ),
        ]
    )
    probabilities = next(o for o in graph.output if o.name == "probabilities")
    dims = probabilities.type.tensor_type.shape.dim[:-1]
    shape = [d.dim_param or d.dim_value for d in dims]
    label_type = graph.initializer[-1].data_type
    graph.output.insert(
        0, onnx.helper.make_tensor_value_info("label", label_type, shape)
    )


def _classes_tensor(onnx, classes):
    classes = np.asarray(classes)
    name = "sksequence_classes"
    if classes.dtype.kind in "biuf":
        return onnx.numpy_helper.from_array(classes, name=name)
    values = classes.tolist()
    if all(isinstance(v, str) for v in values):
        return onnx.helper.make_tensor(
            name,
            onnx.TensorProto.STRING,
            [len(values)],
            [v.encode("utf-8") for v in values],
        )
    raise TypeError(
        f"to_onnx writes the class labels into the graph, which holds numbers or "
        f"strings only, but classes_ holds {sorted({type(v).__name__ for v in values})}"
        ". Fit the classifier on int or str labels (e.g. y.astype(str))."
    )


def _metadata(tokenizer, scalers, model):
    from . import __version__

    in_graph = [type(step).__name__ for step in [*scalers, model]]
    metadata = {
        "sksequence.version": __version__,
        "sksequence.estimator": type(model).__name__,
        "sksequence.input": model.input_kind_,
        "sksequence.n_features": str(int(model.n_features_in_)),
        "sksequence.n_static": str(int(getattr(model, "n_static_features_in_", 0))),
        "sksequence.steps": json.dumps(["TextTokenizer"] * bool(tokenizer) + in_graph),
        "sksequence.in_graph": json.dumps(in_graph),
    }
    if isinstance(model, RNNClassifier):
        metadata["sksequence.classes"] = json.dumps(
            np.asarray(model.classes_).tolist(), default=str
        )
    return metadata


# -- helpers -------------------------------------------------------------------


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "Exporting to ONNX needs the onnx package, which is not installed. "
            f"Install the ONNX extra: {_INSTALL} (onnx, and onnxruntime to run "
            "the exported models)."
        ) from exc
    return onnx


def _check_opset(opset):
    if opset is None:
        return None
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(
            f"opset must be an int from {MIN_OPSET} to {MAX_OPSET} or None, got "
            f"{type(opset).__name__} {opset!r}."
        )
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(
            f"opset must be from {MIN_OPSET} to {MAX_OPSET} (what torch's exporter "
            f"writes and sksequence tests), got {opset}. Pass None for the default."
        )
    return int(opset)


def _tokenizer_path(path):
    """``model.onnx`` -> ``model.tokenizer.json``."""
    return Path(path).with_suffix(".tokenizer.json")


def _write_json(config, path):
    path.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")


def _optional_int(value):
    return None if value is None else int(value)


def _float64(values):
    return torch.as_tensor(np.asarray(values, dtype=np.float64))
