"""What to download and how: jobs from arguments or an input file, options, and checksums."""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import ApicliError, ExitCode, UsageError
from ..flagtable import DEFAULT_DOWNLOAD_PARALLEL as DEFAULT_PARALLEL
from ..formats.urls import normalize_url
from ..inputs.items import split_item
from ..inputs.local_input import NotReadable, iter_chunks, open_local
from ..limits import INPUT_FILE, INPUT_LINE, Limit, TooLarge

# Hex digits in each supported digest.
DIGEST_LENGTHS = {"sha256": 64, "sha512": 128, "md5": 32}
_HEX = frozenset(string.hexdigits)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Checksum:
    """An expected digest, checked before the file gets its final name."""

    algorithm: str
    hexdigest: str

    def new_hasher(self) -> Any:
        # md5 is an integrity check here, not a security feature (FIPS builds refuse it otherwise).
        return hashlib.new(self.algorithm, usedforsecurity=self.algorithm != "md5")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


def parse_checksum(text: str, *, flag: str = "--checksum") -> Checksum:
    """`ALGO:HEX` (sha256, sha512 or md5) as a Checksum; UsageError when it is not one."""
    algorithm, sep, digest = text.strip().partition(":")
    algorithm = algorithm.strip().lower()
    if not sep or algorithm not in DIGEST_LENGTHS:
        raise UsageError(f"invalid {flag} {text!r}", hint="expected ALGO:HEX with ALGO one of sha256, sha512, md5")
    return _checked(algorithm, digest, flag)


def sha256_checksum(text: str) -> Checksum:
    return _checked("sha256", text, "--sha256")


def _checked(algorithm: str, digest: str, flag: str) -> Checksum:
    digest = digest.strip().lower()
    expected = DIGEST_LENGTHS[algorithm]
    if len(digest) != expected or not set(digest) <= _HEX:
        raise UsageError(f"invalid {flag}: a {algorithm} digest is {expected} hex digits, got {digest!r}")
    return Checksum(algorithm, digest)


@dataclass(frozen=True)
class DownloadJob:
    """One URL to fetch, and the name an input file gave it (None: let the server or URL decide)."""

    url: str
    name: str | None = None


def parse_input_lines(lines: Iterable[str]) -> list[DownloadJob]:
    """Jobs from `URL` or `URL<TAB>name` lines; blank lines and `#` comments are skipped."""
    return [job for job in map(_input_job, lines) if job is not None]


def _input_job(raw: str) -> DownloadJob | None:
    line = raw.rstrip("\r\n")
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    url, _tab, name = line.partition("\t")
    url = url.strip()
    if not url:
        return None
    return DownloadJob(url, name.strip() or None)


def bounded_lines(chunks: Iterable[bytes], limit: Limit) -> Iterator[tuple[int, bytes]]:
    """(number from 1, line without its end) for each line in `chunks`, read as they come.

    A line is refused as soon as it passes `limit` bytes, so an input without line ends
    (/dev/zero, an endless pipe) costs at most `limit`.
    """
    number = 1
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) >= 0:
            if end - start > limit.bytes:
                raise TooLarge(limit.bytes, f"line {number} of --input-file")
            yield number, bytes(pending[start:end])
            number += 1
            start = end + 1
        del pending[:start]
        if len(pending) > limit.bytes:
            raise TooLarge(limit.bytes, f"line {number} of --input-file")
    if pending:
        yield number, bytes(pending)


