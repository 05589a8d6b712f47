"""Save and load fitted models without pickle.

:func:`save` writes one `safetensors <https://huggingface.co/docs/safetensors>`_
file: the network weights (and optimizer state) as tensors, and everything
else -- the class, ``get_params()``, the fitted attributes, the training
history and the library versions -- as one JSON document in the file's
metadata, together with a SHA-256 checksum of the document and the tensors.
:func:`load` rebuilds the estimator from that description: it imports only
classes from a fixed allow-list and reads only JSON and raw tensors, so
loading a file can never execute code (unlike ``pickle`` and ``joblib``).

Layout of the JSON document (the ``"document"`` entry of the metadata)::

    {"format": "sksequence", "format_version": 1,
     "versions": {"sksequence": ..., "torch": ..., "scikit-learn": ..., ...},
     "estimator": {"class": "sksequence.RNNClassifier",
                   "params": {...},          # get_params(deep=False)
                   "fitted": {...},          # all other attributes
                   "net": {"tensors": "e0", "device": "cpu",
                           "optimizer": {...}, "history": [...]}}}

Values that JSON cannot hold are tagged objects: ``{"__type__": "ndarray",
"dtype": "<U3", "shape": [2], "data": [...]}``, ``"tuple"``, ``"bytes"``,
``"dict"`` (for non-string keys) and ``"estimator"`` (a nested estimator,
e.g. a Pipeline step). The weights of the ``n``-th network of the file are the tensors
``e{n}.module.*`` and ``e{n}.optimizer.*``.
"""

import hashlib
import importlib
import json
import os
import platform
import re
import tempfile
from pathlib import Path

import numpy as np
import safetensors
import sklearn
import skorch
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ._registry import ESTIMATORS

__all__ = ["ModelFileError", "load", "save"]

FORMAT = "sksequence"
FORMAT_VERSION = 1

# The only classes a file may name: name in the file -> (module, attribute):
# every public estimator of the registry, and Pipeline. Exact types only: a
# subclass may hold state this module does not know.
LOADABLE = {
    **{entry.file_name: (entry.module, entry.name) for entry in ESTIMATORS},
    "sklearn.pipeline.Pipeline": ("sklearn.pipeline", "Pipeline"),
}
# numpy dtype kinds a fitted attribute may have: bool, ints, floats, str, and
# object arrays whose elements are themselves JSON scalars.
_ARRAY_KINDS = "biufUO"
_SCALARS = (type(None), bool, int, float, str)


class ModelFileError(ValueError):
    """Raised when a file cannot be loaded as an sksequence model.

    The file is corrupted, was modified after saving, was written by a newer
    sksequence, holds another class than the one expected, or is not an
    sksequence model file at all. :func:`load` never returns a partly built
    object: it raises before anything is returned.
    """


