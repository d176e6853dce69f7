"""`make demo`: the demo runs every one-liner as listed, and its install carries no test or packaging tools."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_demo_runs_every_section_as_listed() -> None:
    if not (Path(sys.executable).parent / "apicli").exists():
        pytest.skip("the apicli console script is not installed next to this Python")
    result = subprocess.run([sys.executable, "examples/demo.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "unexpected exit" not in result.stdout
    assert result.stdout.rstrip().endswith("All demos behaved as expected.")
    headings = re.findall(r"^## (\w+):", result.stdout, flags=re.MULTILINE)
    # Printed in order, though run at once.
    assert headings == ["foundation", "paginate", "download", "ecosystem", "checks", "batch"]


def test_make_demo_installs_the_runtime_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    demo = re.search(r"^demo: (.+)$", makefile, flags=re.MULTILINE)
    assert demo is not None and demo.group(1).strip() == "$(RUNTIME_STAMP)"
    runtime = makefile.split("$(RUNTIME_STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "$(RUNTIME_SPEC)" in runtime and "TEST" not in runtime
    assert "RUNTIME_SPEC := -e '.[all]'" in makefile
