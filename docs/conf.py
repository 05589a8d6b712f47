"""Sphinx configuration for the sksequence documentation.

Build (CI builds with warnings as errors, as ``tests/test_docs.py`` does)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The build runs every script in ``examples/`` through sphinx-gallery and shows
what it printed and drew, with its run time (``docs/auto_examples/``). It runs
them at the small size (``SKSEQUENCE_EXAMPLE_SIZE=small``, set below unless
the environment sets it): every example says at the top of its output which
size it ran at. ``SKSEQUENCE_EXAMPLE_SIZE=full sphinx-build ...`` renders the
full runs instead (tens of minutes on one CPU thread). sphinx-gallery skips
an example whose source has not changed since its last run in this folder;
``-D sphinx_gallery_conf.run_stale_examples=1`` runs them all again.

Nothing is fetched at build time: MathJax is in ``_static/mathjax/`` and the
intersphinx inventories are in ``_intersphinx/`` (see the README there).
Figures in ``_static/`` come from ``_scripts/make_figures.py``, except
``airline_forecast.png`` and ``sunspots_forecast.png``: the one-step forecasts
of the windowing page, drawn by the one-step versions of the forecasting
examples (git history). The current forecasting examples save figures of the
same names when ``SKSEQUENCE_EXAMPLE_FIGURES`` names a folder: do not point
it at ``docs/_static`` unless the windowing page changes with them.
"""

import importlib.util
import os
import re
import sys
import warnings
from pathlib import Path

import sksequence

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_sphinxext"))

# The examples read this; their output states the size they ran at.
os.environ.setdefault("SKSEQUENCE_EXAMPLE_SIZE", "small")

project = "sksequence"
author = "sksequence developers"
copyright = "sksequence developers"
release = sksequence.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_scripts",
    "_sphinxext",
    "_intersphinx",
    "Thumbs.db",
    ".DS_Store",
]

# Every cross-reference must resolve (CI builds with -W).
nitpicky = True
# Names the docstrings mention that have no page of their own, with the reason.
nitpick_ignore = [
    # The named tuple check_sequences returns (fields ``values``, ``lengths``);
    # it lives in a private module and its fields are described where it is
    # returned.
    ("py:class", "Sequences"),
    # Private helpers named in docstrings for readers of the source.
    ("py:func", "init_weights"),
    ("py:data", "EXPLOSION_FACTOR"),
]

# -- API reference ------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
# numpydoc renders Parameters/Attributes; autosummary lists the members.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# No style validation at build time (ruff and review cover docstrings); RST
# errors in docstrings are still warnings, hence errors under -W.
numpydoc_validation_checks = set()

# -- Links to other projects (offline) ----------------------------------------
# Each inventory is a local file: the build must not need the network.
INVENTORIES = DOCS / "_intersphinx"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", str(INVENTORIES / "python.inv")),
    "numpy": ("https://numpy.org/doc/stable/", str(INVENTORIES / "numpy.inv")),
    "pandas": ("https://pandas.pydata.org/docs/", str(INVENTORIES / "pandas.inv")),
    "sklearn": ("https://scikit-learn.org/stable/", str(INVENTORIES / "sklearn.inv")),
    "torch": ("https://docs.pytorch.org/docs/stable/", str(INVENTORIES / "torch.inv")),
    "skorch": (
        "https://skorch.readthedocs.io/en/stable/",
        str(INVENTORIES / "skorch.inv"),
    ),
    "joblib": (
        "https://joblib.readthedocs.io/en/stable/",
        str(INVENTORIES / "joblib.inv"),
    ),
}

# -- Math (offline) -----------------------------------------------------------
# MathJax 3 from _static/mathjax (Apache-2.0), not from a CDN: equations render
# without network access.
mathjax_path = "mathjax/tex-chtml.js"

# -- Markdown -----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- Examples gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # Run every plot_*.py; an example that raises fails the build (after all
    # examples have run, so that one build reports every failure).
    "filename_pattern": r"/plot_",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    # One torch thread for every example; matplotlib's state reset between them.
    "reset_modules": ("matplotlib", "sg_hooks.reset_torch"),
    "within_subsection_order": "sg_hooks.ExampleOrder",
    # "Examples using X" on the API pages and the minigallery directive.
    "doc_module": ("sksequence",),
    "backreferences_dir": "gen_modules/backreferences",
    "remove_config_comments": True,
    "min_reported_time": 0,
    # Each example's page states its run time. No summary pages: sphinx-gallery
    # loads jQuery and DataTables from CDNs for them, and the pages must work
    # offline.
    "write_computation_times": False,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"sksequence {release}"
