"""Test reports for CI: `--report FORMAT:FILE` adds each invocation's cases to a JUnit, TAP or JSON Lines file.

Several apicli steps of one job may name the same file; after each one the file is whole and valid
in its format, and two steps writing at once both land.

* junit: a `<testsuites>` document with one `<testsuite>` per invocation (named after its command
  line, with its timestamp) and one `<testcase>` per request, page or file (classname
  `apicli.request`, `apicli.page` or `apicli.file`). A failed check is a `<failure type="check">`
  whose message starts with the check's name; a failure that is not a check (no response, a broken
  body) is an `<error type="error">`. Each case's `<system-out>`, which Jenkins and GitLab show with
  the case, lists its status, time, attempts and every check, passed ones too; a case that needed
  retries says "3 attempts (2 retries)" there and in its failure message, and its suite's
  `<system-out>` lists the retried cases. A case counts once in the totals: as an error if it has
  one, else as a failure. The root's totals are summed again on each run. Any UTF-8 `testsuites`
  document can be added to (pytest's too), every byte but the root's start tag kept as it was.
* tap: TAP version 14. Each case is a test point with a subtest (indented four spaces) whose first
  point is the response (its status, time and attempts) and whose others are the checks, a failure's
  text in `#` comment lines under it; a comment line names each invocation. The one plan stays on
  the last line: a run rewrites it, so the file is a single valid TAP stream after every step.
* json: JSON Lines, one object per case, each with the run's name and start time and every field of
  the case, its checks included. A run's lines are appended in one write.

JUnit and TAP files are rewritten whole and renamed into place (keeping the file's mode) under an
exclusive lock on the file; JSON Lines are appended under the same lock. A file that is empty is
started afresh; one that holds something else is refused and left unchanged. Text from servers and
users is bounded and has what a format cannot hold spelled out (see testcases.py).
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ApicliError, OutputError, UsageError
from ..limits import REPORT_FILE, read_bounded, size_text
from .testcases import Case, Check, Run, field, message, not_a_report, seconds, timestamp

__all__ = ["FORMATS", "Case", "Check", "Run", "parse_report_target", "write_report"]

FORMATS = ("junit", "tap", "json")
_TARGET_HINT = "write --report FORMAT:FILE, e.g. --report junit:reports/api.xml (formats: junit, tap, json)"
_CHUNK = 1024 * 1024
# Paths that name a stream, not a file: /dev/stderr may lead to the job's log, never to be rewritten.
_DEVICES = ("/dev/",)

# The first bytes of every JSON Lines report: how a step knows the file it appends to is one.
JSON_MARKER = b'{"apicli_report":1,'


def parse_report_target(text: str) -> tuple[str, Path]:
    """ "junit:out/report.xml" -> ("junit", Path("out/report.xml")); the format before the first colon."""
    fmt, colon, file = text.partition(":")
    if not colon:
        raise UsageError(f"--report {field(text)!r} names no format", hint=_TARGET_HINT)
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--report: unknown format {field(fmt)!r}", hint=_TARGET_HINT)
    if not file:
        raise UsageError(f"--report {fmt}: needs a file name after the colon", hint=_TARGET_HINT)
    if "\0" in file:
        raise UsageError(f"--report {fmt}: the file name holds a NUL byte", hint=_TARGET_HINT)
    if file == "-":
        raise UsageError(
            f"--report {fmt}: a report is a file, not standard output",
            hint="give a file name; `--report json:/dev/stderr` streams JSON Lines",
        )
    return fmt, Path(file)


def write_report(fmt: str, path: Path, run: Run) -> None:
    """Add `run` to the report at `path` (created if absent), leaving a valid file of format `fmt`."""
    if fmt not in FORMATS:
        raise UsageError(f"--report: unknown format {field(fmt)!r}", hint=_TARGET_HINT)
    where = str(path)
    try:
        if where.startswith(_DEVICES):
            if fmt != "json":
                raise UsageError(
                    f"--report {fmt}: {where!r} is a device; a {fmt} report is rewritten whole on each run",
                    hint="give a file name, or --report json:FILE to stream JSON Lines to a device",
                )
            _stream(path, json_lines(run))
            return
        target = _target(path)
        if target.is_dir():
            raise _not_a_file(where, target)
        _make_directory(target.parent, where)
        if fmt == "json":
            _append(target, where, json_lines(run))
            return
        if fmt == "junit":
            from .testreport_junit import add_run
        else:
            from .testreport_tap import add_run
        _rewrite(target, where, lambda existing: add_run(existing, run, where))
    except ApicliError:
        raise
    except ValueError as exc:  # a NUL in the path
        raise UsageError(f"cannot write the report {where!r}: {exc}") from None
    except OSError as exc:
        raise _cannot_write(where, exc) from None


# JSON Lines


def _case_object(run: Run, started: str, case: Case) -> dict[str, object]:
    return {
        "apicli_report": 1,  # first: JSON_MARKER
        "run": field(run.name),
        "started": started,
        "kind": field(case.kind),
        "name": field(case.name),
        "method": field(case.method),
        "url": field(case.url),
        "status": None if case.status is None else int(case.status),
        "time": seconds(case.time),
        "attempts": max(int(case.attempts), 1),
        "passed": case.passed,
        "error": None if case.error is None else message(case.error),
        "checks": [
            {
                "name": field(check.name),
                "passed": bool(check.passed),
                "message": None if check.message is None else message(check.message),
            }
            for check in case.checks
        ],
    }


def json_lines(run: Run) -> bytes:
    """The run's JSON Lines: one object per case, one line each (no raw control character can remain)."""
    import json

    started = timestamp(run.started)
    lines = (
        json.dumps(_case_object(run, started, case), ensure_ascii=False, separators=(",", ":")) for case in run.cases
    )
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def _append(target: Path, where: str, data: bytes) -> None:
    if target.exists() and not target.is_file():
        raise _not_a_file(where, target)
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, 0o666)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_a_file(where, target)
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, len(JSON_MARKER), 0) != JSON_MARKER:
            raise not_a_report(where, "JSON Lines report")
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a line cut short by a full disk stays alone on its line
        _write_all(fd, data)
    finally:
        os.close(fd)