def save(estimator, path):
    """Save an estimator or pipeline to one file that is safe to load.

    Supported: :class:`~sksequence.RNNClassifier`,
    :class:`~sksequence.RNNRegressor`, the sksequence transformers, and
    :class:`~sklearn.pipeline.Pipeline` objects made of them, fitted or not.
    Parameters must be JSON-safe values (None, bool, int, float, str, and
    lists, tuples and dicts of them). The file is written to a temporary
    name first and then renamed, so a failed save never leaves a partial file
    at ``path``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        The object to save.
    path : str or path-like
        Destination file, conventionally ending in ``.safetensors``. An
        existing file is replaced.

    Raises
    ------
    TypeError
        If the object, a pipeline step or a parameter cannot be described
        without pickle (use :mod:`pickle` or :mod:`joblib` for those).

    See Also
    --------
    load : Rebuild the saved object.

    Examples
    --------
    >>> import numpy as np
    >>> from sksequence import RNNClassifier
    >>> from sksequence.persistence import load, save
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 5, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> save(clf, path)
    >>> loaded = load(path, expected=RNNClassifier)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    writer = _Writer()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": writer.estimator(estimator, "estimator"),
    }
    text = json.dumps(document)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "document": text,
        "sha256": _digest(text, writer.tensors),
    }
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(writer.tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path, *, expected=None, device=None):
    """Load an estimator or pipeline written by :func:`save`.

    Only JSON and raw tensors are read and only allow-listed classes are
    built, so a file from an untrusted source cannot run code. The file's
    checksum, format version and sksequence version are checked before
    anything is built.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    expected : class or tuple of classes, default=None
        Raise :class:`ModelFileError` unless the saved object is an instance
        of one of them (e.g. ``RNNClassifier`` or
        :class:`~sklearn.pipeline.Pipeline`).
    device : str, default=None
        Torch device for the loaded networks (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ``"auto"``). None keeps the device each network was
        trained on when it exists here, and otherwise uses the CPU: a model
        trained on a GPU loads on a CPU-only machine. ``device_`` says where
        a network lives; the ``device`` parameter keeps its saved value (use
        ``set_params(device="cpu")`` before training a loaded GPU model
        further on a CPU-only machine).

    Returns
    -------
    estimator : estimator or Pipeline
        The saved object, with its parameters, fitted attributes, weights,
        optimizer state and training history.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is not an sksequence model, is corrupted or was modified,
        was written by a newer sksequence, does not hold an ``expected``
        object, or its weights do not fit the network this version builds.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from sksequence import RNNClassifier, RNNRegressor, SlidingWindow
    >>> from sksequence.persistence import load, save
    >>> series = np.sin(np.arange(40) / 3)
    >>> pipe = make_pipeline(SlidingWindow(window=4),
    ...                      RNNRegressor(hidden_size=4, max_epochs=2,
    ...                                   random_state=0))
    >>> pipe = pipe.fit(series[:-1], series[1:])
    >>> path = os.path.join(tempfile.mkdtemp(), "pipe.safetensors")
    >>> save(pipe, path)
    >>> loaded = load(path)
    >>> bool((loaded.predict(series[:-1]) == pipe.predict(series[:-1])).all())
    True
    >>> load(path, expected=RNNClassifier)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sksequence.persistence.ModelFileError: ... holds a Pipeline, not a RNNClassifier...
    """
    path = Path(path)
    _check_expected_argument(expected)
    if device is not None:
        from ._base import _resolve_device

        device = _resolve_device(device)
    if not path.exists():
        raise FileNotFoundError(f"No model file at '{path}': the path does not exist.")
    metadata, tensors = _read(path)
    try:
        document = _check_document(path, metadata, tensors)
        record = document["estimator"]
        _check_expected(path, record, expected)
        reader = _Reader(path, tensors, device)
        estimator = reader.estimator(record)
    except ModelFileError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # whatever a forged file makes torch or sklearn raise
        raise ModelFileError(
            f"'{path}' passed its checksum but its content is not laid out as "
            f"sksequence writes it ({type(exc).__name__}: {exc}). It was not "
            "written by sksequence.persistence.save."
        ) from exc
    unused = set(tensors) - reader.used
    if unused:
        raise ModelFileError(
            f"'{path}' holds tensors that no network of the saved object uses: "
            f"{sorted(unused)[:5]}. The file was modified after saving."
        )
    return estimator


# -- writing ------------------------------------------------------------------


class _Writer:
    """Turn an estimator tree into JSON-safe records plus named tensors."""

    def __init__(self):
        self.tensors = {}
        self.n_nets = 0

    def estimator(self, obj, where):
        name = _class_name(obj, where)
        params = obj.get_params(deep=False)
        if params.get("callbacks") is not None:
            raise TypeError(
                f"Cannot save {where}: its callbacks parameter holds skorch "
                "callbacks, which are code, and a safe model file holds only data. "
                "Save a copy without them (clone and set_params(callbacks=None) "
                "before fitting, or estimator.set_params(callbacks=None) now: the "
                "trained weights do not depend on the parameter), or use pickle "
                "or joblib (and load those only from sources you trust)."
            )
        record = {
            "class": name,
            "params": {k: self.value(v, f"{where}.{k}") for k, v in params.items()},
            # Every attribute that is not a parameter: the fitted attributes
            # and any private state derived from them, as pickle would keep.
            "fitted": {
                k: self.value(v, f"{where}.{k}")
                for k, v in vars(obj).items()
                if k not in params and k != "net_"
            },
        }
        if hasattr(obj, "net_"):
            record["net"] = self.net(obj)
        return record

    def net(self, obj):
        prefix = f"e{self.n_nets}"
        self.n_nets += 1
        net = obj.net_
        for key, tensor in net.module_.state_dict().items():
            self.tensors[f"{prefix}.module.{key}"] = _cpu_copy(tensor)
        state = net.optimizer_.state_dict()
        optimizer_state = {}
        for index, entries in state["state"].items():
            optimizer_state[str(index)] = {}
            for key, value in entries.items():
                if isinstance(value, torch.Tensor):
                    name = f"{prefix}.optimizer.{index}.{key}"
                    self.tensors[name] = _cpu_copy(value)
                    value = {"__type__": "tensor", "name": name}
                else:
                    value = self.value(value, f"optimizer state {key}")
                optimizer_state[str(index)][key] = value
        optimizer = next(
            name for name, cls in _optimizers().items() if type(net.optimizer_) is cls
        )
        return {
            "tensors": prefix,
            "device": str(obj.device_),
            "optimizer": {
                "class": optimizer,
                "state": optimizer_state,
                "param_groups": self.value(state["param_groups"], "param_groups"),
            },
            "history": self.value(net.history_.to_list(), "history_"),
        }

    def value(self, value, where):
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return value.item()
        if isinstance(value, list):
            return [self.value(v, where) for v in value]
        if isinstance(value, bytes):
            return {"__type__": "bytes", "hex": value.hex()}
        if isinstance(value, tuple):
            return {"__type__": "tuple", "items": [self.value(v, where) for v in value]}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and "__type__" not in value:
                return {k: self.value(v, f"{where}[{k!r}]") for k, v in value.items()}
            items = [
                [self.value(k, where), self.value(v, where)] for k, v in value.items()
            ]
            return {"__type__": "dict", "items": items}
        if isinstance(value, np.ndarray):
            return _encode_array(value, where)
        if hasattr(value, "get_params"):
            return {"__type__": "estimator", **self.estimator(value, where)}
        raise TypeError(
            f"Cannot save {where}={value!r}: only JSON-safe values (None, bool, "
            "int, float, str, numpy arrays and scalars, and lists, tuples and "
            "dicts of them) can be stored. Pass an int or None instead of a "
            "RandomState or a callable, or use pickle or joblib for arbitrary "
            "objects (and load those only from sources you trust)."
        )


def _class_name(obj, where):
    for name, (module, attribute) in LOADABLE.items():
        if obj.__class__.__module__ == module and type(obj).__name__ == attribute:
            return name
    supported = ", ".join(name.rsplit(".", 1)[1] for name in LOADABLE)
    raise TypeError(
        f"Cannot save {where} of type {type(obj).__qualname__} with "
        f"sksequence.persistence.save: it supports only {supported} (exact "
        "classes, not subclasses). Use pickle or joblib for arbitrary objects "
        "(and load those only from sources you trust)."
    )


def _encode_array(array, where):
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(
            f"Cannot save {where}: arrays of dtype {array.dtype} are not supported "
            "(only bool, integer, float, str and object arrays of those). Use "
            "pickle or joblib for arbitrary objects."
        )
    data = array.ravel().tolist()
    if array.dtype.kind == "O" and not all(isinstance(v, _SCALARS) for v in data):
        raise TypeError(
            f"Cannot save {where}: an object array may only hold None, bool, "
            "int, float and str. Use pickle or joblib for arbitrary objects."
        )
    return {
        "__type__": "ndarray",
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": data,
    }


def _cpu_copy(tensor):
    # A copy, never a view: safetensors refuses tensors that share memory
    # (cuDNN keeps recurrent weights as views of one flat buffer).
    return tensor.detach().to("cpu", copy=True).contiguous()


def _versions():
    from . import __version__

    return {
        "sksequence": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
        "safetensors": safetensors.__version__,
        "python": platform.python_version(),
    }


def _digest(text, tensors):
    """SHA-256 of the JSON document and every tensor's name, dtype, shape, bytes."""
    sha = hashlib.sha256(text.encode("utf-8"))
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        sha.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


