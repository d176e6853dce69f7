"""Bad invocations and bad input get a clear answer: one table, every row run end to end.

Each row is an invocation with its exit code and the start of its first stderr line. Rows
that fail must leave stdout empty (only successful data goes there), and rows that are
refused as usage errors must not have sent anything. One test runs every row and checks
that no traceback ever reaches stderr.

Placeholders in arguments: ``{srv}`` is a scripted loopback server, ``{tmp}`` a scratch
directory holding the files below, ``{dead}`` a loopback port where nothing listens.

A row with a ``hint`` also checks the second line of stderr: local mistakes name the flag to fix.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.conftest import Invoke, Result, apicli_command
from tests.faults import MALFORMED_LINKS, FaultServer, Reply, disposition_reply, empty_json, invalid_json, json_reply


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]
    code: int
    stderr: str  # the start of stderr; "" means stderr must be empty
    stdout_empty: bool = True
    sends: bool = False  # whether a request may reach the server
    stdin: bytes = b""
    env: Mapping[str, str] = field(default_factory=dict)
    stdout_file: str | None = None  # run as a real process with stdout on this file
    xfail: str | None = None
    hint: str | None = None  # the start of the `hint: ` line that follows the message


def row(name: str, command: str | tuple[str, ...], code: int, stderr: str, **options: Any) -> Row:
    """A table row; `command` is split like a shell would (a tuple is taken as the arguments)."""
    args = tuple(shlex.split(command)) if isinstance(command, str) else command
    return Row(name, args, code, stderr, **options)


# Content-Disposition values that cannot be parsed: the download keeps the URL's name.
MALFORMED_DISPOSITIONS = (
    'attachment; filename="unterminated',
    'attachment; filename="a.txt" trailing',
    "attachment; filename*=nonsense",
    ";;;==;",
)
# What paginate makes of each of MALFORMED_LINKS: (exit code, stderr start, items written?).
LINK_OUTCOMES = (
    (2, "apicli: page 1: malformed Link header: missing '>'", False),
    (2, "apicli: page 1: malformed Link header: missing '<'", False),
    (1, "apicli: page 1: the next link {srv}/link/2 was already fetched", True),  # <> is this page
    (0, "", True),  # rel= with no value: no next link
    (2, "apicli: page 1: malformed Link header: unterminated quoted string", False),
    (2, "apicli: page 1: malformed Link header: missing '<'", False),
    (0, "", True),  # two rel="next": the first is taken
)

ROWS: list[Row] = [
    # -- the URL -----------------------------------------------------------------------------------
    row("no-url", "get", 2, "apicli: Missing argument 'URL'"),
    row("empty-url", "get ''", 2, "apicli: missing URL"),
    row("blank-url", "get '   '", 2, "apicli: missing URL"),
    row("ftp-url", "get ftp://example.com/x", 2, "apicli: unsupported URL scheme 'ftp'"),
    row("no-host", "get http://", 2, "apicli: invalid URL 'http://': no host"),
    row("space-in-url", "get 'http://127.0.0.1 x/'", 2, "apicli: invalid URL 'http://127.0.0.1 x/'"),
    row("port-not-a-number", "get :abc/x", 2, "apicli: invalid URL ':abc/x': port 'abc'"),
    row("port-out-of-range", "get http://127.0.0.1:99999/", 2, "apicli: invalid URL"),
    row("port-zero", "get http://127.0.0.1:0/", 2, "apicli: invalid URL 'http://127.0.0.1:0/': port 0"),
    row("bad-method", "request 'GE T' {srv}/json", 2, "apicli: invalid HTTP method 'GE T'"),
    row("unknown-command", "fetch {srv}/json", 2, "apicli: No such command 'fetch'"),
    row("unknown-option", "get {srv}/json --nope", 2, "apicli: No such option: --nope"),
    row("nothing-listening", "get {dead}/x --retries 0", 7, "apicli: connection refused ({dead}/x)"),
    row(
        "nothing-listening-into-a-file", "get {dead}/x --retries 0 -o {tmp}/never.json", 7, "apicli: connection refused"
    ),
    # -- request items and body flags --------------------------------------------------------------
    row("item-without-separator", "post {srv}/json novalue", 2, "apicli: invalid request item"),
    row("item-empty-name", "post {srv}/json =value", 2, "apicli: request item '=value' has an empty name"),
    row("bad-header-name", "get {srv}/json 'Bad Header:x'", 2, "apicli: invalid header name"),
    row("header-line-break", ("get", "{srv}/json", "X-A:one\ntwo"), 2, "apicli: invalid header 'X-A'"),
    row("raw-json-invalid", "post {srv}/json n:=[1,", 2, "apicli: invalid JSON in item 'n:=[1,'"),
    row("raw-json-bare-word", "post {srv}/json flag:=yes", 2, "apicli: invalid JSON in item"),
    row("json-flag-invalid", "post {srv}/json --json {bad", 2, "apicli: invalid JSON in --json"),
    row("json-file-invalid", "post {srv}/json --json @{tmp}/bad.json", 2, "apicli: invalid JSON in --json"),
    row("json-stdin-invalid", "post {srv}/json --json @-", 2, "apicli: invalid JSON in --json", stdin=b"[1,"),
    row("raw-json-file-invalid", "post {srv}/json doc:=@{tmp}/bad.json", 2, "apicli: invalid JSON in"),
    row("field-file-missing", "post {srv}/json f=@{tmp}/missing.txt", 2, "apicli: cannot read '{tmp}/missing.txt'"),
    row("field-file-directory", "post {srv}/json f=@{tmp}/dir", 2, "apicli: cannot read '{tmp}/dir'"),
    row(
        "field-file-under-a-file", "post {srv}/json f=@{tmp}/plain.txt/x", 2, "apicli: cannot read '{tmp}/plain.txt/x'"
    ),
    row(
        "field-file-not-utf8",
        "post {srv}/json f=@{tmp}/latin1.txt",
        2,
        "apicli: '{tmp}/latin1.txt' for 'f=@{tmp}/latin1.txt' is not UTF-8 text",
    ),
    row("field-file-unknown-user", "post {srv}/json f=@~nosuchuser0/x", 2, "apicli: cannot read '~nosuchuser0/x'"),
    row("upload-unknown-user", "post {srv}/json f@~nosuchuser0/x", 2, "apicli: cannot upload '~nosuchuser0/x'"),
    row("field-file-no-name", "post {srv}/json f=@", 2, "apicli: 'f=@' names no file"),
    row("upload-missing", "post {srv}/json doc@{tmp}/missing.bin", 2, "apicli: cannot upload '{tmp}/missing.bin'"),
    row("upload-directory", "post {srv}/json doc@{tmp}/dir", 2, "apicli: cannot upload '{tmp}/dir'"),
    row("data-file-missing", "post {srv}/json --data @{tmp}/missing.txt", 2, "apicli: cannot read '{tmp}/missing.txt'"),
    row("json-file-directory", "post {srv}/json --json @{tmp}/dir", 2, "apicli: cannot read '{tmp}/dir'"),
    row(
        "data-and-body-items",
        "post {srv}/json a=@- --data @-",
        2,
        "apicli: --data cannot be combined with body items",
        stdin=b"x",
    ),
    row(
        "stdin-twice-items",
        "post {srv}/json a=@- b=@-",
        2,
        "apicli: standard input (@-) can be used only once",
        stdin=b"x",
    ),
    row(
        "nested-conflict",
        "post {srv}/json a=1 a[b]=2",
        2,
        "apicli: item 'a[b]=2': 'a' is a value, so it has no key 'b'",
    ),
    row(
        "array-too-far", "post {srv}/json a[20000]=x", 2, "apicli: item 'a[20000]=x': array index 20000 is beyond 10000"
    ),
    row(
        "array-negative",
        "post {srv}/json a[-1]=x",
        2,
        "apicli: item 'a[-1]=x': negative array indexes are not supported",
    ),
    row(
        "raw-json-in-a-form", "post {srv}/json --form n:=1", 2, "apicli: raw JSON fields (:=) cannot be sent as a form"
    ),
    # -- flags that contradict each other, and bad numbers -----------------------------------------
    row("pretty-and-raw", "get {srv}/json --pretty --raw", 2, "apicli: --pretty and --raw cannot be combined"),
    row("verbose-and-quiet", "get {srv}/json -v -s", 2, "apicli: -v/--verbose and -s/--quiet cannot be combined"),
    row("include-and-quiet", "get {srv}/json -i -s", 2, "apicli: -i/--include and -s/--quiet cannot be combined"),
    row("json-and-data", "post {srv}/json --json {} --data x", 2, "apicli: --json and --data cannot be combined"),
    row("json-and-items", "post {srv}/json --json {} a=1", 2, "apicli: --json cannot be combined with body items"),
    row("json-and-form", "post {srv}/json --json {} --form", 2, "apicli: --json and --form cannot be combined"),
    row(
        "cacert-and-insecure",
        "get {srv}/json --cacert {tmp}/plain.txt -k",
        2,
        "apicli: --cacert and --insecure cannot be combined",
    ),
    row(
        "cacert-missing",
        "get {srv}/json --cacert {tmp}/missing.pem",
        2,
        "apicli: --cacert: '{tmp}/missing.pem' is not a readable file",
    ),
    row(
        "cacert-directory",
        "get {srv}/json --cacert {tmp}/dir",
        2,
        "apicli: --cacert: '{tmp}/dir' is not a readable file",
    ),
    row("negative-retries", "get {srv}/json --retries -1", 2, "apicli: Invalid value for '--retries'"),
    row("retries-not-a-number", "get {srv}/json --retries many", 2, "apicli: Invalid value for '--retries'"),
    row("negative-timeout", "get {srv}/json --timeout -1", 2, "apicli: Invalid value for '--timeout'"),
    row("zero-max-time", "get {srv}/json --max-time 0", 2, "apicli: Invalid value for '-m' / '--max-time'"),
    row(
        "negative-connect-timeout",
        "get {srv}/json --connect-timeout -2",
        2,
        "apicli: Invalid value for '--connect-timeout'",
    ),
    row(
        "negative-max-redirects", "get {srv}/json --max-redirects -1", 2, "apicli: Invalid value for '--max-redirects'"
    ),
    row("negative-backoff", "get {srv}/json --backoff -0.5", 2, "apicli: Invalid value for '--backoff'"),
    row("nan-timeout", "get {srv}/json --timeout nan", 2, "apicli: Invalid value for '--timeout': nan"),
    row("infinite-max-time", "get {srv}/json --max-time inf", 2, "apicli: Invalid value for '--max-time': inf"),
    row("nan-backoff", "get {srv}/json --backoff nan", 2, "apicli: Invalid value for '--backoff': nan"),
    row("header-flag-without-colon", "get {srv}/json -H Nope", 2, "apicli: invalid -H/--header 'Nope'"),
    row("query-flag-without-equals", "get {srv}/json -q nope", 2, "apicli: invalid -q/--query 'nope'"),
    # -- credentials and profiles ------------------------------------------------------------------
    row(
        "token-env-unset",
        "get {srv}/json --token-env APICLI_TEST_UNSET",
        2,
        "apicli: --token-env: environment variable APICLI_TEST_UNSET is not set or empty",
    ),
    row(
        "token-env-empty",
        "get {srv}/json --token-env EMPTY_TOKEN",
        2,
        "apicli: --token-env: environment variable EMPTY_TOKEN",
        env={"EMPTY_TOKEN": ""},
    ),
    row(
        "token-file-missing",
        "get {srv}/json --token-file {tmp}/missing",
        2,
        "apicli: --token-file: cannot read '{tmp}/missing'",
    ),
    row(
        "token-file-empty",
        "get {srv}/json --token-file {tmp}/empty.txt",
        2,
        "apicli: --token-file: '{tmp}/empty.txt' is empty",
    ),
    row(
        "token-file-directory",
        "get {srv}/json --token-file {tmp}/dir",
        2,
        "apicli: --token-file: cannot read '{tmp}/dir'",
    ),
    row(
        "token-file-unknown-user",
        "get {srv}/json --token-file ~nosuchuser0/t",
        2,
        "apicli: --token-file: cannot read '~nosuchuser0/t'",
    ),
    row(
        "cacert-unknown-user",
        "get {srv}/json --cacert ~nosuchuser0/ca.pem",
        2,
        "apicli: --cacert: '~nosuchuser0/ca.pem' is not a readable file",
    ),
    row(
        "config-unknown-user",
        "get {srv}/json",
        2,
        "apicli: ",
        env={"APICLI_CONFIG": "~nosuchuser0/c.toml"},
    ),
    row(
        "profile-token-file-unknown-user",
        "get http://127.0.0.1:9/x -P tilde",
        2,
        "apicli: profile 'tilde' (profiles.tilde.auth.token_file): cannot read ",
        env={"APICLI_CONFIG": "{tmp}/config.toml"},
    ),
    row(
        "profile-verify-unknown-user",
        "get http://127.0.0.1:9/x -P tilde-ca",
        2,
        "apicli: {tmp}/config.toml:8: profiles.tilde-ca.verify: no file at ",
        env={"APICLI_CONFIG": "{tmp}/config.toml"},
    ),
    row(
        "token-env-and-file",
        "get {srv}/json --token-env T --token-file {tmp}/plain.txt",
        2,
        "apicli: --token-env and --token-file cannot be combined",
        env={"T": "x"},
    ),
    row(
        "bearer-and-basic",
        "get {srv}/json --token-env T -u ann:pw",
        2,
        "apicli: a bearer token and -u/--user cannot be combined",
        env={"T": "x"},
    ),
    row("user-without-password", "get {srv}/json -u ann", 2, "apicli: no password for user 'ann'"),
    row("user-without-name", "get {srv}/json -u :pw", 2, "apicli: -u/--user needs a user name"),
    row(
        "api-key-header-without-key",
        "get {srv}/json --api-key-header X-Key",
        2,
        "apicli: --api-key-header/--api-key-query need a key",
    ),
    row(
        "api-key-header-and-query",
        "get {srv}/json --api-key-env K --api-key-header X-K --api-key-query k",
        2,
        "apicli: --api-key-header and --api-key-query cannot be combined",
        env={"K": "key"},
    ),
    row(
        "profile-nan-timeout",
        "get {srv}/json -P nan",
        2,
        "apicli: {tmp}/nan.toml:2: profiles.nan.timeout: expected a positive, finite number of seconds, not nan",
        env={"APICLI_CONFIG": "{tmp}/nan.toml"},
    ),
    row(
        "profile-infinite-timeout",
        "get {srv}/json",
        2,
        "apicli: {tmp}/forever.toml:2: profiles.forever.timeout: expected a positive, finite number of seconds",
        env={"APICLI_CONFIG": "{tmp}/forever.toml"},
    ),
    row(
        "unknown-profile",
        "get {srv}/json -P nope",
        2,
        "apicli: unknown profile 'nope'",
        env={"APICLI_CONFIG": "{tmp}/config.toml"},
    ),
    # -- where the output goes ---------------------------------------------------------------------
    row(
        "output-in-missing-directory",
        "get {srv}/json -o {tmp}/missing/out.json",
        1,
        "apicli: cannot write to '{tmp}/missing/out.json'",
        sends=True,
    ),
    row(
        "output-is-a-directory",
        "get {srv}/json -o {tmp}/dir",
        1,
        "apicli: cannot write to '{tmp}/dir': it is a directory",
        sends=True,
    ),
    row(
        "output-under-a-file",
        "get {srv}/json -o {tmp}/plain.txt/out",
        1,
        "apicli: cannot write to '{tmp}/plain.txt/out'",
        sends=True,
    ),
    row(
        "output-in-proc",
        "get {srv}/json -o /proc/apicli-out.json",
        1,
        "apicli: cannot write to '/proc/apicli-out.json'",
        sends=True,
    ),
    row(
        "output-full-disk",
        "get {srv}/json -o /dev/full",
        1,
        "apicli: cannot write to '/dev/full': No space left on device",
        sends=True,
    ),
    row(
        "stdout-full-disk",
        "get {srv}/json",
        1,
        "apicli: cannot write to standard output: No space left on device",
        sends=True,
        stdout_file="/dev/full",
    ),
    row(
        "stdout-full-disk-paginate",
        "paginate {srv}/list",
        1,
        "apicli: page 1: cannot write to standard output: No space left on device",
        sends=True,
        stdout_file="/dev/full",
    ),
    # -- responses that are not what the command needs ---------------------------------------------
    row("empty-json-body", "get {srv}/empty-json", 0, "", sends=True),
    row("empty-json-body-pretty", "get {srv}/empty-json --pretty", 0, "", sends=True),
    row("invalid-json-body", "get {srv}/bad-json", 0, "", stdout_empty=False, sends=True),
    row("paginate-html", "paginate {srv}/text", 2, "apicli: page 1: the response is not JSON (text/html)", sends=True),
    row(
        "paginate-invalid-json",
        "paginate {srv}/bad-json",
        2,
        "apicli: page 1: the response is not JSON (application/json)",
        sends=True,
    ),
    row(
        "paginate-empty-json", "paginate {srv}/empty-json", 2, "apicli: page 1: the response body is empty", sends=True
    ),
    row(
        "paginate-object-without-items",
        "paginate {srv}/json --items data.users",
        2,
        "apicli: page 1: no 'data.users' in the response",
        sends=True,
    ),
    row("jq-on-html", "get {srv}/text --jq .id", 2, "apicli: --jq: the response is not JSON", sends=True),
    row("jq-on-invalid-json", "get {srv}/bad-json --jq .id", 2, "apicli: --jq: the response is not JSON", sends=True),
    row(
        "jq-empty-json-body",
        "get {srv}/empty-json --jq .id",
        2,
        "apicli: --jq: the response is not JSON (the body is empty; Content-Type: application/json)",
        sends=True,
    ),
    row("jq-no-content", "get {srv}/no-content --jq .id", 0, "", sends=True),
    row("schema-no-content", "get {srv}/no-content --schema {tmp}/schema.json", 0, "", sends=True),
    row("jq-head", "head {srv}/json --jq .id", 0, "", sends=True, stdout_empty=False),
    row("jq-bad-program", "get {srv}/json --jq .a[", 2, "apicli: --jq: invalid jq program"),
    row(
        "schema-missing",
        "get {srv}/json --schema {tmp}/missing.json",
        2,
        "apicli: --schema: cannot read '{tmp}/missing.json'",
    ),
    row(
        "schema-unknown-user",
        "get {srv}/json --schema ~nosuchuser0/s.json",
        2,
        "apicli: --schema: cannot read '~nosuchuser0/s.json'",
    ),
    row(
        "schema-not-json",
        "get {srv}/json --schema {tmp}/bad.json",
        2,
        "apicli: --schema: '{tmp}/bad.json' is not valid JSON",
    ),
    row(
        "schema-mismatch",
        "get {srv}/json --schema {tmp}/schema.json",
        9,
        "apicli: schema: $: 'name' is a required property",
        stdout_empty=False,
        sends=True,
    ),
    row(
        "schema-empty-json-body",
        "get {srv}/empty-json --schema {tmp}/schema.json",
        9,
        "apicli: schema: $: the response body is empty, not JSON",
        sends=True,
    ),
    row(
        "schema-on-html",
        "get {srv}/text --schema {tmp}/schema.json",
        9,
        "apicli: schema: $: the response body is not JSON",
        stdout_empty=False,
        sends=True,
    ),
    # -- downloads ---------------------------------------------------------------------------------
    row(
        "download-into-missing-parent",
        "download {srv}/file.bin -o {tmp}/missing/f.bin",
        1,
        "apicli: cannot write to '{tmp}/missing/f.bin.part'",
        sends=True,
    ),
    row(
        "download-dir-under-a-file",
        "download {srv}/file.bin -d {tmp}/plain.txt/dl",
        1,
        "apicli: cannot create directory '{tmp}/plain.txt/dl'",
    ),
    row(
        "download-dir-is-a-file",
        "download {srv}/file.bin -d {tmp}/plain.txt",
        1,
        "apicli: cannot create directory '{tmp}/plain.txt'",
    ),
    row(
        "download-full-disk",
        "download {srv}/file.bin -o /dev/full",
        1,
        "apicli: cannot write to '/dev/full': No space left on device",
        sends=True,
    ),
    row(
        "download-stdout-full-disk",
        "download {srv}/file.bin -o -",
        1,
        "apicli: cannot write to standard output: No space left on device",
        sends=True,
        stdout_file="/dev/full",
    ),
    row(
        "download-header-item",
        "download {srv}/file.bin Cookie:session=s3cr3t",
        2,
        "apicli: download takes URLs; 'Cookie:…' looks like a request item, not a URL",
    ),
    row(
        "download-token-header-item",
        ("download", "Authorization:Bearer s3cr3t"),
        2,
        "apicli: download takes URLs; 'Authorization:…' looks like a request item, not a URL",
    ),
    row(
        "download-query-item",
        "download {srv}/file.bin token==s3cr3t",
        2,
        "apicli: download takes URLs; 'token==…' looks like a request item, not a URL",
    ),
    row(
        "download-field-item",
        "download password=s3cr3t -o {tmp}/f.bin",
        2,
        "apicli: download takes URLs; 'password=…' looks like a request item, not a URL",
    ),
    *[
        row(
            f"download-malformed-disposition-{i}",
            f"download {{srv}}/dispo/{i}/report.csv -d {{tmp}}/dl",
            0,
            "apicli: saved {tmp}/dl/report.csv (",
            sends=True,
        )
        for i in range(len(MALFORMED_DISPOSITIONS))
    ],
    # -- Link headers that are broken, one row each -------------------------------------------
    *[
        row(
            f"paginate-link-{i}",
            f"paginate {{srv}}/link/{i} --max-pages 3",
            code,
            start,
            sends=True,
            stdout_empty=not written,
        )
        for i, (code, start, written) in enumerate(LINK_OUTCOMES)
    ],
]

LOCAL_INPUT_ROWS: list[Row] = [
    # -- local input is bounded: secrets are short regular files, bodies read into memory are capped --
    row(
        "token-file-device",
        "get {srv}/json --token-file /dev/zero",
        2,
        "apicli: --token-file: cannot read '/dev/zero': it is a device, not a regular file",
        hint="--token-file takes a regular file",
    ),
    row(
        "token-file-fifo",
        "get {srv}/json --token-file {tmp}/fifo",
        2,
        "apicli: --token-file: cannot read '{tmp}/fifo': it is a FIFO, not a regular file",
        hint="--token-file takes a regular file",
    ),
    row(
        "token-file-too-large",
        "get {srv}/json --token-file {tmp}/big.txt",
        2,
        "apicli: --token-file: '{tmp}/big.txt' is larger than 8 KiB",
        hint="--token-file takes a file that holds only the secret",
    ),
    row(
        "token-file-directory-says-why",
        "get {srv}/json --token-file {tmp}/dir",
        2,
        "apicli: --token-file: cannot read '{tmp}/dir': it is a directory",
    ),
    row(
        "api-key-file-device",
        "get {srv}/json --api-key-file /dev/zero",
        2,
        "apicli: --api-key-file: cannot read '/dev/zero': it is a device",
        hint="--api-key-file takes a regular file",
    ),
    row(
        "api-key-file-fifo",
        "get {srv}/json --api-key-file {tmp}/fifo",
        2,
        "apicli: --api-key-file: cannot read '{tmp}/fifo': it is a FIFO",
    ),
    row(
        "token-env-too-large",
        "get {srv}/json --token-env T",
        2,
        "apicli: --token-env: environment variable T is longer than 8 KiB",
        env={"T": "t" * 9000},
        hint="--token-env takes a variable that holds only the secret",
    ),
    row(
        "api-key-env-too-large",
        "get {srv}/json --api-key-env K",
        2,
        "apicli: --api-key-env: environment variable K is longer than 8 KiB",
        env={"K": "k" * 9000},
    ),
    row(
        "password-env-too-large",
        "get {srv}/json -u ann --password-env P",
        2,
        "apicli: --password-env: environment variable P is longer than 8 KiB",
        env={"P": "p" * 9000},
    ),
    row(
        "profile-token-file-device",
        "get http://127.0.0.1:9/x -P zero",
        2,
        "apicli: profile 'zero' (profiles.zero.auth.token_file): cannot read '/dev/zero': it is a device",
        env={"APICLI_CONFIG": "{tmp}/config.toml"},
    ),
    row(
        "config-device",
        "get {srv}/json",
        2,
        "apicli: /dev/zero: cannot read the config file: it is a device, not a regular file",
        env={"APICLI_CONFIG": "/dev/zero"},
    ),
    row(
        "config-fifo",
        "get {srv}/json",
        2,
        "apicli: {tmp}/fifo: cannot read the config file: it is a FIFO, not a regular file",
        env={"APICLI_CONFIG": "{tmp}/fifo"},
    ),
    row(
        "config-directory",
        "get {srv}/json",
        2,
        "apicli: {tmp}/dir: cannot read the config file: it is a directory",
        env={"APICLI_CONFIG": "{tmp}/dir"},
    ),
    row(
        "field-file-device",
        "post {srv}/json a=@/dev/zero",
        2,
        "apicli: '/dev/zero' for 'a=@/dev/zero' is larger than 48 MiB",
        hint="upload it as a file instead: a@/dev/zero",
    ),
    row(
        "raw-json-file-device",
        "post {srv}/json a:=@/dev/zero",
        2,
        "apicli: '/dev/zero' for 'a:=@/dev/zero' is larger than 48 MiB",
        hint="send a large document with --data @FILE",
    ),
    row(
        "json-file-device",
        "post {srv}/json --json @/dev/zero",
        2,
        "apicli: '/dev/zero' for '--json @/dev/zero' is larger than 48 MiB",
        hint="send a large document with --data @FILE",
    ),
    row(
        "data-file-directory",
        "post {srv}/json --data @{tmp}/dir",
        2,
        "apicli: cannot read '{tmp}/dir' for '--data @{tmp}/dir': it is a directory",
    ),
    row(
        "data-file-under-a-file",
        "post {srv}/json --data @{tmp}/plain.txt/x",
        2,
        "apicli: cannot read '{tmp}/plain.txt/x' for '--data @{tmp}/plain.txt/x': Not a directory",
    ),
    row("data-file-no-name", "post {srv}/json --data @", 2, "apicli: '--data @' names no file"),
    # -- header names and values, checked before sending; a value is never quoted --------------------
    row(
        "header-item-control-character",
        ("get", "{srv}/json", "X-A:one\x01two"),
        2,
        "apicli: invalid header 'X-A': its value contains a control character",
        hint="remove line breaks and control characters from the X-A value given in the Name:Value item",
    ),
    row(
        "header-item-delete-character",
        ("get", "{srv}/json", "X-A:one\x7ftwo"),
        2,
        "apicli: invalid header 'X-A': its value contains a control character",
    ),
    row(
        "header-item-escape-character",
        ("get", "{srv}/json", "X-A:\x1b[31mred"),
        2,
        "apicli: invalid header 'X-A': its value contains a control character",
    ),
    row(
        "header-flag-control-character",
        ("get", "{srv}/json", "-H", "X-A: one\x00two"),
        2,
        "apicli: invalid header 'X-A': its value contains a control character",
        hint="remove line breaks and control characters from the X-A value given in -H/--header",
    ),
    row(
        "header-flag-line-break",
        ("get", "{srv}/json", "-H", "X-A: one\rtwo"),
        2,
        "apicli: invalid header 'X-A': its value contains a control character",
    ),
    # Text beyond ASCII is sent as its UTF-8 bytes (tests/hostile/test_header_text.py checks the wire).
    row("header-item-beyond-latin-1", "get {srv}/json X-A:日本", 0, "", sends=True, stdout_empty=False),
    row("header-flag-beyond-latin-1", "get {srv}/json -H 'X-A: 日本'", 0, "", sends=True, stdout_empty=False),
    row("header-item-latin-1", "get {srv}/json X-A:café", 0, "", sends=True, stdout_empty=False),
    row("user-beyond-latin-1", "get {srv}/json -u 日本:pw", 0, "", sends=True, stdout_empty=False),
    row(
        "user-control-character",
        ("get", "{srv}/json", "-u", "ann:p\x01w"),
        2,
        "apicli: the -u/--user name or password contains a control character",
        hint="check -u/--user, --password-env",
    ),
    row(
        "token-beyond-latin-1",
        "get {srv}/json --token-env T",
        0,
        "",
        env={"T": "tok\u65e5"},
        sends=True,
        stdout_empty=False,
    ),
    row("header-item-tab", ("get", "{srv}/json", "X-A:one\ttwo"), 0, "", sends=True, stdout_empty=False),
    row(
        "header-flag-bad-name",
        "get {srv}/json -H 'Bad Name: v'",
        2,
        "apicli: invalid header name 'Bad Name' in -H/--header",
        hint="a header name is letters, digits and -",
    ),
    row("header-flag-empty-name", "get {srv}/json -H ': v'", 2, "apicli: invalid -H/--header ': v'"),
    row(
        "header-flag-name-with-slash",
        "get {srv}/json -H 'X/Y: v'",
        2,
        "apicli: invalid header name 'X/Y' in -H/--header",
    ),
    row(
        "profile-header-control-character",
        "get http://127.0.0.1:9/x -P ctl",
        2,
        "apicli: {tmp}/ctl.toml:2: profiles.ctl.headers.X-A: the value contains a control character",
        env={"APICLI_CONFIG": "{tmp}/ctl.toml"},
    ),
    row(
        "api-key-header-bad-name",
        "get {srv}/json --api-key-env K --api-key-header 'Bad Name'",
        2,
        "apicli: invalid --api-key-header 'Bad Name': not a header name",
        env={"K": "key"},
        hint="--api-key-header takes a name such as X-API-Key",
    ),
    row(
        "api-key-header-empty",
        ("get", "{srv}/json", "--api-key-env", "K", "--api-key-header", ""),
        2,
        "apicli: invalid --api-key-header '': not a header name",
        env={"K": "key"},
    ),
    row(
        "api-key-header-colon",
        "get {srv}/json --api-key-env K --api-key-header X-Key:",
        2,
        "apicli: invalid --api-key-header 'X-Key:': not a header name",
        env={"K": "key"},
    ),
    row(
        "api-key-query-empty",
        ("get", "{srv}/json", "--api-key-env", "K", "--api-key-query", ""),
        2,
        "apicli: invalid --api-key-query '': not a query parameter name",
        env={"K": "key"},
        hint="--api-key-query takes a name such as api_key",
    ),
    row(
        "api-key-query-blank",
        ("get", "{srv}/json", "--api-key-env", "K", "--api-key-query", "  "),
        2,
        "apicli: invalid --api-key-query '  ': not a query parameter name",
        env={"K": "key"},
    ),
    row(
        "token-with-line-break",
        "get {srv}/json --token-env T",
        2,
        "apicli: the bearer token contains a line break or control character",
        env={"T": "abc\ndef"},
        hint="--token-env, --token-file",
    ),
    row(
        "token-file-with-control-character",
        "get {srv}/json --token-file {tmp}/control-token.txt",
        2,
        "apicli: the bearer token contains a line break or control character",
    ),
    row(
        "api-key-with-control-character",
        "get {srv}/json --api-key-env K",
        2,
        "apicli: the API key contains a line break or control character",
        env={"K": "abc\x01def"},
        hint="--api-key-env, --api-key-file",
    ),
    # -- empty names, in every kind of item -----------------------------------------------------------
    row(
        "query-item-empty-name",
        "get {srv}/json ==v",
        2,
        "apicli: request item '==v' has an empty name",
        hint="a query item is name==value",
    ),
    row("query-item-empty-name-and-value", "get {srv}/json ==", 2, "apicli: request item '==' has an empty name"),
    row(
        "raw-json-item-empty-name",
        "post {srv}/json :=1",
        2,
        "apicli: request item ':=1' has an empty name",
        hint="a body item is field=value or field:=json",
    ),
    row(
        "field-file-item-empty-name",
        "post {srv}/json =@{tmp}/plain.txt",
        2,
        "apicli: request item '=@{tmp}/plain.txt' has an empty name",
    ),
    row(
        "raw-json-file-item-empty-name",
        "post {srv}/json :=@{tmp}/plain.txt",
        2,
        "apicli: request item ':=@{tmp}/plain.txt' has an empty name",
    ),
    row(
        "upload-item-empty-name",
        "post {srv}/json @{tmp}/plain.txt",
        2,
        "apicli: request item '@{tmp}/plain.txt' has an empty name",
        hint="an upload item is field@path/to/file",
    ),
    row("header-item-empty-name", "get {srv}/json :v", 2, "apicli: invalid header name in ':v'"),
    row("query-flag-empty-name", "get {srv}/json -q =v", 2, "apicli: invalid -q/--query '=v'"),
    # -- flags that need another, or contradict one ---------------------------------------------------
    row(
        "key-without-cert",
        "get {srv}/json --key {tmp}/client-key.pem",
        2,
        "apicli: --key needs --cert",
        hint="add --cert FILE",
    ),
    row(
        "no-follow-and-max-redirects",
        "get {srv}/json --no-follow --max-redirects 3",
        2,
        "apicli: --no-follow and --max-redirects cannot be combined",
        hint="--max-redirects limits redirects that are followed",
    ),
    row(
        "no-follow-and-default-max-redirects",
        "get {srv}/json --max-redirects 30 --no-follow",
        2,
        "apicli: --no-follow and --max-redirects cannot be combined",
    ),
    row(
        "raw-output-without-jq",
        "get {srv}/json -r",
        2,
        "apicli: -r/--raw-output needs --jq",
        hint="add --jq EXPR, or drop -r/--raw-output",
    ),
    row("raw-output-long-without-jq", "get {srv}/json --raw-output", 2, "apicli: -r/--raw-output needs --jq"),
    row(
        "paginate-raw-output-without-jq",
        "paginate {srv}/list -r",
        2,
        "apicli: -r/--raw-output needs --jq",
    ),
    row(
        "color-and-no-color",
        "get {srv}/json --color --no-color",
        2,
        "apicli: --color and --no-color cannot be combined",
        hint="pick one of --color and --no-color",
    ),
    row(
        "no-color-and-color",
        "get {srv}/json --no-color --color",
        2,
        "apicli: --color and --no-color cannot be combined",
    ),
    row("color-twice", "get {srv}/json --color --color", 0, "", sends=True, stdout_empty=False),
    # -- URLs with another scheme ---------------------------------------------------------------------
    row(
        "javascript-url",
        "get 'javascript:alert(1)'",
        2,
        "apicli: unsupported URL scheme 'javascript' in 'javascript:alert(1)'",
        hint="apicli speaks http:// and https://",
    ),
    row("file-url-one-slash", "get file:/etc/passwd", 2, "apicli: unsupported URL scheme 'file'"),
    row("file-url", "get file:///etc/passwd", 2, "apicli: unsupported URL scheme 'file'"),
    row("data-url", "get data:text/plain,hi", 2, "apicli: unsupported URL scheme 'data'"),
    row("about-url", "get about:blank", 2, "apicli: unsupported URL scheme 'about'"),
    row("websocket-url", "get ws://127.0.0.1:9/x", 2, "apicli: unsupported URL scheme 'ws'"),
    row(
        "download-javascript-url",
        "download 'javascript:alert(1)' -d {tmp}",
        2,
        "apicli: download takes URLs; 'javascript:…' looks like a request item, not a URL",
    ),
    row(
        "paginate-javascript-url",
        "paginate 'javascript:alert(1)'",
        2,
        "apicli: unsupported URL scheme 'javascript'",
    ),
    # -- certificate files that do not parse ----------------------------------------------------------
    row(
        "cacert-not-pem",
        "get {srv}/json --cacert {tmp}/plain.txt",
        2,
        "apicli: --cacert: '{tmp}/plain.txt' is not a PEM file of CA certificates",
        hint="--cacert takes a PEM bundle",
    ),
    row(
        "cacert-empty",
        "get {srv}/json --cacert {tmp}/empty.txt",
        2,
        "apicli: --cacert: '{tmp}/empty.txt' is not a PEM file of CA certificates",
    ),
    row(
        "cacert-is-a-key",
        "get {srv}/json --cacert {tmp}/client-key.pem",
        2,
        "apicli: --cacert: '{tmp}/client-key.pem' is not a PEM file of CA certificates",
    ),
    row(
        "profile-verify-not-pem",
        "get http://127.0.0.1:9/x -P badca",
        2,
        "apicli: profile 'badca' (verify): '{tmp}/plain.txt' is not a PEM file of CA certificates",
        env={"APICLI_CONFIG": "{tmp}/config.toml"},
    ),
    row(
        "cert-not-pem",
        "get {srv}/json --cert {tmp}/plain.txt",
        2,
        "apicli: --cert: '{tmp}/plain.txt' holds no PEM certificate",
        hint="--cert takes the client certificate in PEM",
    ),
    row(
        "cert-not-pem-with-key",
        "get {srv}/json --cert {tmp}/plain.txt --key {tmp}/client-key.pem",
        2,
        "apicli: --cert: '{tmp}/plain.txt' holds no PEM certificate",
    ),
    row(
        "cert-without-its-key",
        "get {srv}/json --cert {tmp}/client-cert.pem",
        2,
        "apicli: --cert: '{tmp}/client-cert.pem' holds a certificate but no private key",
        hint="add --key FILE",
    ),
    row(
        "key-not-pem",
        "get {srv}/json --cert {tmp}/client-cert.pem --key {tmp}/plain.txt",
        2,
        "apicli: --key: '{tmp}/plain.txt' holds no PEM private key",
        hint="--key takes the certificate's private key in PEM",
    ),
    row(
        "key-of-another-certificate",
        "get {srv}/json --cert {tmp}/client-cert.pem --key {tmp}/other-key.pem",
        2,
        "apicli: --key: '{tmp}/other-key.pem' is not the private key of the certificate in --cert",
        hint="pass --key the key that belongs to --cert",
    ),
    row(
        "key-missing",
        "get {srv}/json --cert {tmp}/client-cert.pem --key {tmp}/missing.pem",
        2,
        "apicli: --key: '{tmp}/missing.pem' is not a readable file",
    ),
    row(
        "cert-and-key-that-match",
        "get {srv}/json --cert {tmp}/client-cert.pem --key {tmp}/client-key.pem --curl",
        0,
        "",
        stdout_empty=False,
    ),
    row("cert-with-its-key", "get {srv}/json --cert {tmp}/client.pem --curl", 0, "", stdout_empty=False),
]
ROWS += LOCAL_INPUT_ROWS

# Cookies, the further auth kinds and transports.
SESSION_ROWS = [
    row("cookie-without-value", "get {srv}/json --cookie sid", 2, "apicli: invalid --cookie 'sid'", hint="expected"),
    row("cookie-bad-name", "get {srv}/json --cookie 'a b=1'", 2, "apicli: invalid --cookie name 'a b'"),
    row(
        "cookie-two-in-one",
        ("get", "{srv}/json", "--cookie", "a=1; b=2"),
        2,
        "apicli: invalid --cookie 'a': the value holds a ;",
        hint="give one cookie per --cookie",
    ),
    row("cookie-jar-directory", "get {srv}/json --cookie-jar {tmp}/dir", 2, "apicli: --cookie-jar: '{tmp}/dir' is a"),
    row(
        "cookie-jar-unsaveable",
        "get {srv}/json --cookie-jar {tmp}/missing/jar.txt",
        1,
        "apicli: cannot save the cookie jar '{tmp}/missing/jar.txt'",
        stdout_empty=False,
        sends=True,
    ),
    row(
        "auth-type-unknown",
        "get {srv}/json -A ntlm -u a:b",
        2,
        "apicli: invalid -A/--auth-type 'ntlm'",
        hint="expected basic, digest or bearer",
    ),
    row("auth-type-digest-no-user", "get {srv}/json -A digest", 2, "apicli: -A digest needs -u USER"),
    row("auth-type-bearer-no-token", "get {srv}/json -A bearer -u a:b", 2, "apicli: -A bearer needs --token-env"),
    row(
        "proxy-bad-scheme",
        "get {srv}/json --proxy ftp://p.invalid:21",
        2,
        "apicli: invalid --proxy 'ftp://p.invalid:21'",
    ),
    row(
        "proxy-bad-port", "get {srv}/json --proxy http://p.invalid:x", 2, "apicli: invalid --proxy 'http://p.invalid:x'"
    ),
    row(
        "proxy-password-not-echoed",
        "get {srv}/json --proxy ftp://u:hunter22@p.invalid",
        2,
        "apicli: invalid --proxy 'ftp://u:REDACTED@p.invalid'",
    ),
    row(
        "unix-socket-not-a-socket",
        "get http://localhost/ --unix-socket {tmp}/plain.txt",
        2,
        "apicli: --unix-socket: '{tmp}/plain.txt' is not a socket",
    ),
    row(
        "unix-socket-and-proxy",
        "get http://localhost/ --unix-socket {tmp}/plain.txt --proxy http://p.invalid:1",
        2,
        "apicli: --unix-socket and --proxy cannot be combined",
    ),
    row(
        "oauth2-no-secret",
        "get {srv}/json --oauth2-token-url {srv}/token --oauth2-client-id app",
        2,
        "apicli: OAuth2 needs --oauth2-token-url, --oauth2-client-id and one of",
        hint="the secret is never taken",
    ),
    row(
        "oauth2-secret-unset",
        "get {srv}/json --oauth2-token-url {srv}/t --oauth2-client-id a --oauth2-client-secret-env NO_SUCH_VAR_0",
        2,
        "apicli: --oauth2-client-secret-env: environment variable NO_SUCH_VAR_0 is not set or empty",
    ),
    row(
        "oauth2-and-user",
        "get {srv}/json -u a:b --oauth2-token-url {srv}/t",
        2,
        "apicli: --oauth2-* flags cannot be combined with -u",
    ),
    row(
        "oauth2-bad-url",
        "get {srv}/json --oauth2-token-url ftp://x/t --oauth2-client-id a --oauth2-client-secret-file {tmp}/plain.txt",
        2,
        "apicli: --oauth2-token-url: unsupported URL scheme",
    ),
    row("auth-command-empty", ("get", "{srv}/json", "--auth-command", " "), 2, "apicli: --auth-command is empty"),
    row(
        "auth-command-quote",
        ("get", "{srv}/json", "--auth-command", "cmd 'open"),
        2,
        "apicli: --auth-command: No closing quotation",
    ),
    row(
        "auth-command-and-oauth2",
        "get {srv}/json --auth-command x --oauth2-client-id a",
        2,
        "apicli: --auth-command and the --oauth2-* flags cannot be combined",
    ),
    row(
        "config-oauth2-no-client",
        "get /x -P o2",
        2,
        "apicli: {tmp}/auth.toml:3: profiles.o2.oauth2: needs client_id",
        env={"APICLI_CONFIG": "{tmp}/auth.toml"},
    ),
    row(
        "config-auth-command-string",
        "get /x -P cmd",
        2,
        "apicli: {tmp}/cmd.toml:2: profiles.cmd.auth_command: expected an array of strings",
        env={"APICLI_CONFIG": "{tmp}/cmd.toml"},
    ),
    row(
        "config-cookie-jar-number",
        "get {srv}/json -P jarnum",
        2,
        "apicli: {tmp}/jar.toml:2: profiles.jarnum.cookie_jar: expected a file path, not an integer",
        env={"APICLI_CONFIG": "{tmp}/jar.toml"},
    ),
]
ROWS += SESSION_ROWS


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    (tmp_path / "dir").mkdir()
    (tmp_path / "plain.txt").write_text("hello\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.json").write_text("{bad")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    (tmp_path / "schema.json").write_text('{"type": "object", "required": ["name"]}')
    (tmp_path / "big.txt").write_text("t" * 9000)
    (tmp_path / "control-token.txt").write_text("abc\x01def\n")
    os.mkfifo(tmp_path / "fifo")
    _write_certificates(tmp_path)
    plain = tmp_path / "plain.txt"
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.work]\nbase_url = "http://127.0.0.1:9"\n'
        '[profiles.tilde]\nbase_url = "http://127.0.0.1:9"\n'
        'auth = { type = "bearer", token_file = "~nosuchuser0/t" }\n'
        '[profiles.tilde-ca]\nbase_url = "http://127.0.0.1:9"\nverify = "~nosuchuser0/ca.pem"\n'
        '[profiles.zero]\nbase_url = "http://127.0.0.1:9"\nauth = { type = "bearer", token_file = "/dev/zero" }\n'
        f'[profiles.badca]\nbase_url = "http://127.0.0.1:9"\nverify = "{plain}"\n'
    )
    (tmp_path / "nan.toml").write_text("[profiles.nan]\ntimeout = nan\n")
    (tmp_path / "ctl.toml").write_text('[profiles.ctl]\nheaders = { X-A = "one\\u0001two" }\n')
    (tmp_path / "forever.toml").write_text("[profiles.forever]\ntimeout = inf\n")
    (tmp_path / "jar.toml").write_text("[profiles.jarnum]\ncookie_jar = 5\n")
    (tmp_path / "auth.toml").write_text(
        '[profiles.o2]\nbase_url = "http://127.0.0.1:9"\n[profiles.o2.oauth2]\ntoken_url = "http://127.0.0.1:9/t"\n'
    )
    (tmp_path / "cmd.toml").write_text(
        '[profiles.cmd]\nauth_command = "get-token --now"\nbase_url = "http://127.0.0.1:9"\n'
    )
    for name in ("config.toml", "nan.toml", "forever.toml", "ctl.toml", "jar.toml", "auth.toml", "cmd.toml"):
        (tmp_path / name).chmod(0o600)
    return tmp_path


def _write_certificates(directory: Path) -> None:
    """A client certificate and its key (apart and together), and the key of another certificate."""
    ca = trustme.CA()
    issued = ca.issue_cert("client.example")
    issued.cert_chain_pems[0].write_to_path(str(directory / "client-cert.pem"))
    issued.private_key_pem.write_to_path(str(directory / "client-key.pem"))
    issued.private_key_and_cert_chain_pem.write_to_path(str(directory / "client.pem"))
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(directory / "other-key.pem"))


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as running:
        running.script("/json", json_reply({"id": 1}))
        running.script("/list", json_reply(list(range(100))))
        running.script("/text", Reply(200, {"Content-Type": "text/html"}, "<html>hi</html>"))
        running.script("/bad-json", invalid_json())
        running.script("/empty-json", empty_json())
        running.script("/no-content", Reply(204))
        running.script("/file.bin", Reply(200, {"Content-Type": "application/octet-stream"}, b"\x00" * 1000))
        running.script("/page/2", json_reply(["from page 2"]))
        running.script("/page/3", json_reply(["from page 3"]))
        for i, link in enumerate(MALFORMED_LINKS):
            running.script(f"/link/{i}", json_reply([f"item {i}"], headers=[("Link", link)]))
        for i, value in enumerate(MALFORMED_DISPOSITIONS):
            running.script(f"/dispo/{i}/report.csv", disposition_reply(value))
        yield running


def expand(text: str, server: FaultServer, scratch: Path, dead: str) -> str:
    return text.replace("{srv}", server.origin).replace("{tmp}", str(scratch)).replace("{dead}", dead)


def run_row(case: Row, server: FaultServer, scratch: Path, invoke: Invoke, dead: str) -> Result:
    args = [expand(arg, server, scratch, dead) for arg in case.args]
    env = {name: expand(value, server, scratch, dead) for name, value in case.env.items()}
    if case.stdout_file is None:
        return invoke(*args, stdin=case.stdin, env=env)
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | env
    with open(case.stdout_file, "wb") as stdout:
        proc = subprocess.run(
            [*apicli_command(), *args], stdout=stdout, stderr=subprocess.PIPE, input=case.stdin, env=environment,
            timeout=30,
        )  # fmt: skip
    return Result(proc.returncode, b"", proc.stderr.decode("utf-8", errors="replace"))


def _params() -> list[object]:
    return [
        pytest.param(
            case, id=case.name, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        )
        for case in ROWS
    ]


@pytest.mark.parametrize("case", _params())
def test_bad_input_gets_a_clear_answer(
    case: Row, server: FaultServer, scratch: Path, invoke: Invoke, unused_port: int
) -> None:
    dead = f"http://127.0.0.1:{unused_port}"
    result = run_row(case, server, scratch, invoke, dead)
    expected_start = expand(case.stderr, server, scratch, dead)

    assert result.code == case.code, result.stderr
    if expected_start:
        assert result.stderr.startswith(expected_start), result.stderr
    else:
        assert result.stderr == ""
    if case.hint is not None:
        lines = result.stderr.splitlines()
        assert len(lines) == 2, result.stderr  # one message line, one hint line
        assert lines[1].startswith("hint: " + expand(case.hint, server, scratch, dead)), result.stderr
    assert "Traceback" not in result.stderr
    if case.stdout_empty:
        assert result.stdout == b"", result.stdout[:200]
    if not case.sends:
        assert server.requests == [], "a request went out although the input was refused"


def test_the_table_is_large_and_names_are_unique() -> None:
    assert len(ROWS) >= 40
    assert len({case.name for case in ROWS}) == len(ROWS)


def test_no_row_ever_shows_a_traceback(
    server: FaultServer, scratch: Path, invoke: Invoke, unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row in one go, with APICLI_DEBUG unset: whatever the outcome, never a traceback."""
    monkeypatch.delenv("APICLI_DEBUG", raising=False)
    monkeypatch.chdir(scratch)
    dead = f"http://127.0.0.1:{unused_port}"
    shown = {case.name: run_row(case, server, scratch, invoke, dead).stderr for case in ROWS}
    assert [name for name, stderr in shown.items() if "Traceback" in stderr] == []
    assert [name for name, stderr in shown.items() if stderr and not stderr.startswith("apicli: ")] == []
