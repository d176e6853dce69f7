"""Packaging: the sdist and wheel build, pass `twine check`, and carry complete metadata."""

from __future__ import annotations

import email
import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _twine() -> str | None:
    beside = Path(sys.executable).parent / "twine"
    return str(beside) if beside.exists() else shutil.which("twine")


@pytest.mark.slow
def test_sdist_and_wheel_build_and_pass_twine_check(tmp_path: Path) -> None:
    twine = _twine()
    if importlib.util.find_spec("build") is None or twine is None:
        pytest.skip("build and twine come with the dist extra: pip install -e '.[dist]'")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = list(tmp_path.glob("apicli-*.whl"))
    sdists = list(tmp_path.glob("apicli-*.tar.gz"))
    assert len(wheels) == len(sdists) == 1
    checked = subprocess.run([twine, "check", "--strict", *map(str, wheels + sdists)], capture_output=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        info = next(name.rsplit("/", 1)[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert {"apicli/__main__.py", "apicli/py.typed", "apicli/cli/application.py", "apicli/filters/jqfilter.py"} <= names
    assert f"{info.removesuffix('.dist-info')}.data/data/share/man/man1/apicli.1" in names  # `man apicli`
    assert "apicli = apicli.__main__:main" in entry_points
    assert metadata["Name"] == "apicli" and metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "MIT" or "MIT" in (metadata["License"] or "")
    assert metadata["Summary"] and metadata["Description-Content-Type"] == "text/markdown"
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3 :: Only" in classifiers and "Environment :: Console" in classifiers
    # apicli has no public home yet, so it lists no project URLs; a placeholder would send users nowhere.
    for value in metadata.get_all("Project-URL") or []:
        url = value.partition(", ")[2]
        assert url.startswith("https://") and not re.search(r"example\.(com|org|net)|localhost", url), value
    assert {"jq", "schema", "all"} <= set(metadata.get_all("Provides-Extra") or [])

    with tarfile.open(sdists[0]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "completions/apicli.bash", "completions/_apicli", "docs/config.md"} <= members
    assert "man/apicli.1" in members


def test_pyproject_names_no_placeholder_urls() -> None:
    # Runs without the dist extra: the metadata source itself has no example.com link.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for label, url in project.get("urls", {}).items():
        assert not re.search(r"example\.(com|org|net)", url), f"{label} is a placeholder: {url}"
    assert "example.com" not in str(project.get("urls", {}))
