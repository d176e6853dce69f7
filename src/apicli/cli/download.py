"""`apicli download URL... [-o FILE | -d DIR]`: the Typer face of apicli.downloads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..commands.flags import CommonFlags
from ..flag_groups import CheckFlags, DownloadFlags

if TYPE_CHECKING:
    from ..downloads import DownloadJob
    from ..spec import RequestSpec
from .application import app
from .common import open_run_client, prepare_run, reports_only, request_options

# Defaults that a -H header may still override: any type, and no compression, so lengths and ranges are exact.
_DOWNLOAD_HEADERS = (("Accept", "*/*"), ("Accept-Encoding", "identity"))


def read_input_file(path: Path) -> list[DownloadJob]:
    from ..downloads import read_input_file as read_jobs

    return read_jobs(path, sys.stdin.buffer)


def _download_spec(base: RequestSpec, url: str) -> RequestSpec:
    from ..formats.urls import normalize_url

    return base._replace(url=normalize_url(url), headers=_DOWNLOAD_HEADERS + base.headers)


@app.command(name="download")
@request_options("download")
def download_command(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="URLs to download (several download at once).", metavar="URL...", show_default=False),
    ] = None,
    *,
    flags: CommonFlags,
    own: DownloadFlags,
    checking: CheckFlags,
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

    jobs = [DownloadJob(url) for url in urls or []]
    if own.input_file is not None:
        jobs += read_input_file(own.input_file)
    checksums = []
    if own.sha256 is not None:
        checksums.append(sha256_checksum(own.sha256))
    if own.checksum is not None:
        checksums.append(parse_checksum(own.checksum))
    check_jobs(jobs)
    checks = reports_only(checking)
    run = prepare_run("GET", jobs[0].url, None, flags)
    output = run.invocation.output
    options = DownloadOptions(
        output=run.printer.destination,
        to_stdout=output.to_stdout,
        directory=own.directory if own.directory is not None else Path("."),
        resume=own.resume,
        checksums=tuple(checksums),
        parallel=own.parallel,
        include=output.include,
        decode=own.decode,
    )
    check_options(jobs, options, directory_given=own.directory is not None)
    # Credentials stay bound to the first URL's origin; other origins get none.
    work = [(_download_spec(run.invocation.spec, job.url), job) for job in jobs]
    client = open_run_client(run, pool_size=max(own.parallel, 10))
    writer = None
    if run.invocation.write_out is not None:
        from ..request.transferinfo import WriteOut

        writer = WriteOut(run.invocation.write_out, run.printer)
    observe = checks.observer("file") if checks is not None else None
    try:
        with run.printer.progress(len(work)) as progress:
            context = DownloadContext(
                client, options, run.invocation.retry, progress, run.stdout.stream, writer=writer, observe=observe
            )
            download_all(context, work)
    finally:
        if checks is not None:
            checks.write_reports(run.printer)
