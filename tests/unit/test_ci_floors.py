""".ci/floors.py: the pins `make test-floors` installs, one per direct dependency, at its lowest allowed version."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "floors.py"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason=".ci/ is not part of the sdist")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_floors", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


floors_script = _load() if SCRIPT.exists() else None

_names = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?", fullmatch=True)
_versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]|\.post[0-9]|\.dev[0-9])?", fullmatch=True)
_space = st.sampled_from(["", " ", "  "])
_markers = st.sampled_from(
    [
        "platform_system != 'Windows'",
        'python_version >= "3.12"',
        "python_version>='3.11' and sys_platform == 'linux'",
        'extra == "test"',
    ]
)


@st.composite
def requirements(draw: st.DrawFn) -> tuple[str, tuple[str, str, str] | None]:
    """A PEP 508 requirement string and the floor .ci/floors.py should read from it."""
    name = draw(_names)
    text = name
    if draw(st.booleans()):
        extras = draw(st.lists(_names, min_size=1, max_size=3))
        text += draw(_space) + "[" + ",".join(extras) + "]"
    specifiers = draw(
        st.lists(st.tuples(st.sampled_from([">=", "~=", "<", "<=", ">", "==", "!="]), _versions), max_size=3)
    )
    spec = ("," + draw(_space)).join(f"{op}{draw(_space)}{version}" for op, version in specifiers)
    if spec and draw(st.booleans()):
        spec = "(" + spec + ")"
    text += draw(_space) + spec
    marker = ""
    if draw(st.booleans()):
        marker = ";" + draw(_space) + draw(_markers)
        text += draw(_space) + marker
    floor = next((version for op, version in specifiers if op in (">=", "~=")), None)
    return text, None if floor is None else (name, floor, marker)


@given(requirements())
def test_the_floor_is_the_first_lower_bound_with_its_marker(case: tuple[str, tuple[str, str, str] | None]) -> None:
    text, expected = case
    floor = floors_script.parse(text)
    if expected is None:
        assert floor is None
    else:
        assert tuple(floor) == expected
        assert floor.pin() == f"{expected[0]}=={expected[1]}{expected[2]}"


@pytest.mark.parametrize(
    ("text", "pin"),
    [
        ("typer>=0.26,<0.29", "typer==0.26"),
        ("urllib3[brotli,zstd]>=2.6", "urllib3==2.6"),
        ("jq>=1.6; platform_system != 'Windows'", "jq==1.6; platform_system != 'Windows'"),
        ("foo <2, >= 1.4.0", "foo==1.4.0"),
        ("foo (>=1.0)", "foo==1.0"),
        ("foo~=1.4.2", "foo==1.4.2"),
        ("foo; python_version >= '3.11'", None),
        ("types-requests", None),
        ("foo==1.0", None),
        ("foo @ https://example.com/foo-1.0.tar.gz", None),
    ],
)
def test_examples(text: str, pin: str | None) -> None:
    floor = floors_script.parse(text)
    assert (floor.pin() if floor else None) == pin


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_extras_are_read_and_the_project_itself_is_skipped(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        """
[project]
name = "demo-pkg"
dependencies = ["PySocks>=1.7", "bare"]
[project.optional-dependencies]
one = ["demo_pkg[two]", "pysocks>=1.7", "zeta>=2"]
two = ["alpha>=0.1"]
""",
    )
    assert floors_script.floors(path, []) == ["PySocks==1.7"]
    assert floors_script.floors(path, ["one", "two"]) == ["alpha==0.1", "pysocks==1.7", "zeta==2"]
    with pytest.raises(SystemExit, match="no extra"):
        floors_script.floors(path, ["three"])


def test_two_floors_for_one_project_are_refused(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        """
[project]
name = "demo"
dependencies = ["jq>=1.6"]
[project.optional-dependencies]
jq = ["jq>=1.7"]
""",
    )
    with pytest.raises(SystemExit, match="two floors"):
        floors_script.floors(path, ["jq"])


def test_this_projects_floors_pin_every_direct_dependency() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(ROOT / "pyproject.toml"), "all", "jq", "schema", "socks", "test"],
        capture_output=True,
        text=True,
        check=True,
    )
    pins = {line.split("==")[0].lower(): line for line in result.stdout.splitlines()}
    assert {"typer", "requests", "urllib3", "rich", "orjson", "jq", "jsonschema", "pysocks", "pytest"} <= set(pins)
    assert "apicli" not in pins and "types-requests" not in pins
    assert pins["jq"].endswith("; platform_system != 'Windows'")
