"""Write the intersphinx inventories of NumPy, PyTorch, skorch and joblib.

The documentation is built without network access (CI has none), so
``sphinx.ext.intersphinx`` reads every inventory from ``docs/_intersphinx/``.
scikit-learn's, pandas' and Python's are the projects' own ``objects.inv``
files (see ``docs/_intersphinx/README.txt``). NumPy, PyTorch, skorch and
joblib publish none we can reach offline, so this script writes one for each,
in Sphinx's inventory format, listing names with the address of the page that
documents them on the project's site:

* skorch and joblib from the installed packages: every public class, its
  public methods and every public function of the modules their documentation
  renders, at the page that renders that module;
* NumPy and PyTorch from the lists below (their sites place pages by rules
  that differ between submodules, so each address is written out).

A reference to a name that is not listed fails the ``nitpicky`` build with
"reference target not found": add the name here (NumPy, PyTorch) and rerun::

    python docs/_scripts/make_inventories.py
"""

import importlib
import inspect
import zlib
from pathlib import Path

import joblib
import numpy
import skorch
import torch

OUT = Path(__file__).resolve().parent.parent / "_intersphinx"

NUMPY_GENERATED = [  # reference/generated/<name>.html
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.array",
    "numpy.asarray",
    "numpy.ascontiguousarray",
    "numpy.arange",
    "numpy.zeros",
    "numpy.ones",
    "numpy.full",
    "numpy.eye",
    "numpy.concatenate",
    "numpy.stack",
    "numpy.where",
    "numpy.unique",
    "numpy.isnan",
    "numpy.isfinite",
    "numpy.diff",
    "numpy.cumsum",
    "numpy.log",
    "numpy.exp",
    "numpy.sqrt",
    "numpy.square",
    "numpy.abs",
    "numpy.mean",
    "numpy.std",
    "numpy.sum",
    "numpy.max",
    "numpy.min",
    "numpy.argsort",
    "numpy.sort",
    "numpy.take_along_axis",
    "numpy.allclose",
    "numpy.lib.stride_tricks.sliding_window_view",
    "numpy.lib.stride_tricks.as_strided",
]
NUMPY_OTHER = {
    ("numpy", "py:module"): "reference/index.html#module-numpy",
    ("numpy.random", "py:module"): "reference/random/index.html#module-numpy.random",
    ("numpy.random.default_rng", "py:function"): (
        "reference/random/generator.html#numpy.random.default_rng"
    ),
    ("numpy.random.Generator", "py:class"): (
        "reference/random/generator.html#numpy.random.Generator"
    ),
    ("numpy.random.RandomState", "py:class"): (
        "reference/random/legacy.html#numpy.random.RandomState"
    ),
    ("numpy.nan", "py:data"): "reference/constants.html#numpy.nan",
    ("numpy.inf", "py:data"): "reference/constants.html#numpy.inf",
    ("numpy.float32", "py:attribute"): "reference/arrays.scalars.html#numpy.float32",
    ("numpy.float64", "py:attribute"): "reference/arrays.scalars.html#numpy.float64",
    ("numpy.int64", "py:attribute"): "reference/arrays.scalars.html#numpy.int64",
}
NUMPY_GENERATOR_METHODS = ["normal", "integers", "permutation", "choice", "uniform"]

TORCH_GENERATED = [  # generated/<name>.html
    "torch.nn.Module",
    "torch.nn.RNN",
    "torch.nn.LSTM",
    "torch.nn.GRU",
    "torch.nn.RNNCell",
    "torch.nn.Linear",
    "torch.nn.Embedding",
    "torch.nn.Dropout",
    "torch.nn.CrossEntropyLoss",
    "torch.nn.BCEWithLogitsLoss",
    "torch.nn.MSELoss",
    "torch.nn.NLLLoss",
    "torch.nn.LogSoftmax",
    "torch.nn.utils.rnn.pack_padded_sequence",
    "torch.nn.utils.rnn.pad_sequence",
    "torch.nn.utils.clip_grad_norm_",
    "torch.nn.utils.clip_grad_value_",
    "torch.optim.Adam",
    "torch.optim.AdamW",
    "torch.optim.SGD",
    "torch.optim.RMSprop",
    "torch.set_num_threads",
    "torch.get_num_threads",
    "torch.manual_seed",
    "torch.from_numpy",
    "torch.cat",
    "torch.tanh",
    "torch.cuda.is_available",
]
TORCH_OTHER = {
    ("torch", "py:module"): "torch.html#module-torch",
    ("torch.nn", "py:module"): "nn.html#module-torch.nn",
    ("torch.Tensor", "py:class"): "tensors.html#torch.Tensor",
    ("torch.dtype", "py:class"): "tensor_attributes.html#torch.dtype",
    ("torch.device", "py:class"): "tensor_attributes.html#torch.device",
    ("torch.random.fork_rng", "py:function"): "random.html#torch.random.fork_rng",
    ("torch.inference_mode", "py:class"): (
        "generated/torch.autograd.grad_mode.inference_mode.html"
    ),
    ("torch.nn.init.orthogonal_", "py:function"): (
        "nn.init.html#torch.nn.init.orthogonal_"
    ),
    ("torch.nn.init.xavier_uniform_", "py:function"): (
        "nn.init.html#torch.nn.init.xavier_uniform_"
    ),
}

