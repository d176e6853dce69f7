"""`apicli download URL... [-o FILE | -d DIR]`: the Typer face of apicli.downloads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from ..flags import CommonFlags

if TYPE_CHECKING:
    from ..downloads import DownloadJob, Progress
    from ..spec import RequestSpec
from ..spec import MAX_PARALLEL
from .application import app
from .common import Run, open_run_client, prepare_run, request_options

DOWNLOAD = "Download"
# Defaults that a -H header may still override: any type, and no compression, so lengths and ranges are exact.
_DOWNLOAD_HEADERS = (("Accept", "*/*"), ("Accept-Encoding", "identity"))


def read_input_file(path: Path) -> list[DownloadJob]:
    from ..downloads import read_input_file as read_jobs

    return read_jobs(path, sys.stdin.buffer)


def _reject_unsupported(flags: CommonFlags) -> None:
    for given, flag in (
        (flags.json_body is not None, "--json"),
        (flags.data is not None, "--data"),
        (flags.form, "--form"),
        (flags.ignore_status, "--ignore-status"),
        (flags.pretty, "--pretty"),
        (flags.jq is not None, "--jq"),
        (flags.schema is not None, "--schema"),
    ):
        if given:
            raise UsageError(f"download does not take {flag}", hint="download sends GET requests and saves the body")


def _download_spec(base: RequestSpec, url: str) -> RequestSpec:
    from ..urls import normalize_url

    return base._replace(url=normalize_url(url), headers=_DOWNLOAD_HEADERS + base.headers)


def _progress(run: Run, files: int) -> Progress:
    from ..downloads import BarProgress, LineProgress

    if not run.reporter.quiet and run.printer.stderr_terminal:
        return BarProgress(sys.stderr, files=files, redact=run.reporter.redactor.text)
    return LineProgress(run.reporter)


@app.command(name="download")
@request_options
def download_command(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="URLs to download (several download at once).", metavar="URL...", show_default=False),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-d",
            "--dir",
            help="Save into this directory (created if needed), named by the server or the URL.",
            rich_help_panel=DOWNLOAD,
            metavar="DIR",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--continue",
            help=(
                "Resume the .part file (or the -o FILE) a previous run left, with a Range request, even "
                "without a validator; a plain rerun resumes a .part only when its ETag or Last-Modified agrees."
            ),
            rich_help_panel=DOWNLOAD,
        ),
    ] = False,
    sha256: Annotated[
        str | None,
        typer.Option(
            "--sha256",
            help="Expected SHA-256 (hex); checked before the file gets its name.",
            rich_help_panel=DOWNLOAD,
            metavar="HEX",
            show_default=False,
        ),
    ] = None,
    checksum: Annotated[
        str | None,
        typer.Option(
            "--checksum",
            help="Expected digest as ALGO:HEX, ALGO one of sha256, sha512, md5.",
            rich_help_panel=DOWNLOAD,
            metavar="ALGO:HEX",
            show_default=False,
        ),
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input-file",
            help="Read URLs from FILE (- is stdin), one per line, optionally URL<TAB>name; # comments.",
            rich_help_panel=DOWNLOAD,
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    decode: Annotated[
        bool,
        typer.Option(
            "--decode",
            help="Save a body the server compressed (Content-Encoding) decoded; by default it is saved as sent.",
            rich_help_panel=DOWNLOAD,
        ),
    ] = False,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel", help="Downloads at once.", rich_help_panel=DOWNLOAD, min=1, max=MAX_PARALLEL, metavar="N"
        ),
    ] = 4,
    *,
    flags: CommonFlags,
) -> None:
    """Download files: streamed to disk, verified, renamed into place only when complete.

    Each file is written to NAME.part and renamed once its length (and any checksum) is
    right. A name from the server or the URL never overwrites a file: `name (1).ext` is used
    instead. A broken transfer resumes by itself when the server takes ranges.

    Examples:

      $ apicli download https://example.com/files/report.csv

      $ apicli download :8080/big.iso -o big.iso --sha256 9f86d08...

      $ apicli download --continue -o big.iso :8080/big.iso

      $ apicli download -d downloads --input-file urls.txt --parallel 8
    """
    # Imported here so that other commands never pay for the download machinery at startup.
    from ..downloads import (
        DownloadContext,
        DownloadJob,
        DownloadOptions,
        check_jobs,
        check_options,
        download_all,
        parse_checksum,
        sha256_checksum,
    )

    _reject_unsupported(flags)
    jobs = [DownloadJob(url) for url in urls or []]
    if input_file is not None:
        jobs += read_input_file(input_file)
    checksums = []
    if sha256 is not None:
        checksums.append(sha256_checksum(sha256))
    if checksum is not None:
        checksums.append(parse_checksum(checksum))
    check_jobs(jobs)
    run = prepare_run("GET", jobs[0].url, None, flags)
    output = run.invocation.output
    options = DownloadOptions(
        output=run.printer.destination,
        to_stdout=output.to_stdout,
        directory=directory if directory is not None else Path("."),
        resume=resume,
        checksums=tuple(checksums),
        parallel=parallel,
        include=output.include,
        decode=decode,
    )
    check_options(jobs, options, directory_given=directory is not None)
    # Credentials stay bound to the first URL's origin; other origins get none.
    work = [(_download_spec(run.invocation.spec, job.url), job) for job in jobs]
    client = open_run_client(run, pool_size=max(parallel, 10))
    writer = None
    if run.invocation.write_out is not None:
        from ..transferinfo import WriteOut

        writer = WriteOut(run.invocation.write_out, run.printer)
    with _progress(run, len(work)) as progress:
        context = DownloadContext(client, options, run.invocation.retry, progress, run.stdout.stream, writer=writer)
        download_all(context, work)
