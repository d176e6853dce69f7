"""`apicli batch [FILE|-]`: the Typer face of apicli.batch."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Literal

import typer

from ..commands.flags import CommonFlags, jq_bindings
from ..errors import UsageError
from ..flag_groups import BatchFlags, CheckFlags
from ..inputs.local_input import CHUNK
from .application import app
from .common import Run, open_run_client, prepare_run, request_options

if TYPE_CHECKING:
    from ..batch.build import SpecBuilder
    from ..batch.lines import LineError, LineRequest
    from ..config.config_file import Profile
    from ..inputs.writeout import Segment

# The run's URL when there is no base: it only names the origin credentials would belong to, and a
# batch with credentials but no base is refused, so nothing is ever bound to it.
_NO_BASE = "http://localhost/"
STDIN_EXAMPLE = "jq -c '.[] | {url: \"/users/\\(.id)\"}' ids.json | apicli batch -P prod"


@app.command(name="batch")
@request_options("batch")
def batch_command(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Request lines: a JSON object or a URL per line (- or nothing: stdin).",
            metavar="[FILE|-]",
            show_default=False,
        ),
    ] = None,
    *,
    flags: CommonFlags,
    own: BatchFlags,
    checking: CheckFlags,
) -> None:
    """Send a stream of requests, one JSON object (or URL) per input line; write one NDJSON result per line.

    A line: {"url": "/users/1"}, or {"method": "POST", "url": "/users", "json": {"name": "ann"},
    "headers": {"X-Trace": "t1"}, "query": {"v": "2"}, "id": "row-17"} ("data" is a raw body, text
    or {"base64": …}); a bare URL is a GET. The line's fields win over the flags and the profile.

    Each result: {"index", "line", "id", "method", "url", "status", "ok", "attempts", "time",
    "body"}, with "error" when the request failed ("captures" with --capture); in input order unless
    --unordered. Exit 0 when every request succeeded, 11 when some failed (the summary on stderr
    names their lines).

    Examples:

      $ jq -c '.[] | {url: "/users/\\(.id)"}' ids.json | apicli batch -P prod

      $ apicli batch requests.ndjson --base-url :8080 --parallel 16 --rate 50/s

      $ apicli batch urls.txt --bodies --jq .name -r

      $ apicli batch requests.ndjson -o results.ndjson --fail-fast
    """
    from ..batch.build import SpecBuilder
    from ..batch.command import BatchOptions, run_batch
    from ..batch.lines import read_requests
    from ..batch.runner import BatchSettings
    from ..config.profiles import load_profile
    from ..pagination.rate import parse_rate

    interval = parse_rate(own.rate) if own.rate is not None else 0.0
    checks = None
    if checking.assert_ or checking.expect_status or checking.capture or checking.report:
        from ..commands.checks import build_checks

        checks = build_checks(checking, os.environ, sys.argv[1:], jq_bindings(flags), in_results=True)
    chunks, input_size = _input_chunks(file)
    preview: Literal["curl", "dry-run"] | None = "curl" if flags.curl else ("dry-run" if flags.dry_run else None)
    if flags.curl and flags.dry_run:
        raise UsageError("--curl and --dry-run cannot be combined")
    # Each line is previewed below; the run itself must not preview its base.
    flags.curl = flags.dry_run = False
    profile = load_profile(flags.profile, os.environ)
    base = own.base_url if own.base_url is not None else (profile.base_url if profile is not None else None)
    run = prepare_run("GET", base or _NO_BASE, None, flags)
    if checks is not None and checks.expected is not None:
        retry = run.invocation.retry._replace(answers=checks.answers())
        run = run._replace(invocation=run.invocation._replace(retry=retry))
    invocation = run.invocation
    if base is None and _carries_credentials(run):
        raise UsageError(
            "credentials in a batch need a base URL, the one origin they are sent to",
            hint="give --base-url URL, or -P NAME for a profile with a base_url",
        )
    builder = SpecBuilder(
        invocation.spec,
        invocation.spec.url if base is not None else None,
        **_profile_only(profile, invocation.spec.url, flags),
    )
    lines = read_requests(chunks)
    if preview is not None:
        _preview(run, builder, lines, preview)
        return
    output = invocation.output
    if invocation.write_out is not None and output.output is None and _writes_stdout(invocation.write_out):
        raise UsageError(
            "-w writes on stdout, where the results go", hint="send it to stderr with %{stderr}, or use -o FILE"
        )
    options = BatchOptions(
        settings=BatchSettings(parallel=own.parallel, ordered=not own.unordered, fail_fast=own.fail_fast),
        interval=interval,
        bodies=own.bodies,
        ignore_status=output.ignore_status,
        include=output.include,
        jq=invocation.jq,
        write_out=invocation.write_out,
        on_result=(
            partial(checks.judge_result, schema_given=invocation.schema is not None) if checks is not None else None
        ),
        expected=checks.answers() if checks is not None and checks.expected is not None else None,
        keep_facts=checks is not None and checks.program is not None,
        input_size=input_size,
        schema=invocation.schema,
    )
    client = open_run_client(run, pool_size=max(own.parallel, 10))
    try:
        run_batch(client, builder, lines, run.printer, options)
    finally:
        if checks is not None:
            checks.write_reports(run.printer)


def _input_chunks(file: Path | None) -> tuple[Iterator[bytes], int | None]:
    """The input's bytes as they come: FILE, or stdin for - or nothing (a terminal is refused); and
    FILE's size when it is a regular file (None for stdin, a FIFO or a device)."""
    from ..inputs.local_input import NotReadable, open_local
    from ..output.plan import is_terminal

    if file is None or str(file) == "-":
        if file is None and is_terminal(sys.stdin):
            raise UsageError(
                "batch reads request lines from FILE or stdin, and stdin is a terminal",
                hint=f"pipe the lines in, e.g. {STDIN_EXAMPLE}; or name a file (- reads stdin anyway)",
            )
        return _arriving(sys.stdin.buffer), None
    try:
        opened = open_local(file)
    except NotReadable as exc:
        raise UsageError(f"batch: cannot read {str(file)!r}: {exc.reason}") from None

    def chunks() -> Iterator[bytes]:
        with opened.stream as stream:
            yield from _arriving(stream)

    return chunks(), opened.size