# -- reading ------------------------------------------------------------------


def _read(path):
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata()
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"'{path}' is not a readable sksequence model file ({exc}). It may be "
            "truncated or corrupted, or not written by sksequence.persistence.save."
        ) from exc
    return metadata, tensors


def _check_document(path, metadata, tensors):
    if not metadata or metadata.get("format") != FORMAT or "document" not in metadata:
        raise ModelFileError(
            f"'{path}' is a safetensors file but not an sksequence model: it has "
            "no sksequence metadata. Load it with the tool that wrote it."
        )
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"'{path}' uses sksequence file format version {version!r}, but this "
            f"sksequence reads versions up to {FORMAT_VERSION}. Upgrade sksequence "
            "to load it."
        )
    text = metadata["document"]
    if _digest(text, tensors) != metadata.get("sha256"):
        raise ModelFileError(
            f"'{path}' failed its SHA-256 check: the file is corrupted or was "
            "modified after it was saved. Save the model again from its source."
        )
    document = json.loads(text)
    saved = document["versions"]["sksequence"]
    from . import __version__

    if _release(saved) > _release(__version__):
        raise ModelFileError(
            f"'{path}' was saved with sksequence {saved}, which is newer than the "
            f"installed {__version__}. Upgrade sksequence to load it."
        )
    return document


def _release(version):
    """The leading numeric release of a version string: "0.2.0rc1" -> (0, 2, 0)."""
    parts = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts + [0] * (3 - len(parts)))


