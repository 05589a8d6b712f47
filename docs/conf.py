"""Sphinx configuration for the sksequence documentation.

Build (CI builds with warnings as errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The examples are shown, not executed: the build trains nothing and runs in
seconds. Figures in ``_static/`` come from ``_scripts/make_figures.py``,
except ``airline_forecast.png`` and ``sunspots_forecast.png``, which the
forecasting examples save (copied here by hand after a run).
"""

import ast
import importlib.util
import re
from pathlib import Path

import sksequence

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "sksequence"
author = "sksequence developers"
copyright = "sksequence developers"
release = sksequence.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_scripts", "Thumbs.db", ".DS_Store"]

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

# -- Markdown -----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- HTML ---------------------------------------------------------------------
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"sksequence {release}"
html_static_path = ["_static"]

# -- Generated pieces ---------------------------------------------------------
GENERATED = DOCS / "gen_modules"
OPTIONAL_PAGES = ["persistence_and_scaling"]  # written elsewhere; listed if present


def _example_entries():
    """One section per ``examples/*.py``: its docstring, then its code."""
    lines = []
    for path in sorted((ROOT / "examples").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or path.stem
        body = tree.body[0] if tree.body else None
        first_code = body.end_lineno + 1 if ast.get_docstring(tree) else 1
        title, *rest = [line for line in doc.strip().splitlines()]
        if rest and set(rest[0].strip()) <= set("=-~^#*") and rest[0].strip():
            rest = rest[1:]
        lines += [
            title,
            "-" * len(title),
            "",
            *rest,
            "",
            f"Run it with ``python examples/{path.name}``.",
            "",
            f".. literalinclude:: /../examples/{path.name}",
            "   :language: python",
            f"   :lines: {first_code}-",
            "",
        ]
    return "\n".join(lines) if lines else "No examples yet.\n"


def _write_if_changed(path, text):
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _optional_pages(app, docname, source):
    """Fill the ``%OPTIONAL_PAGES%`` toctree line with the pages that exist."""
    if docname != root_doc:
        return
    present = [page for page in OPTIONAL_PAGES if any(DOCS.glob(f"{page}.*"))]
    indent = "\n"
    source[0] = source[0].replace("%OPTIONAL_PAGES%", indent.join(present))


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


def setup(app):
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _escape_attribute_names, priority=400)
    _write_if_changed(GENERATED / "examples.inc", _example_entries())
    app.connect("source-read", _optional_pages)