def _within(chunks: Iterable[bytes], limit: Limit) -> Iterator[bytes]:
    """`chunks` as they come, TooLarge as soon as they add up to more than `limit`."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit.bytes:
            raise TooLarge(limit.bytes, limit.what, hint="split the list into several runs")
        yield chunk


def input_file_jobs(chunks: Iterable[bytes], where: str) -> Iterator[DownloadJob]:
    """The jobs of an --input-file, line by line; UsageError naming the line that is too long or not UTF-8."""
    hint = "give one URL per line, optionally URL<TAB>name"
    try:
        for number, line in bounded_lines(_within(chunks, INPUT_FILE), INPUT_LINE):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                raise UsageError(f"line {number} of --input-file {where} is not UTF-8 text", hint=hint) from None
            job = _input_job(text)
            if job is not None:
                yield job
    except TooLarge as exc:
        shown = where if where.startswith("(") else f"({where})"
        raise UsageError(f"{exc.message} {shown}", hint=exc.hint or hint) from None


def read_input_file(path: Path, stdin: BinaryIO) -> list[DownloadJob]:
    """--input-file FILE (`-` is standard input): its jobs, read line by line within INPUT_LINE each."""
    if str(path) == "-":
        return list(input_file_jobs(iter_chunks(stdin), "(standard input)"))
    where = repr(str(path))
    try:
        with open_local(path).stream as stream:
            return list(input_file_jobs(iter_chunks(stream), where))
    except NotReadable as exc:
        raise UsageError(f"--input-file: cannot read {where}: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"--input-file: cannot read {where}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class DownloadOptions:
    """Where and how to save: exactly one of `output`, `to_stdout`, or a `directory` to name files in."""

    output: Path | None = None
    to_stdout: bool = False
    directory: Path = Path(".")
    resume: bool = False
    checksums: tuple[Checksum, ...] = ()
    parallel: int = DEFAULT_PARALLEL
    include: bool = False
    decode: bool = False  # undo a Content-Encoding the server applied; by default the wire bytes are saved


def check_jobs(jobs: list[DownloadJob]) -> None:
    """Reject an empty list, and request items given where URLs belong."""
    if not jobs:
        raise UsageError("no URL to download", hint="give one or more URLs, or --input-file FILE")
    for job in jobs:
        _reject_request_item(job.url)


def check_options(jobs: list[DownloadJob], options: DownloadOptions, *, directory_given: bool) -> None:
    """Reject combinations that cannot mean anything sensible, before anything is sent."""
    check_jobs(jobs)
    several = len(jobs) > 1
    if options.output is not None or options.to_stdout:
        if several:
            raise UsageError(
                f"-o/--output names one file, but there are {len(jobs)} URLs",
                hint="use -d DIR for several downloads",
            )
        if directory_given:
            raise UsageError("-o/--output and -d/--dir cannot be combined", hint="-o takes a path: -o DIR/NAME")
    if options.to_stdout and options.resume:
        raise UsageError("--continue cannot resume into stdout", hint="save to a file with -o FILE")
    if options.checksums and several:
        raise UsageError("--sha256/--checksum check one file, but there are several URLs")
    if options.parallel < 1:
        raise UsageError("--parallel must be at least 1")


def request_item_name(text: str) -> str | None:
    """The name and separator of a request item given where a URL belongs (`Cookie:`, `token=`); None for a URL.

    A host never holds `=`, so `=` before the first `/` marks an item; `Name:Value` is one
    when it is no URL at all (`host:8080` is). The value is left out: it may be a secret.
    """
    url = text.strip()
    if _SCHEME.match(url) or url.startswith(":"):
        return None
    try:
        key, sep, _value = split_item(url)
    except UsageError:
        return None
    authority = re.split(r"[/?#]", url, maxsplit=1)[0]
    if "=" in authority:
        return key + sep
    if sep == ":" and _HEADER_NAME.match(key):
        try:
            normalize_url(url)
        except UsageError:
            return key + sep
    return None


def _reject_request_item(url: str) -> None:
    name = request_item_name(url)
    if name is not None:
        raise UsageError(
            f"download takes URLs; {name + '…'!r} looks like a request item, not a URL",
            hint="send headers with -H 'Name: Value' and query parameters with -q name=value",
        )


class DownloadsFailed(ApicliError):
    """Some of several downloads failed; the others were kept."""

    def __init__(self, failures: list[tuple[str, ApicliError]], total: int) -> None:
        lines = [f"  {where}: {error.message}" for where, error in failures]
        super().__init__(f"{len(failures)} of {total} downloads failed", detail="\n".join(lines))
        # The first failure (in the order given) decides the exit code.
        self.exit_code = failures[0][1].exit_code if failures else ExitCode.ERROR
