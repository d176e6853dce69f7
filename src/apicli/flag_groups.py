"""The flags objects of single commands; their flags, defaults and help are in apicli.flagtable.

Each attribute is annotated for the type checker only: the value starts at the table's
default (a test checks that each annotation is the table's type).
"""

from __future__ import annotations

from pathlib import Path

from .flagtable import FlagValues


class PollFlags(FlagValues, group="poll"):
    """--until, --until-status, --interval, --envelope and --events of the request verbs."""

    until: str | None
    until_status: str | None
    interval: float
    envelope: bool
    events: bool


class CheckFlags(FlagValues, group="checks"):
    """--assert, --expect-status, --capture, --capture-secret, --capture-file and --report."""

    assert_: list[str]
    expect_status: str | None
    capture: list[str]
    capture_secret: list[str]
    capture_file: str | None
    report: list[str]


class PaginationFlags(FlagValues, group="paginate"):
    """The flags of `apicli paginate`, as typed (paths and rates as text; pagination.settings checks them)."""

    items_path: str | None
    next_path: str | None
    cursor_param: str | None
    cursor: str | None
    page_param: str | None
    start: int | None
    offset_param: str | None
    limit: int | None
    limit_param: str | None
    scheme: str
    max_pages: int | None
    max_items: int | None
    array: bool
    allow_cross_origin: bool
    parallel: int
    delay: float | None
    rate: str | None
    jq_all: bool


class DownloadFlags(FlagValues, group="download"):
    """The flags of `apicli download` besides the shared ones."""

    directory: Path | None
    resume: bool
    sha256: str | None
    checksum: str | None
    input_file: Path | None
    decode: bool
    parallel: int


class ConfigShowFlags(FlagValues, group="config show"):
    profile: str | None


class BatchFlags(FlagValues, group="batch"):
    """The flags of `apicli batch` besides the shared ones (the rate as text; pagination's parse_rate reads it)."""

    base_url: str | None
    parallel: int
    rate: str | None
    unordered: bool
    bodies: bool
    fail_fast: bool
