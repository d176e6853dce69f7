"""Shell completion: the checked-in scripts are current, and completing in a real bash works."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from apicli.cli.completion_gen import SCRIPT_NAMES, completion_script, main, stale_scripts

COMPLETIONS = Path(__file__).resolve().parents[1] / "completions"
BIN = Path(sys.executable).parent  # the venv's bin, where the `apicli` script is installed


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def installed_apicli() -> None:
    if not (BIN / "apicli").exists():
        pytest.skip("the apicli console script is not installed next to this Python")


def test_checked_in_scripts_are_up_to_date() -> None:
    assert sorted(path.name for path in COMPLETIONS.iterdir()) == sorted(SCRIPT_NAMES.values())
    stale = stale_scripts(COMPLETIONS)
    assert not stale, f"{[str(p) for p in stale]} are out of date: run `make completions`"


def test_generator_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", str(tmp_path)]) == 1
    assert main([str(tmp_path)]) == 0
    assert main(["--check", str(tmp_path)]) == 0
    assert (tmp_path / "_apicli").read_text().splitlines()[0] == "#compdef apicli"  # zsh needs it first
    assert main([]) == 2
    capsys.readouterr()


def _bash_complete(line: str) -> list[str]:
    """Complete the last word of `line` the way bash does on Tab, with the checked-in script."""
    words = line.split(" ")
    script = "\n".join(
        [
            f"source {shlex.quote(str(COMPLETIONS / 'apicli.bash'))}",
            f"COMP_WORDS=({' '.join(shlex.quote(word) for word in words)})",
            f"COMP_CWORD={len(words) - 1}",
            "_apicli_completion apicli",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, env=_env(), timeout=30
    )
    assert result.returncode == 0, result.stderr
    return [word for word in result.stdout.splitlines() if word]


def test_bash_completes_commands_and_options() -> None:
    assert _bash_complete("apicli ge") == ["get"]
    assert "paginate" in _bash_complete("apicli pa")
    assert _bash_complete("apicli get --ti") == ["--timeout"]
    assert _bash_complete("apicli config s") == ["show"]


def test_zsh_and_fish_callbacks_answer() -> None:
    zsh = subprocess.run(
        ["apicli"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(_APICLI_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="apicli get --jq"),
    )
    assert '"--jq":' in zsh.stdout
    fish = subprocess.run(
        ["apicli"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(
            _APICLI_COMPLETE="complete_fish", _TYPER_COMPLETE_FISH_ACTION="get-args", _TYPER_COMPLETE_ARGS="apicli dow"
        ),
    )
    assert fish.stdout.startswith("download")


def test_install_and_show_completion_still_work(tmp_path: Path) -> None:
    installed = subprocess.run(
        ["apicli", "--install-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(HOME=str(tmp_path)),
    )
    assert installed.returncode == 0, installed.stderr
    script = (tmp_path / ".bash_completions" / "apicli.sh").read_text()
    generated = [line for line in completion_script("bash").splitlines() if not line.startswith("# Generated")]
    assert script.splitlines() == generated
    assert "source" in (tmp_path / ".bashrc").read_text()
    # --show-completion prints the script for the shell it detects, whichever that is here.
    shown = subprocess.run(["apicli", "--show-completion"], capture_output=True, text=True, timeout=30, env=_env())
    assert shown.returncode == 0 and "_APICLI_COMPLETE=complete_" in shown.stdout
