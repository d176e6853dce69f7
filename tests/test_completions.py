"""Shell completion: the checked-in scripts are current, and completing in a real bash works."""

from __future__ import annotations

import os
import shlex
import shutil
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


@pytest.fixture(scope="session")
def shells() -> dict[str, str | None]:
    """bash, zsh and fish: installed with apt-get when missing and we are root, else None (their tests skip)."""
    wanted = ("bash", "zsh", "fish")
    missing = [name for name in wanted if shutil.which(name) is None]
    if missing and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        install = ["apt-get", "install", "-y", "-q", *missing]
        quiet = {"capture_output": True, "timeout": 600, "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
        if subprocess.run(install, **quiet).returncode != 0:  # type: ignore[call-overload]
            subprocess.run(["apt-get", "update", "-q"], **quiet)  # type: ignore[call-overload]
            subprocess.run(install, **quiet)  # type: ignore[call-overload]
    return {name: shutil.which(name) for name in wanted}


def _shell(shells: dict[str, str | None], name: str) -> str:
    path = shells[name]
    if path is None:
        pytest.skip(f"{name} is not installed and cannot be installed here (needs root and apt-get)")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A directory with a config file of two profiles (one name has a space), files and a folder."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.prod]\nbase_url = "https://api.example.com"\n'
        '[profiles."my team"]\nbase_url = "https://team.example.com"\n'
    )
    (tmp_path / "report one.csv").write_text("a")
    (tmp_path / "report2.csv").write_text("b")
    (tmp_path / "reports").mkdir()
    return tmp_path


def _run(command: list[str], workspace: Path, **env: str) -> str:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=workspace,
        env=_env(APICLI_CONFIG=str(workspace / "config.toml"), **env),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _bash_complete(line: str, workspace: Path, bash: str = "bash") -> list[str]:
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
    output = _run([bash, "--norc", "--noprofile", "-c", script], workspace)
    return [word for word in output.splitlines() if word]


def test_bash_completes_commands_and_options(shells: dict[str, str | None], workspace: Path) -> None:
    bash = _shell(shells, "bash")
    assert _bash_complete("apicli ge", workspace, bash) == ["get"]
    assert "paginate" in _bash_complete("apicli pa", workspace, bash)
    assert _bash_complete("apicli get --ti", workspace, bash) == ["--timeout"]
    assert _bash_complete("apicli config s", workspace, bash) == ["show"]


def test_bash_completes_values_quoted(shells: dict[str, str | None], workspace: Path) -> None:
    bash = _shell(shells, "bash")
    assert _bash_complete("apicli get -P ", workspace, bash) == ["my\\ team", "prod"]  # quoted for the line
    assert _bash_complete("apicli get --profile p", workspace, bash) == ["prod"]
    assert _bash_complete("apicli paginate --scheme ", workspace, bash) == [
        "auto",
        "link",
        "body",
        "cursor",
        "page",
        "offset",
    ]
    assert _bash_complete("apicli download --checksum sha", workspace, bash) == ["sha256:", "sha512:"]
    assert _bash_complete("apicli help ", workspace, bash) == ["exit-codes", "items", "config", "limits", "batch"]
    # Files for a FILE flag (readline quotes them, having been told they are file names), folders for --dir.
    assert sorted(_bash_complete("apicli get -o rep", workspace, bash)) == ["report one.csv", "report2.csv", "reports"]
    assert sorted(_bash_complete("apicli get --token-file report", workspace, bash)) == [
        "report one.csv",
        "report2.csv",
        "reports",
    ]
    assert _bash_complete("apicli download -d rep", workspace, bash) == ["reports"]
    # A free-form value completes to nothing, not to file names.
    assert _bash_complete("apicli get --jq ", workspace, bash) == []


ZSH_HARNESS = r"""
# Stand-ins for the completion system's functions print what the script asked for.
compdef() { : }
_describe() { local name=${@[-1]}; print -rl -- ${(@P)name} }
compadd() { local -a all; all=("$@"); print -rl -- ${all[$((${all[(i)--]} + 1)),-1]} }
_path_files() { print -r -- "<files $*>" }
source $COMPLETION_SCRIPT
words=("${(@Q)${(z)LINE}}")
[[ $LINE == *" " ]] && words+=("")
CURRENT=${#words}
_apicli_completion
"""


def _zsh_complete(zsh: str, line: str, workspace: Path) -> list[str]:
    harness = workspace / "harness.zsh"
    harness.write_text(ZSH_HARNESS)
    output = _run([zsh, "-f", str(harness)], workspace, COMPLETION_SCRIPT=str(COMPLETIONS / "_apicli"), LINE=line)
    return output.splitlines()