html_static_path = ["_static"]

# -- Generated pieces ---------------------------------------------------------
GENERATED = DOCS / "gen_modules"  # autosummary's pages and the includes below
# Pages written elsewhere, listed in the index toctree when they exist.
OPTIONAL_PAGES = ["persistence_and_scaling", "export"]


def _optional_pages(app, docname, source):
    """Fill the ``%OPTIONAL_PAGES%`` toctree line with the pages that exist."""
    if docname != root_doc:
        return
    present = [page for page in OPTIONAL_PAGES if any(DOCS.glob(f"{page}.*"))]
    source[0] = source[0].replace("%OPTIONAL_PAGES%", "\n".join(present))


def _estimator_checks_table():
    """scikit-learn's checks and their expected failures, from tests/test_common.py.

    The comparison page includes these tables, so they always say what the
    test suite runs: every registered estimator, the checks scikit-learn
    generates for it (a check run twice counts twice), and each check marked
    as an expected failure with its reason. The module is the test file
    itself, imported by path.
    """
    from sklearn.utils.estimator_checks import estimator_checks_generator

    spec = importlib.util.spec_from_file_location(
        "_sksequence_test_common", ROOT / "tests" / "test_common.py"
    )
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
        checks = {
            name: [
                getattr(check, "func", check).__name__
                for _, check in estimator_checks_generator(instances[0], legacy=True)
            ]
            for name, (instances, _) in module.INSTANCES.items()
        }
    by_reason = {}
    for name, (_, failures) in module.INSTANCES.items():
        for check, reason in failures.items():
            by_reason.setdefault(reason, {}).setdefault(check, []).append(name)
    lines = [
        "| estimator | checks | pass | expected failures |",
        "|---|---:|---:|---:|",
    ]
    for name, (_, failures) in module.INSTANCES.items():
        n_failing = sum(check in failures for check in checks[name])
        lines.append(
            f"| `{name}` | {len(checks[name])} | {len(checks[name]) - n_failing} "
            f"| {n_failing} |"
        )
    lines += [
        "",
        "| expected failure (estimators) | why |",
        "|---|---|",
    ]
    for reason, checks in by_reason.items():
        which = "; ".join(
            f"`{check}` ({', '.join(names)})" for check, names in checks.items()
        )
        # The reasons point at the design notes by section number; the reader
        # of this page has them as the design page.
        reason = re.sub(r" ?\(DESIGN\.md section \d+\)", "", reason)
        lines.append(f"| {which} | {reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def _write_if_changed(path, text):
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# scikit-learn's docstring style names fitted attributes in type specs, e.g.
# "mean_ : ndarray of shape (n_features_in_,)". In reST a word ending in "_" is
# a link to a target of that name, which does not exist: escape the underscore,
# in the "name : type" lines of numpydoc sections only.
_TYPE_LINE = re.compile(r"^(\s*[\w*, ]+ : )(.*)$")
_ATTRIBUTE_NAME = re.compile(r"\b([A-Za-z]\w*?)_(?=[,)\]])")


def _escape_attribute_names(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, spec = match.groups()
            lines[i] = head + _ATTRIBUTE_NAME.sub(r"\1\\_", spec)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document the members sksequence defines, inherited ones included.

    The class template asks for inherited members so that a method defined
    once in a private base class (``history_`` of both estimators) appears on
    each public class; what scikit-learn, torch or Python define
    (``get_params``, ``set_output``, ``forward`` hooks, ...) stays on their
    own pages.
    """
    if what != "class" or skip:
        return None
    function = obj.fget if isinstance(obj, property) else obj
    module = getattr(function, "__module__", None)
    if isinstance(module, str) and not module.startswith("sksequence"):
        return True
    return None


def _resolve_reexports(app, env, node, contnode):
    """Resolve ``sksequence.SlidingWindow`` to ``sksequence.windowing.SlidingWindow``.

    Names re-exported by the package are documented once, under the module
    that defines them; a reference through the package name finds that page.
    """
    if node.get("refdomain") != "py":
        return None
    package, _, name = node["reftarget"].rpartition(".")
    if package != "sksequence" or name not in sksequence.__all__:
        return None
    obj = getattr(sksequence, name)
    canonical = f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"
    domain = env.get_domain("py")
    if canonical not in domain.objects:
        return None
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app):
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _escape_attribute_names, priority=400)
    app.connect("source-read", _optional_pages)
    app.connect("autodoc-skip-member", _skip_foreign_members)
    _write_if_changed(GENERATED / "estimator_checks.inc", _estimator_checks_table())
    app.connect("missing-reference", _resolve_reexports)
