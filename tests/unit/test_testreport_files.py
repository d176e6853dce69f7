"""Test report files: concurrent steps, files that are not reports, size, permissions, links, targets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import apicli
from apicli.errors import ApicliError, OutputError, UsageError
from apicli.limits import REPORT_FILE
from apicli.output.testreport import FORMATS, Run, parse_report_target, write_report

from .test_testreport import SUFFIX, case_count, junit_report, mixed_run, request_case

STEP = """
import sys
from pathlib import Path
from apicli.output.testreport import Case, Check, Run, write_report

fmt, path, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
for step in range(10):
    case = Case(f"GET /{name}/{step}", "request", "GET", f"/{name}/{step}", 200, 0.01, 1, [Check("ok", True)], None)
    write_report(fmt, path, Run(f"{name} {step}", 0.0, [case, case]))
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_processes_appending_at_once_both_land(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"shared.{SUFFIX[fmt]}"
    env = {**os.environ, "PYTHONPATH": str(Path(apicli.__file__).parents[1])}
    steps = [
        subprocess.Popen([sys.executable, "-c", STEP, fmt, str(path), name], env=env, stderr=subprocess.PIPE)
        for name in ("first", "second")
    ]
    for step in steps:
        _, errors = step.communicate(timeout=120)
        assert step.returncode == 0, errors.decode()
    assert case_count(fmt, path) == 2 * 10 * 2
    text = path.read_text()
    for name in ("first", "second"):
        assert all(f"/{name}/{step}" in text for step in range(10))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "no temporary file is left behind"


NOT_REPORTS = {
    "junit": {
        "plain text": b"hello\n",
        "a single testsuite root": b'<testsuite name="pytest" tests="0"></testsuite>\n',
        "HTML": b"<html><body>not a report</body></html>\n",
        "an entity declaration": (
            b'<?xml version="1.0"?>\n<!DOCTYPE testsuites [<!ENTITY a "aaaa">]>\n<testsuites>&a;</testsuites>\n'
        ),
        "broken XML": b"<testsuites><testsuite name='x' tests='0'>\n",
        "another encoding": b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<testsuites></testsuites>\n',
        "a UTF-16 file": '<?xml version="1.0"?><testsuites></testsuites>'.encode("utf-16"),
        "a testsuites element further in": b"<report><testsuites></testsuites></report>",
    },
    "tap": {
        "plain text": b"hello\n",
        "TAP 13": b"TAP version 13\nok 1\n1..1\n",
        "no closing plan": b"TAP version 14\n1..1\nok 1 - planned first\n",
        "the plan only": b"TAP version 14\n",
    },
    "json": {
        "plain text": b"hello\n",
        "someone's JSON": b'{"name": "package", "version": "1.0.0"}\n',
        "JSON Lines of another tool": b'{"level":"info"}\n',
    },
}


@pytest.mark.parametrize(
    ("fmt", "content"),
    [(fmt, content) for fmt, rows in NOT_REPORTS.items() for content in rows.values()],
    ids=[f"{fmt}-{name}" for fmt, rows in NOT_REPORTS.items() for name in rows],
)
def test_a_file_that_is_not_a_report_is_refused_and_left_unchanged(fmt: str, content: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"existing.{SUFFIX[fmt]}"
    path.write_bytes(content)
    with pytest.raises(UsageError) as refusal:
        write_report(fmt, path, mixed_run(0))
    assert refusal.value.message == f"{str(path)!r} is not a " + refusal.value.message.split(" is not a ", 1)[1]
    assert "it was left unchanged" in refusal.value.message and refusal.value.hint
    assert path.read_bytes() == content
    assert sorted(tmp_path.iterdir()) == [path]


def test_a_testsuites_file_of_another_tool_is_added_to_keeping_its_suites(tmp_path: Path) -> None:
    path = tmp_path / "pytest.xml"
    path.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?><testsuites xmlns:x="urn:x" x:note="a tests=\'9\' b">'
        b'<testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="1.5">'
        b'<testcase classname="t" name="one" time="0.5"/>'
        b'<testcase classname="t" name="two" time="1.0"><failure message="boom">trace</failure></testcase>'
        b"</testsuite></testsuites>"
    )
    write_report("junit", path, mixed_run(0))
    report = junit_report(path)
    assert [suite.name for suite in report] == ["pytest", "apicli get step 0"]
    assert (report.tests, report.failures, report.errors) == (6, 2, 1)
    assert b"x:note=\"a tests='9' b\"" in path.read_bytes(), "the root's other attributes are kept as written"


@pytest.mark.parametrize(
    "content",
    [
        b"<testsuites/>",
        b"\xef\xbb\xbf<!-- before --><?pi x?>\n<testsuites name='t>x'></testsuites>\n<!-- after -->\n",
        b'<testsuites tests="12345678901234567890123" failures="\xc2\xb2">'
        b'<testsuite name="s" tests="1"><testcase name="c"><failure/></testcase></testsuite></testsuites>',
    ],
    ids=["self-closing", "comments, a PI and a > in a value", "nonsense totals"],
)
def test_a_testsuites_document_in_another_shape_is_added_to_keeping_the_rest(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_bytes(content)
    write_report("junit", path, mixed_run(0))
    write_report("junit", path, mixed_run(1))
    report = junit_report(path)
    other = 1 if b"<failure/>" in content else 0  # its suite states no failures: its cases are counted
    assert (report.tests, report.failures, report.errors) == (8 + other, 2 + other, 2)
    written = path.read_bytes()
    for kept in (b"<!-- before -->", b"<?pi x?>", b"<!-- after -->"):
        assert (kept in written) == (kept in content)
    assert ElementTree.fromstring(written).get("name") == ("t>x" if b"t>x" in content else None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_file_is_started_afresh(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{SUFFIX[fmt]}"
    path.touch()
    write_report(fmt, path, mixed_run(0))
    assert case_count(fmt, path) == 4


MEASURE = """
import resource, sys
from pathlib import Path
from apicli.errors import UsageError
from apicli.output.testreport import Case, Run, write_report

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    write_report(sys.argv[1], Path(sys.argv[2]), Run("r", 0.0, [Case("c", "request", "GET", "/", 200, 0.1)]))
except UsageError as refusal:
    print(refusal.message)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.parametrize("fmt", ["junit", "tap"])
def test_a_report_past_its_limit_is_refused_without_reading_it(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"huge.{SUFFIX[fmt]}"
    with path.open("wb") as huge:
        huge.truncate(REPORT_FILE.bytes + 1)  # sparse: costs no disk
    env = {**os.environ, "PYTHONPATH": str(Path(apicli.__file__).parents[1])}
    shown = subprocess.run(
        [sys.executable, "-c", MEASURE, fmt, str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    message, grown_kib = shown.stdout.splitlines()
    assert message == f"the report {str(path)!r} is larger than 32 MiB; it was left unchanged"
    assert int(grown_kib) < 4 * 1024, "refused from its size, before reading it"
    assert path.stat().st_size == REPORT_FILE.bytes + 1


def test_json_lines_after_a_line_cut_short_start_on_a_line_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    write_report("json", path, mixed_run(0))
    with path.open("ab") as report:
        report.write(b'{"apicli_report":1,"run":"cut')
    write_report("json", path, mixed_run(1))
    lines = path.read_bytes().split(b"\n")
    assert lines[4] == b'{"apicli_report":1,"run":"cut' and lines[5].startswith(
        b'{"apicli_report":1,"run":"apicli get step 1"'
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_report_keeps_its_mode_and_a_new_one_follows_the_umask(fmt: str, tmp_path: Path) -> None:
    kept = tmp_path / f"kept.{SUFFIX[fmt]}"
    write_report(fmt, kept, mixed_run(0))
    kept.chmod(0o640)
    write_report(fmt, kept, mixed_run(1))
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    mask = os.umask(0o027)
    try:
        fresh = tmp_path / f"fresh.{SUFFIX[fmt]}"
        write_report(fmt, fresh, mixed_run(0))
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_link_to_a_shared_report_stays_a_link(fmt: str, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / f"report.{SUFFIX[fmt]}"
    shared.parent.mkdir()
    write_report(fmt, shared, mixed_run(0))
    link = tmp_path / f"link.{SUFFIX[fmt]}"
    link.symlink_to(shared)
    write_report(fmt, link, mixed_run(1))
    assert link.is_symlink() and case_count(fmt, shared) == 8


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_directories_are_made(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / "reports" / "api" / f"report.{SUFFIX[fmt]}"
    write_report(fmt, path, Run("apicli get /", 0.0, [request_case(1)]))
    assert case_count(fmt, path) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_directory_or_an_unwritable_place_is_an_output_error(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a directory"):
        write_report(fmt, tmp_path, mixed_run(0))
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(
        OutputError, match=r"cannot write the report .*: '.*/file' is a file, not a directory"
    ) as refusal:
        write_report(fmt, blocker / f"report.{SUFFIX[fmt]}", mixed_run(0))
    assert refusal.value.hint
    assert blocker.read_text() == "in the way"
    # /proc takes no new files, whoever runs the tests.
    with pytest.raises(OutputError, match=r"cannot write the report '/proc/apicli-report': ") as refusal:
        write_report(fmt, Path("/proc/apicli-report"), mixed_run(0))
    assert refusal.value.hint


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for fmt in FORMATS:
        with pytest.raises(UsageError, match="is not a regular file"):
            write_report(fmt, fifo, mixed_run(0))


TO_STDERR = """
import sys
from pathlib import Path
from apicli.output.testreport import Run, write_report
from tests.unit.test_testreport import mixed_run

write_report(sys.argv[1], Path("/dev/stderr"), mixed_run(0))
"""


def test_json_lines_stream_to_dev_stderr_whatever_is_behind_it(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(b"the job's log\n")
    env = {**os.environ, "PYTHONPATH": f"{Path(apicli.__file__).parents[1]}:{Path(__file__).parents[2]}"}
    with log.open("ab") as stderr:
        subprocess.run([sys.executable, "-c", TO_STDERR, "json"], env=env, stderr=stderr, check=True, timeout=60)
    lines = log.read_bytes().split(b"\n")
    assert lines[0] == b"the job's log" and len(lines) == 1 + 4 + 1
    assert all(line.startswith(b'{"apicli_report":1,') for line in lines[1:-1])
    piped = subprocess.run([sys.executable, "-c", TO_STDERR, "json"], env=env, capture_output=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr.count(b"\n") == 4


@pytest.mark.parametrize("fmt", ["junit", "tap"])
def test_a_rewritten_report_refuses_a_device(fmt: str) -> None:
    with pytest.raises(UsageError, match=f"--report {fmt}: '/dev/stderr' is a device; a {fmt} report is rewritten"):
        write_report(fmt, Path("/dev/stderr"), mixed_run(0))


# --report FORMAT:FILE

file_names = st.text(st.characters(exclude_characters="\0"), min_size=1).filter(lambda name: name != "-")


@given(fmt=st.sampled_from(FORMATS), name=file_names)
def test_a_target_is_the_format_before_the_first_colon_and_the_file_after(fmt: str, name: str) -> None:
    assert parse_report_target(f"{fmt}:{name}") == (fmt, Path(name))
    assert parse_report_target(f"{fmt.upper()}:{name}") == (fmt, Path(name))


@given(text=st.text(st.characters(exclude_categories=())))
def test_any_target_is_parsed_or_refused_as_a_usage_error(text: str) -> None:
    try:
        fmt, path = parse_report_target(text)
    except UsageError as refusal:
        assert refusal.hint and refusal.message.startswith("--report")
        assert "\n" not in refusal.message
        return
    assert fmt in FORMATS and str(path)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("report.xml", "--report 'report.xml' names no format"),
        ("", "--report '' names no format"),
        ("xml:report.xml", "--report: unknown format 'xml'"),
        ("C:\\reports\\api.xml", "--report: unknown format 'c'"),
        ("junit:", "--report junit: needs a file name after the colon"),
        ("json:-", "--report json: a report is a file, not standard output"),
        ("tap:a\0b", "--report tap: the file name holds a NUL byte"),
        ("\x1b[31m:x", "--report: unknown format '\\\\x1b[31m'"),
    ],
)
def test_a_target_apicli_cannot_use_is_refused_with_a_hint(target: str, message: str) -> None:
    with pytest.raises(UsageError) as refusal:
        parse_report_target(target)
    assert refusal.value.message == message and "--report " in (refusal.value.hint or "")


def test_a_colon_in_the_file_name_is_the_file_s() -> None:
    assert parse_report_target("junit:reports/a:b.xml") == ("junit", Path("reports/a:b.xml"))


def test_writing_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ApicliError):
        write_report("xml", tmp_path / "r.xml", mixed_run(0))
    assert not (tmp_path / "r.xml").exists()


# Whatever an existing file holds: refused and unchanged, or added to and still well formed

JUNIT_PIECES = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<testsuites",
    "<testsuites>",
    "</testsuites>",
    ' name="a>b"',
    " tests='3'",
    '<testsuite name="s" tests="2" failures="1">',
    "</testsuite>",
    '<testcase name="c"><failure message="m"/></testcase>',
    "<!-- </testsuites> -->",
    "<![CDATA[</testsuites>]]>",
    "<!DOCTYPE x>",
    "/>",
    ">",
    "\n",
]
TAP_PIECES = ["TAP version 14\n", "TAP version 13\n", "1..2\n", "1..0", "ok 1 - a\n", "not ok 2\n", "# c\n", "\n"]


def existing_files(pieces: list[str], opening: str, closing: str) -> st.SearchStrategy[bytes]:
    """Pieces of the format in any order, or between an opening and a closing that make it likely valid."""
    fragment = st.lists(st.sampled_from(pieces) | st.text(max_size=5), max_size=8).map("".join)
    shaped = st.tuples(fragment, fragment, fragment).map(lambda p: f"{p[0]}{opening}{p[1]}{closing}{p[2]}")
    return (fragment | shaped).map(lambda text: text.encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(existing=existing_files(JUNIT_PIECES, "<testsuites>", "</testsuites>"))
def test_any_existing_junit_file_is_refused_unchanged_or_added_to(existing: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "report.xml"
        path.write_bytes(existing)
        try:
            write_report("junit", path, mixed_run(0))
        except UsageError:
            event("refused")
            assert path.read_bytes() == existing
            return
        event("added to")
        root = ElementTree.fromstring(path.read_bytes())
        assert root.tag == "testsuites" and root[-1].get("name") == "apicli get step 0"
        assert int(root.get("tests", "")) >= 4 and int(root.get("errors", "")) >= 1


@settings(max_examples=150, deadline=None)
@given(existing=existing_files(TAP_PIECES, "TAP version 14\n", "\n1..3\n"))
def test_any_existing_tap_file_is_refused_unchanged_or_added_to(existing: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "report.tap"
        path.write_bytes(existing)
        try:
            write_report("tap", path, mixed_run(0))
        except UsageError:
            event("refused")
            assert path.read_bytes() == existing
            return
        event("added to")
        written = path.read_text(encoding="utf-8", errors="surrogateescape")
        planned = int(existing.rstrip(b"\n").rsplit(b"\n", 1)[-1][3:] or 0) if existing.strip() else 0
        assert written.startswith("TAP version 14\n") and written.endswith(f"\n1..{planned + 4}\n")
        # The old plan was taken off and one new plan closes the stream.
        assert written.count("\n1..") == 1 + existing.count(b"\n1..") - (1 if existing.strip() else 0)
