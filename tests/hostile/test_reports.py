"""Hostile table: --report with server text that breaks formats, huge messages, and files that are not reports.

Each row runs the installed apicli against the loopback fault server, memory sampled, and reads
the report back with the format's own parser: whatever the server sent, the file stays valid.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults import FaultServer, Reply
from tests.hostile.harness import assert_clean, run
from tests.unit.test_testreport import json_report, junit_report, tap_stream

JSON = (("Content-Type", "application/json"),)
BREAKERS = "\x00\x1b[31m]]></failure><x>&amp;\r\nnot ok 9 - fake\n# Subtest: \ud800\u2028\ufffe"


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple[str, ...]
    body: bytes
    code: int
    headers: tuple[tuple[str, str], ...] = JSON
    bounded: bool = False


ROWS = [
    Row("format breakers in a compared value", ("--assert", '.s == "x"'),
        json.dumps({"s": BREAKERS}).encode(), 10),
    Row("format breakers in a header", ("--assert", '$headers["x-evil"] == "a"'), b"{}", 10,
        headers=(*JSON, ("X-Evil", "a]]><b>\x1b[2J\tnot ok 1"))),
    Row("a jq error that carries them", ("--assert", ".s | error"), json.dumps({"s": BREAKERS}).encode(), 10),
    Row("a huge value in the failure", ("--assert", ".s == 1"), json.dumps({"s": "y" * 3_000_000}).encode(), 10,
        bounded=True),
    Row("non-ASCII everywhere", ("--assert", '.s == "ü"  # größe'), json.dumps({"s": "日本"}).encode(), 10),
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["junit", "tap", "json"])
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_hostile_text_leaves_a_valid_report(row: Row, fmt: str, fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/body", Reply(200, row.headers, row.body))
    report = tmp_path / f"report.{fmt}"
    for _step in range(2):
        outcome = run(["get", fault_server.url("/body"), "-o", "/dev/null", *row.args, "--report", f"{fmt}:{report}"])
        assert_clean(outcome, row.code, bounded=row.bounded)
    reader = {"junit": lambda path: list(junit_report(path)), "tap": tap_stream, "json": json_report}[fmt]
    assert len(reader(report)) == 2
    assert os.path.getsize(report) < 64 * 1024  # messages are bounded


def test_a_huge_existing_report_is_refused_without_reading_it_whole(fault_server: FaultServer, tmp_path: Path) -> None:
    fault_server.script("/body", Reply(200, JSON, b"{}"))
    report = tmp_path / "big.xml"
    with report.open("wb") as handle:  # sparse: 200 MB that costs no disk
        handle.write(b'<?xml version="1.0"?><testsuites>')
        handle.seek(200 * 1024 * 1024)
        handle.write(b"</testsuites>")
    before = report.stat().st_size
    outcome = run(["get", fault_server.url("/body"), "-o", "/dev/null", "--report", f"junit:{report}"])
    assert_clean(outcome, 2, stderr_has="larger than", bounded=True)
    assert report.stat().st_size == before


@pytest.mark.parametrize(
    ("content", "fmt"),
    [(b"just notes\n", "junit"), (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><testsuites/>", "junit"),
     (b"1..3\nok 1\n", "tap"), (b"\x89PNG\r\n\x1a\n", "tap")],
    ids=["text", "entities", "other TAP", "binary"],
)  # fmt: skip
def test_a_file_that_is_not_apicli_s_report_is_refused_unchanged(
    content: bytes, fmt: str, fault_server: FaultServer, tmp_path: Path
) -> None:
    fault_server.script("/body", Reply(200, JSON, b"{}"))
    target = tmp_path / "existing"
    target.write_bytes(content)
    outcome = run(["get", fault_server.url("/body"), "-o", "/dev/null", "--report", f"{fmt}:{target}"])
    assert_clean(outcome, 2)
    assert target.read_bytes() == content
