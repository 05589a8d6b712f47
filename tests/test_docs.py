"""The documentation builds with warnings as errors (as in CI).

The build is skipped when the ``docs`` extra (Sphinx, numpydoc, MyST) is not
installed. The examples are shown, not run, so the build takes seconds.
"""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PUBLIC_MODULES = [
    "sksequence",
    "sksequence.datasets",
    "sksequence.diagnostics",
    "sksequence.forecasting",
    "sksequence.model_selection",
    "sksequence.persistence",
    "sksequence.preprocessing",
    "sksequence.text",
    "sksequence.windowing",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_name(module_name):
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", api, flags=re.MULTILINE))
    missing = set(importlib.import_module(module_name).__all__) - listed
    assert not missing, f"add {sorted(missing)} to docs/api.rst"


def test_docs_build_without_warnings(tmp_path):
    for requirement in ("sphinx", "numpydoc", "myst_parser"):
        pytest.importorskip(requirement)
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
        str(tmp_path / "doctrees"),
        str(DOCS),
        str(tmp_path / "html"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, (
        "sphinx-build -W failed; fix the warnings below (a docstring, a page or "
        f"an example):\n{result.stdout}\n{result.stderr}"
    )
    assert (tmp_path / "html" / "api.html").exists()
    assert (tmp_path / "html" / "user_guide" / "gradients.html").exists()