def _arriving(stream: BinaryIO) -> Iterator[bytes]:
    """The bytes as they arrive: a line piped in is sent at once, not when a whole chunk has come."""
    read = getattr(stream, "read1", stream.read)
    while chunk := read(CHUNK):
        yield chunk


def _carries_credentials(run: Run) -> bool:
    from ..pagination.runner import credentials_in_play

    spec = run.invocation.spec
    return credentials_in_play(spec) or bool(spec.credentials.cookies) or spec.credentials.fetched


def _profile_only(profile: Profile | None, url: str, flags: CommonFlags) -> dict[str, frozenset[str]]:
    """The header and query names only the profile gave: they stay on its origin."""
    if profile is None or not profile.covers(url):
        return {"profile_headers": frozenset(), "profile_query": frozenset()}
    flag_headers = {text.partition(":")[0].strip().lower() for text in flags.header}
    flag_query = {text.partition("=")[0].strip() for text in flags.query}
    return {
        "profile_headers": frozenset(name.lower() for name, _ in profile.headers) - flag_headers,
        "profile_query": frozenset(name for name, _ in profile.query) - flag_query,
    }


def _writes_stdout(segments: tuple[Segment, ...]) -> bool:
    """Whether a -w format puts anything on stdout (it starts there; %{stderr} switches)."""
    destination = "stdout"
    for segment in segments:
        if segment.kind == "switch":
            destination = segment.value
        elif destination == "stdout":
            return True
    return False


def _preview(
    run: Run, builder: SpecBuilder, lines: Iterator[LineRequest | LineError], preview: Literal["curl", "dry-run"]
) -> None:
    """--dry-run / --curl: each line's request printed, nothing sent; a bad line is reported and fails the run."""
    from ..batch.command import BatchFailed
    from ..batch.lines import LineError
    from ..commands.curl import write_preview

    invocation = run.invocation._replace(preview=preview)
    bad: list[int] = []
    for item in lines:
        if isinstance(item, LineError):
            run.reporter.note(f"apicli: {item.message}")
            bad.append(item.line)
            continue
        try:
            spec = builder.build(item)
            write_preview(invocation._replace(spec=spec), run.reporter, run.stdout)
        except UsageError as exc:
            run.reporter.note(f"apicli: line {item.line}: {exc.message}")
            bad.append(item.line)
    if bad:
        shown = ", ".join(str(line) for line in bad[:10])
        raise BatchFailed(f"batch: {len(bad)} line{'s' if len(bad) != 1 else ''} cannot be sent: line {shown}")