def _stream(device: Path, data: bytes) -> None:
    """JSON Lines to /dev/stderr, /dev/fd/3 or the like: written as they are, whatever is behind it."""
    fd = os.open(device, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


# The rewritten formats


Pieces = list[bytes | memoryview]  # a file's new content, written piece by piece without joining


def _rewrite(target: Path, where: str, add: Callable[[bytes], Pieces]) -> None:
    """Replace the file at `target` with `add(its content)` (b"" when absent), atomically and under its lock."""
    while True:
        try:
            fd = os.open(target, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            if _create(target, add(b"")):
                return
            continue  # another step created it first: add to that one
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                raise _not_a_file(where, target)
            if status.st_size > REPORT_FILE.bytes:
                raise _too_large(where)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if not _still_names(target, fd):
                continue  # replaced while this step waited for the lock: lock the new file
            existing = read_bounded(_chunks(fd), REPORT_FILE, error=UsageError, hint=_too_large(where).hint)
            _replace(target, add(existing), stat.S_IMODE(status.st_mode))
            return
        finally:
            os.close(fd)


def _still_names(target: Path, fd: int) -> bool:
    try:
        named = os.stat(target)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _chunks(fd: int) -> Iterator[bytes]:
    while chunk := os.read(fd, _CHUNK):
        yield chunk


def _temporary(target: Path, mode: int) -> tuple[int, Path]:
    """A new file beside `target` for its next content; `mode` is narrowed by the umask."""
    while True:
        temp = target.with_name(f".{target.name}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), temp
        except FileExistsError:
            continue


def _create(target: Path, content: Pieces) -> bool:
    """Make `target` with `content` in one step; False when a file appeared there first."""
    fd, temp = _temporary(target, 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.writelines(content)
        os.link(temp, target)  # unlike a rename, never replaces what another step just created
        return True
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)


def _replace(target: Path, content: Pieces, mode: int) -> None:
    fd, temp = _temporary(target, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # the report keeps the permissions it had
            stream.writelines(content)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _target(path: Path) -> Path:
    """The file to write: what a link names (the shared report is rewritten, the link kept)."""
    return Path(os.path.realpath(path))


def _make_directory(directory: Path, where: str) -> None:
    # CI steps name report files under a directory of their own, as test runners do: make it.
    if directory.is_dir():
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file, or a link to one, where a directory is named
        raise OutputError(
            f"cannot write the report {where!r}: {str(directory)!r} is a file, not a directory",
            hint="give --report a file name in a directory",
        ) from None


# Refusals


def _cannot_write(where: str, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write the report {where!r}: {exc.strerror or exc}",
        hint="check that the directory exists and is writable, or give --report another file",
    )


def _not_a_file(where: str, target: Path) -> ApicliError:
    if target.is_dir():
        return OutputError(f"cannot write the report {where!r}: it is a directory", hint="give --report a file name")
    return UsageError(f"the report {where!r} is not a regular file", hint="give --report a file name")


def _too_large(where: str) -> UsageError:
    return UsageError(
        f"the report {where!r} is larger than {size_text(REPORT_FILE.bytes)}; it was left unchanged",
        hint="start a new report file for each job",
    )