def test_zsh_completes_with_descriptions_intact(shells: dict[str, str | None], workspace: Path) -> None:
    zsh = _shell(shells, "zsh")
    assert _zsh_complete(zsh, "apicli get -P ", workspace) == [
        "my team:https://team.example.com/",
        "prod:https://api.example.com/",
    ]
    # The apostrophe survives (Typer's script turned "profile's" into "profiles").
    assert _zsh_complete(zsh, "apicli get --time", workspace) == [
        "--timeout:Read timeout in seconds (default: the profile's, else 30)."
    ]
    assert _zsh_complete(zsh, "apicli paginate --scheme ", workspace) == [
        "auto",
        "link",
        "body",
        "cursor",
        "page",
        "offset",
    ]
    assert _zsh_complete(zsh, "apicli get -o rep", workspace) == ["<files -f>"]
    assert _zsh_complete(zsh, "apicli download -d ", workspace) == ["<files -/>"]
    assert _zsh_complete(zsh, "apicli dow", workspace)[0].startswith("download:Download files")


def _fish_complete(fish: str, line: str, workspace: Path) -> list[str]:
    script = f"source {shlex.quote(str(COMPLETIONS / 'apicli.fish'))}; complete -C{shlex.quote(line)}"
    return _run([fish, "--no-config", "-c", script], workspace).splitlines()


def test_fish_completes_values_and_files(shells: dict[str, str | None], workspace: Path) -> None:
    fish = _shell(shells, "fish")
    assert _fish_complete(fish, "apicli get -P ", workspace) == [
        "my team\thttps://team.example.com/",
        "prod\thttps://api.example.com/",
    ]
    assert _fish_complete(fish, "apicli get --time", workspace) == [
        "--timeout\tRead timeout in seconds (default: the profile's, else 30)."
    ]
    assert sorted(_fish_complete(fish, "apicli paginate --scheme ", workspace)) == sorted(
        ["auto", "link", "body", "cursor", "page", "offset"]
    )
    assert sorted(_fish_complete(fish, "apicli get -o report", workspace)) == [
        "report one.csv",
        "report2.csv",
        "reports/",
    ]
    assert [line.split("\t")[0] for line in _fish_complete(fish, "apicli download -d rep", workspace)] == ["reports/"]


def test_every_enumerated_and_file_flag_completes() -> None:
    import typer

    from apicli.cli.application import load_commands
    from apicli.cli.completion import attach_completions

    root = typer.main.get_command(load_commands())
    attach_completions(root)
    checked = 0
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        ctx = command.make_context(name, [], resilient_parsing=True)
        for param in command.params:
            answers = param.shell_complete(ctx, "")
            if getattr(param.type, "choices", None):
                assert [item.value for item in answers] == [str(getattr(c, "value", c)) for c in param.type.choices]
                checked += 1
            elif hasattr(param.type, "file_okay"):
                assert [item.type for item in answers] in (["file"], ["dir"]), (name, param.opts)
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("spelled", [("--install-completion", "bash"), ("--install-completion=bash",)])
def test_install_completion_for_a_named_shell_needs_no_shell_around(tmp_path: Path, spelled: tuple[str, ...]) -> None:
    # A new session with no shell among its ancestors: detection would fail, the named shell still wins.
    installed = subprocess.run(
        ["apicli", *spelled],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(HOME=str(tmp_path)),
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    assert (installed.returncode, installed.stderr) == (0, "")
    script_path = tmp_path / ".bash_completions" / "apicli.sh"
    assert installed.stdout.splitlines()[0] == f"bash completion installed in {script_path}"
    generated = [line for line in completion_script("bash").splitlines() if not line.startswith("# Generated")]
    assert script_path.read_text().splitlines() == generated
    assert "source" in (tmp_path / ".bashrc").read_text()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_for_a_named_shell_prints_the_shipped_script(shell: str) -> None:
    shown = subprocess.run(
        ["apicli", "--show-completion", shell],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(),
        start_new_session=True,
        stdin=subprocess.DEVNULL,
    )
    assert (shown.returncode, shown.stderr) == (0, "")
    generated = [line for line in completion_script(shell).splitlines() if not line.startswith("# Generated")]
    assert shown.stdout.strip("\n").splitlines() == "\n".join(generated).strip("\n").splitlines()


def test_show_completion_detects_the_shell_it_runs_under() -> None:
    # Started from bash, with no shell named: Typer's detection finds bash among the ancestors.
    shown = subprocess.run(
        ["bash", "-c", "apicli --show-completion; exit $?"], capture_output=True, text=True, timeout=30, env=_env()
    )
    assert shown.returncode == 0, shown.stderr
    assert "_APICLI_COMPLETE=complete_bash" in shown.stdout