# skorch's documentation renders one module per page (``automodule``).
SKORCH_PAGES = {
    "skorch.net": "net.html",
    "skorch.classifier": "classifier.html",
    "skorch.regressor": "regressor.html",
    "skorch.callbacks": "callbacks.html",
    "skorch.history": "history.html",
    "skorch.dataset": "dataset.html",
    "skorch.helper": "helper.html",
    "skorch.exceptions": "exceptions.html",
    "skorch.scoring": "scoring.html",
    "skorch.toy": "toy.html",
    "skorch.utils": "utils.html",
}


def resolve(name):
    """The object a dotted name such as ``torch.nn.LSTM`` stands for."""
    parts = name.split(".")
    obj = importlib.import_module(parts[0])
    for part in parts[1:]:
        obj = getattr(obj, part)
    return obj


def role_of(obj):
    if inspect.isclass(obj):
        return "py:exception" if issubclass(obj, BaseException) else "py:class"
    return "py:function"


def public_members(module):
    """What ``automodule:: module`` with ``:members:`` documents."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == module.__name__
        ]
    return {name: getattr(module, name) for name in names}


def module_entries(module, page):
    """The module, its classes (with their own public methods), functions."""
    entries = {(module.__name__, "py:module"): f"{page}#module-{module.__name__}"}
    for name, obj in public_members(module).items():
        full = f"{module.__name__}.{name}"
        entries[full, role_of(obj)] = f"{page}#{full}"
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and callable(value):
                    entries[f"{full}.{attr}", "py:method"] = f"{page}#{full}.{attr}"
    return entries


def skorch_entries():
    entries = {}
    for module_name, page in SKORCH_PAGES.items():
        entries |= module_entries(importlib.import_module(module_name), page)
    # The top-level names (skorch.NeuralNet, ...) point where the class is.
    for name in skorch.__all__:
        obj = getattr(skorch, name)
        if inspect.isclass(obj):
            page = SKORCH_PAGES[obj.__module__]
            entries[f"skorch.{name}", "py:class"] = (
                f"{page}#{obj.__module__}.{obj.__name__}"
            )
    entries["skorch", "py:module"] = "index.html"
    return entries


def joblib_entries():
    """joblib's API reference: one autosummary page per name."""
    entries = {("joblib", "py:module"): "index.html"}
    for name in joblib.__all__:
        obj = getattr(joblib, name)
        entries[f"joblib.{name}", role_of(obj)] = f"generated/joblib.{name}.html"
    return entries


def numpy_entries():
    entries = dict(NUMPY_OTHER)
    for name in NUMPY_GENERATED:
        obj = resolve(name)
        entries[name, role_of(obj)] = f"reference/generated/{name}.html#{name}"
    for method in NUMPY_GENERATOR_METHODS:
        name = f"numpy.random.Generator.{method}"
        entries[name, "py:method"] = f"reference/random/generated/{name}.html#{name}"
    return entries


def torch_entries():
    entries = dict(TORCH_OTHER)
    for name in TORCH_GENERATED:
        obj = resolve(name)
        entries[name, role_of(obj)] = f"generated/{name}.html#{name}"
    return entries


def write_inventory(path, project, version, entries):
    """Sphinx's inventory format, version 2 (what ``objects.inv`` holds)."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for (name, role), uri in sorted(entries.items()):
        # "$" at the end of the address stands for the name itself.
        if uri.endswith("#" + name):
            uri = uri[: -len(name)] + "$"
        lines.append(f"{name} {role} 1 {uri} -\n")
    body = zlib.compress("".join(lines).encode("utf-8"), 9)
    path.write_bytes(header.encode("utf-8") + body)
    print(f"{path.name}: {len(lines)} names")


def main():
    OUT.mkdir(exist_ok=True)
    write_inventory(OUT / "numpy.inv", "NumPy", numpy.__version__, numpy_entries())
    write_inventory(OUT / "torch.inv", "PyTorch", torch.__version__, torch_entries())
    write_inventory(OUT / "skorch.inv", "skorch", skorch.__version__, skorch_entries())
    write_inventory(OUT / "joblib.inv", "joblib", joblib.__version__, joblib_entries())


if __name__ == "__main__":
    main()
