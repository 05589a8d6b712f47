"""The documentation: it builds, its links resolve, and its code runs.

* ``test_docs_build_without_warnings`` builds the HTML as CI does: warnings are
  errors, every cross-reference must resolve (``nitpicky``), and sphinx-gallery
  runs every example (at ``SKSEQUENCE_EXAMPLE_SIZE=small``, a few minutes
  on one CPU thread). Skipped without Sphinx, numpydoc, MyST and
  sphinx-gallery; the ``docs`` (or ``test``) extra also installs what the
  examples import.
* ``test_code_blocks_run`` runs every ```python block of ``README.md`` and
  ``docs/**/*.md``, in order, in one namespace per page; blocks written as an
  interactive session (``>>>``) are doctests whose output must match. A block
  that cannot run here is preceded by ``<!-- skip-test: reason -->``.
"""

import doctest
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PUBLIC_MODULES = [
    "sksequence",
    "sksequence.datasets",
    "sksequence.diagnostics",
    "sksequence.embeddings",
    "sksequence.export",
    "sksequence.forecaster",
    "sksequence.forecasting",
    "sksequence.metrics",
    "sksequence.model_selection",
    "sksequence.persistence",
    "sksequence.preprocessing",
    "sksequence.scoring",
    "sksequence.text",
    "sksequence.windowing",
]
GENERATED = {"_build", "auto_examples", "gen_modules", "_static", "_templates"}
PAGES = [
    *sorted(
        path
        for path in DOCS.rglob("*.md")
        if not GENERATED & set(path.relative_to(DOCS).parts)
    ),
    ROOT / "README.md",
]

# A fence opens with ```python (possibly indented, inside a list item); an
# optional "<!-- skip-test: reason -->" comment on the line before skips it.
FENCE = re.compile(
    r"(?:^[ \t]*<!--\s*skip-test:(?P<reason>[^>]*)-->[ \t]*\n)?"
    r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<code>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def code_blocks(path):
    """``(line, code, skip_reason)`` for every ```python block of a page."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        indent = match["indent"]
        lines = match["code"].splitlines()
        code = "\n".join(line[len(indent) :] for line in lines) + "\n"
        line = text.count("\n", 0, match.start("code")) + 1
        reason = match["reason"]
        blocks.append((line, code, reason.strip() if reason is not None else None))
    return blocks


def _page_id(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_name(module_name):
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.MULTILINE))
    missing = set(importlib.import_module(module_name).__all__) - listed
    assert not missing, f"add {sorted(missing)} to docs/api.rst"


def test_every_page_has_code_blocks_found():
    """The fence pattern finds the blocks (a guard for the test below)."""
    found = {_page_id(path): len(code_blocks(path)) for path in PAGES}
    assert found["README.md"] >= 2
    assert found[str(Path("docs", "user_guide", "windowing.md"))] >= 5


def test_skip_markers_give_a_reason():
    for path in PAGES:
        for line, _, reason in code_blocks(path):
            assert reason != "", f"{_page_id(path)}:{line}: say why it is skipped"


@pytest.fixture
def docs_namespace(tmp_path, monkeypatch):
    """A fresh working directory, one torch thread, no figures left open."""
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    plt = None
    if importlib.util.find_spec("matplotlib"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    yield {"__name__": "__docs__"}
    torch.set_num_threads(threads)
    if plt is not None:
        plt.close("all")


@pytest.mark.parametrize("path", PAGES, ids=_page_id)
def test_code_blocks_run(path, docs_namespace):
    """Every ```python block of the page runs, in order, as written."""
    blocks = code_blocks(path)
    if not blocks:
        pytest.skip("no python code blocks")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    for line, code, reason in blocks:
        if reason is not None:
            continue
        where = f"{_page_id(path)}, block at line {line}"
        if code.lstrip().startswith(">>>"):
            test = parser.get_doctest(code, docs_namespace, where, str(path), line)
            result = runner.run(test, clear_globs=False)
            assert result.failed == 0, f"{where}: doctest output differs (see above)"
            docs_namespace.update(test.globs)  # the doctest ran in a copy
        else:
            exec(compile(code, where, "exec"), docs_namespace)


# The build is skipped without the Sphinx stack of the docs extra; with it, an
# example whose imports are missing fails the build (install ".[docs]").
SPHINX_STACK = ["sphinx", "numpydoc", "myst_parser", "sphinx_gallery"]


@pytest.fixture(scope="module")
def built_html(tmp_path_factory):
    for requirement in SPHINX_STACK:
        pytest.importorskip(requirement)
    out = tmp_path_factory.mktemp("docs")
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(out / "doctrees"),
        # Run every example again, even one whose output is cached from an
        # earlier build in docs/auto_examples.
        "-D",
        "sphinx_gallery_conf.run_stale_examples=1",
        str(DOCS),
        str(out / "html"),
    ]
    env = {**os.environ, "SKSEQUENCE_EXAMPLE_SIZE": "small"}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False, env=env
    )
    assert result.returncode == 0, (
        "sphinx-build -W failed; fix the warnings below (a docstring, a page, a "
        f"reference or an example):\n{result.stdout}\n{result.stderr}"
    )
    return out / "html"


def test_docs_build_without_warnings(built_html):
    assert (built_html / "api.html").exists()
    assert (built_html / "user_guide" / "gradients.html").exists()


def test_examples_ran_and_state_their_size(built_html):
    examples = sorted((ROOT / "examples").glob("plot_*.py"))
    assert examples
    for example in examples:
        page = built_html / "auto_examples" / f"{example.stem}.html"
        html = page.read_text(encoding="utf-8")
        assert "Total running time of the script" in html, example.name
        assert re.search(r"size: (small|full)", html), (
            f"{example.name} must print the size it ran at"
        )


def test_api_pages_link_their_examples(built_html):
    html = (built_html / "gen_modules" / "sksequence.RNNRegressor.html").read_text(
        encoding="utf-8"
    )
    assert "Examples using" in html
    assert "plot_airline_forecast.html" in html


def test_math_is_rendered_by_the_bundled_mathjax(built_html):
    page = (built_html / "user_guide" / "gradients.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", page)
    # Sphinx appends "?v=<checksum>" to the files it copies to _static.
    local = [src.split("?")[0] for src in scripts]
    assert "../_static/mathjax/tex-chtml.js" in local, scripts
    assert (built_html / "_static" / "mathjax" / "tex-chtml.js").exists()
    fonts = built_html / "_static" / "mathjax" / "output" / "chtml" / "fonts"
    assert any(fonts.rglob("*.woff"))
    for html in built_html.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        remote = [
            src
            for src in re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", text)
            if re.match(r"(https?:)?//", src)
        ]
        assert not remote, f"{html.relative_to(built_html)} loads {remote}"
        assert "cdn.jsdelivr.net" not in text, html.relative_to(built_html)
