"""`apicli download`: streaming, resumable, verified downloads with atomic final names.

`jobs` says what to fetch and how, `transfer` fetches one URL (requests, resume, checks),
`body` moves the bytes (splice, readinto, decoding), `files` owns the `.part` files and
final names, `ranges` the HTTP range rules, `progress` the display on stderr, and `runner`
runs several downloads at once.
"""

from __future__ import annotations

from ..output.progress import BarProgress, LineProgress, Progress, Saved
from .jobs import (
    Checksum,
    DownloadJob,
    DownloadOptions,
    DownloadsFailed,
    check_jobs,
    check_options,
    parse_checksum,
    parse_input_lines,
    read_input_file,
    sha256_checksum,
)
from .runner import download_all
from .transfer import DownloadContext

__all__ = [
    "BarProgress",
    "Checksum",
    "DownloadContext",
    "DownloadJob",
    "DownloadOptions",
    "DownloadsFailed",
    "LineProgress",
    "Progress",
    "Saved",
    "check_jobs",
    "check_options",
    "download_all",
    "parse_checksum",
    "parse_input_lines",
    "read_input_file",
    "sha256_checksum",
]
