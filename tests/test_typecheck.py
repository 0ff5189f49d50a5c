"""mypy runs clean on the package (STYLE.md: type annotations on all non-test code)."""

import subprocess
import sys

from tests.helpers import ROOT


def test_mypy_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "checker"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout
