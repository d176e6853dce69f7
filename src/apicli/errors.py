"""Exit codes and the exception hierarchy of apicli's core.

Core code raises these and never prints or exits; the CLI layer turns each into
one `apicli: ...` line on stderr and the exit code the error carries.
"""

from __future__ import annotations

import os
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; the README documents this table."""

    OK = 0
    ERROR = 1
    USAGE = 2
    REDIRECT = 3
    HTTP_4XX = 4
    HTTP_5XX = 5
    TOO_MANY_REDIRECTS = 6
    CONNECTION = 7
    TIMEOUT = 8
    SCHEMA = 9
    ASSERTION = 10
    BATCH_FAILED = 11
    INTERRUPTED = 130


def exit_code_for_status(status: int) -> ExitCode:
    """The exit code a final HTTP status maps to."""
    if status >= 500:
        return ExitCode.HTTP_5XX
    if status >= 400:
        return ExitCode.HTTP_4XX
    if 300 <= status < 400:
        return ExitCode.REDIRECT
    return ExitCode.OK


class ApicliError(Exception):
    """Base of every error apicli reports; carries its exit code and an optional hint."""

    exit_code: ExitCode = ExitCode.ERROR
    attempts: int | None = None  # how many times the request was sent, when retries were involved

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Extra lines shown after the message, such as an HTTP error body.
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UsageError(ApicliError, ValueError):
    """Bad flags, items, URLs or local input: nothing was sent."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The config file is unreadable or invalid; the message names the file and line."""

    def __init__(
        self, path: str | os.PathLike[str], line: int | None, message: str, *, hint: str | None = None
    ) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}", hint=hint)


class InvalidURL(UsageError):
    """The URL cannot be understood."""


class ItemError(UsageError):
    """A request item or its @file cannot be parsed or read."""


class ParseError(UsageError):
    """Text with a grammar (a header, a path, a document) is malformed."""


class ResponseFormatError(UsageError):
    """The response is not what the command needs, e.g. not JSON for paginate or --jq."""


class OutputError(ApicliError):
    """Writing output failed: a full disk, an unwritable path."""

    exit_code = ExitCode.ERROR


class HTTPStatusError(ApicliError):
    """The final response had an error status (or a 3xx that was not followed)."""

    def __init__(self, message: str, *, status: int, hint: str | None = None, detail: str | None = None):
        super().__init__(message, hint=hint, detail=detail)
        self.status = status
        self.exit_code = exit_code_for_status(status)


class TooManyRedirects(ApicliError):
    exit_code = ExitCode.TOO_MANY_REDIRECTS


class ConnectionFailed(ApicliError):
    """DNS, refused connection, reset, TLS failure."""

    exit_code = ExitCode.CONNECTION


class MalformedResponse(ConnectionFailed):
    """The server's answer breaks HTTP (conflicting Content-Length, a final 1xx status): its fault, exit 7 like
    any answer that is not a usable HTTP response."""


class RequestTimeout(ApicliError):
    """A connect or read timeout, or the --max-time deadline."""

    exit_code = ExitCode.TIMEOUT


class CycleDetected(ApicliError):
    """Pagination came back to a page it had already fetched."""

    exit_code = ExitCode.ERROR


class CrossOriginRefused(ApicliError):
    """A redirect or next link points at another origin and was not allowed."""

    exit_code = ExitCode.ERROR


class IntegrityError(ApicliError):
    """A download was short, or its checksum did not match."""

    exit_code = ExitCode.ERROR


class SchemaValidationError(ApicliError):
    """The response body does not satisfy the --schema."""

    exit_code = ExitCode.SCHEMA


class AssertionFailed(ApicliError):
    """An --assert did not hold (or raised a jq error), a --capture had no value, or an unexpected
    1xx/2xx status under --expect-status: the answer came, and it is not the one the check wanted."""

    exit_code = ExitCode.ASSERTION


class PipeClosed(ApicliError):
    """The reader of our output went away (`| head`): not a failure, and nothing to say."""

    exit_code = ExitCode.OK


class Interrupted(ApicliError):
    """SIGINT or SIGTERM."""

    exit_code = ExitCode.INTERRUPTED