def _check_expected_argument(expected):
    classes = expected if isinstance(expected, tuple) else (expected,)
    if expected is not None and not all(isinstance(c, type) for c in classes):
        raise TypeError(
            f"expected must be a class or a tuple of classes, got "
            f"{type(expected).__name__} {expected!r}. Pass the class itself, e.g. "
            "`from sksequence import RNNClassifier; load(path, "
            "expected=RNNClassifier)`."
        )


def _optimizers():
    from ._base import OPTIMIZERS

    return OPTIMIZERS


def _check_expected(path, record, expected):
    if expected is None:
        return
    cls = _loadable_class(path, record["class"])
    if not issubclass(cls, expected):
        names = expected if isinstance(expected, tuple) else (expected,)
        wanted = " or ".join(c.__name__ for c in names)
        raise ModelFileError(
            f"'{path}' holds a {cls.__name__}, not a {wanted}. Load it without "
            "`expected`, or pass the file of the model you meant."
        )


def _loadable_class(path, name):
    if name not in LOADABLE:
        raise ModelFileError(
            f"'{path}' names the class {name!r}, which sksequence does not load. "
            f"Loadable classes: {', '.join(LOADABLE)}."
        )
    module, attribute = LOADABLE[name]
    return getattr(importlib.import_module(module), attribute)


class _Reader:
    """Rebuild an estimator tree from its records and the file's tensors."""

    def __init__(self, path, tensors, device):
        self.path = path
        self.tensors = tensors
        self.device = device
        self.used = set()

    def estimator(self, record):
        cls = _loadable_class(self.path, record["class"])
        params = {k: self.value(v) for k, v in record["params"].items()}
        try:
            obj = cls(**params)
        except TypeError as exc:
            raise ModelFileError(
                f"'{self.path}' holds {cls.__name__} parameters that this version "
                f"does not accept ({exc}). Load it with the sksequence version that "
                "saved it, or re-create the model."
            ) from exc
        for key, value in record["fitted"].items():
            setattr(obj, key, self.value(value))
        if "net" in record:
            self.net(obj, record["net"])
        return obj

    def net(self, obj, record):
        device = self.device or _saved_device(record["device"])
        prefix = f"{record['tensors']}.module."
        state = {
            key[len(prefix) :]: self.tensor(key)
            for key in self.tensors
            if key.startswith(prefix)
        }
        optimizer = {
            "state": {
                int(index): {k: self.value(v) for k, v in entries.items()}
                for index, entries in record["optimizer"]["state"].items()
            },
            "param_groups": self.value(record["optimizer"]["param_groups"]),
        }
        history = self.value(record["history"])
        try:
            obj._restore_net(
                state,
                optimizer,
                history,
                device,
                optimizer=record["optimizer"].get("class"),
            )
        except ValueError as exc:
            raise ModelFileError(
                f"The weights in '{self.path}' do not fit the network this "
                f"sksequence version builds for {type(obj).__name__} ({exc})."
            ) from exc

    def tensor(self, name):
        self.used.add(name)
        return self.tensors[name]

    def value(self, value):
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        kind = value.get("__type__")
        if kind is None:
            return {k: self.value(v) for k, v in value.items()}
        if kind == "tuple":
            return tuple(self.value(v) for v in value["items"])
        if kind == "bytes":
            return bytes.fromhex(value["hex"])
        if kind == "dict":
            return {self.value(k): self.value(v) for k, v in value["items"]}
        if kind == "ndarray":
            return _decode_array(self.path, value)
        if kind == "tensor":
            return self.tensor(value["name"])
        if kind == "estimator":
            return self.estimator(value)
        raise ModelFileError(
            f"'{self.path}' holds a value of unknown type {kind!r}; it was written "
            "by a newer or modified sksequence."
        )


def _decode_array(path, value):
    dtype = np.dtype(value["dtype"])
    if dtype.kind not in _ARRAY_KINDS:
        raise ModelFileError(f"'{path}' holds an array of unsupported dtype {dtype}.")
    if dtype.kind == "O":
        array = np.empty(len(value["data"]), dtype=object)
        array[:] = value["data"]
    else:
        array = np.array(value["data"], dtype=dtype)
    return array.reshape(value["shape"])


def _saved_device(saved):
    """The saved device if it exists here, else the CPU (or the default GPU)."""
    if not saved.startswith("cuda") or not torch.cuda.is_available():
        return "cpu" if saved.startswith("cuda") else saved
    index = torch.device(saved).index
    if index is not None and index >= torch.cuda.device_count():
        return "cuda"
    return saved
