"""The package namespace: every public name resolves; torch loads lazily."""

import subprocess
import sys

import sksequence


def test_every_public_name_resolves():
    for name in sksequence.__all__:
        assert getattr(sksequence, name).__name__ == name
    assert set(sksequence.__all__) <= set(dir(sksequence))


def test_importing_the_package_does_not_import_torch():
    """Transformers and data tools import without torch and skorch."""
    code = (
        "import sys, sksequence; "
        "from sksequence import TextTokenizer, SlidingWindow, WithHistory; "
        "assert 'torch' not in sys.modules and 'skorch' not in sys.modules; "
        "from sksequence import RNNClassifier; "
        "assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
