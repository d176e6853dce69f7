"""Every help screen, as the installed apicli prints it at 80 columns, reads well; reference text is packaged."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from apicli.cli.docs_gen import main as docs_main
from apicli.cli.docs_gen import stale_files
from apicli.cli.reference import HelpTopic
from apicli.commands.reference import TOPICS, format_topic_text
from apicli.errors import ExitCode
from tests.process.conftest import APICLI, base_environment

ROOT = Path(__file__).resolve().parents[2]
VERBS = ["get", "post", "put", "patch", "delete", "head", "request"]
COMMANDS = [*VERBS, "paginate", "download", "batch", "help", "config"]
SCREENS = [
    ["--help"],
    *([command, "--help"] for command in COMMANDS),
    ["config", "path", "--help"],
    ["config", "show", "--help"],
    ["help"],
    *(["help", name] for name in TOPICS),
]


def _shown(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [APICLI, *args], capture_output=True, text=True, timeout=30, env=base_environment({"COLUMNS": str(columns)})
    )


def indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def orphans(screen: str) -> list[str]:
    """Lines holding one word that continues the sentence on the line above."""
    found = []
    lines = screen.splitlines()
    for above, line in itertools.pairwise(lines):
        word, prose = line.strip(), above.strip()
        one_word = bool(word) and " " not in word and not word.startswith(("-", "$"))
        # A continuation is indented at least as far as the text it continues.
        continues = " " in prose and not prose.endswith(":") and indent(line) >= indent(above)
        if one_word and continues:
            found.append(f"{prose[-40:]!r} / {word!r}")
    return found


def test_the_orphan_check_catches_a_stranded_word() -> None:
    stranded = orphans("  --retries N   Retries for errors, timeouts and\n                  5xx.\n")
    assert len(stranded) == 1 and stranded[0].endswith("/ '5xx.'")
    assert orphans("Commands:\n  get  Fetch.\n") == []


@pytest.mark.parametrize("args", SCREENS, ids=[" ".join(args) for args in SCREENS])
def test_every_help_screen_fits_80_columns_without_orphans(args: list[str]) -> None:
    shown = _shown(*args)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.strip()
    too_long = [line for line in shown.stdout.splitlines() if len(line) > 80]
    assert too_long == []
    assert orphans(shown.stdout) == []
    assert "{" not in shown.stdout.split("\n", 1)[0]  # usage line: URL, not {url}
    assert not re.search(r"x>=|x<=|\d<=x", shown.stdout), "ranges belong in the rejection message"


def test_usage_lines_name_arguments_as_typed() -> None:
    assert _shown("get", "--help").stdout.startswith("Usage: apicli get [OPTIONS] URL [ITEM]...\n")
    assert _shown("request", "--help").stdout.startswith("Usage: apicli request [OPTIONS] METHOD URL [ITEM]...\n")
    assert _shown("download", "--help").stdout.startswith("Usage: apicli download [OPTIONS] [URL]...\n")
    assert _shown("help", "--help").stdout.startswith("Usage: apicli help [OPTIONS] [TOPIC]\n")


def test_a_range_shows_only_in_the_message_that_rejects_a_value() -> None:
    shown = _shown("get", "http://127.0.0.1:9/", "--timeout", "0")
    assert shown.returncode == ExitCode.USAGE and shown.stdout == ""
    assert shown.stderr.splitlines() == [
        "apicli: Invalid value for '--timeout': 0.0 is not in the range x>=0.001.",
        "hint: see 'apicli get --help'",
    ]


def test_root_help_has_examples_commands_and_where_the_docs_are() -> None:
    text = _shown("--help").stdout
    examples = re.findall(r"^  \$ apicli (\w+) .*$", text, flags=re.MULTILINE)
    assert examples == ["get", "post", "paginate", "download", "get"]
    assert "| jq" in text and "name=ann" in text and "# a CI step" in text
    commands = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"^  (\S+)", commands, flags=re.MULTILINE) == COMMANDS
    assert "apicli help exit-codes" in text and "man apicli" in text and "docs/" in text
    assert "README" not in text  # a pip user has no README


def test_command_help_keeps_examples_on_their_own_lines() -> None:
    text = _shown("paginate", "--help", columns=200).stdout
    examples = [line for line in text.splitlines() if line.startswith("  $ apicli paginate")]
    assert len(examples) == 4
    # The docstring's own line breaks are gone: the paragraph fills lines up to the 100-column cap.
    prose = text.split("\n\n")[2].splitlines()
    assert prose[0].startswith("The next page comes from the Link header")
    assert all(len(line) <= 100 for line in prose) and len(prose[0]) > 85


@pytest.mark.parametrize("name", list(TOPICS))
def test_help_topic_prints_the_packaged_reference(name: str) -> None:
    shown = _shown("help", name)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout == format_topic_text(TOPICS[name], 80)


def test_help_topics_are_the_packaged_topics() -> None:
    assert [topic.value for topic in HelpTopic] == list(TOPICS)
    listed = _shown("help").stdout
    assert all(f"  {name}" in listed for name in TOPICS)
    unknown = _shown("help", "nope")
    assert unknown.returncode == ExitCode.USAGE and "'nope' is not one of" in unknown.stderr


def test_exit_code_topic_covers_every_exit_code() -> None:
    text = format_topic_text(TOPICS["exit-codes"], 80)
    for code in ExitCode:
        assert re.search(rf"^  {int(code)} +\S", text, flags=re.MULTILINE), int(code)


def test_docs_carry_the_packaged_text(tmp_path: Path) -> None:
    assert stale_files(ROOT) == [], "docs/ is out of date: run `make docs`"
    for name in TOPICS:
        page = (ROOT / "docs" / f"{name}.md").read_text()
        assert f"apicli.commands.reference: {name};" in page
    # The check can fail: an edited block is reported, and rewriting repairs it.
    (tmp_path / "docs").mkdir()
    for name in TOPICS:
        page = (ROOT / "docs" / f"{name}.md").read_text()
        (tmp_path / "docs" / f"{name}.md").write_text(page.replace("| 4 |", "| 44 |").replace("`Name;`", "`N;`"))
    stale = {path.relative_to(tmp_path).as_posix() for path in stale_files(tmp_path)}
    assert stale == {"docs/exit-codes.md", "docs/items.md", "man/apicli.1"}  # the man page is missing here
    assert docs_main([str(tmp_path)]) == 0 and stale_files(tmp_path) == []
    assert (tmp_path / "man" / "apicli.1").read_text() == (ROOT / "man" / "apicli.1").read_text()
    assert docs_main(["--check", str(tmp_path)]) == 0
