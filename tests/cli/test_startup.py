"""What a one-shot run loads and how it treats the garbage collector (start-up is most of its cost)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from apicli.startup import pause_collector, resume_collector

# Runs the real entry point, then reports on the process it ran in.
_PROBE = """
import gc, json, os, sys
from apicli.__main__ import main

def report_instead_of_exiting(code):
    raise SystemExit(code)

os._exit = report_instead_of_exiting
sys.argv = ["apicli", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = (
    "rich", "orjson", "jq", "jsonschema", "tomllib", "charset_normalizer", "chardet",
    "apicli.output.colorize", "apicli.pagination", "apicli.downloads",
    "apicli.cli.helpformat", "apicli.commands.reference",
)
print(json.dumps({
    "code": code,
    "loaded": sorted(name for name in heavy if sys.modules.get(name) is not None),
    "gc_enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}), file=sys.stderr)
"""


def _probe(*args: str) -> tuple[bytes, dict[str, object]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, timeout=30)
    *said, report = done.stderr.decode().splitlines()
    assert said == []  # a successful run is silent: no warning from a skipped import
    return done.stdout, json.loads(report)


def test_piped_get_loads_nothing_only_a_terminal_or_another_command_needs(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/small").respond_with_data('{"id": 1}', content_type="application/json")
    stdout, report = _probe("get", httpserver.url_for("/small"))
    assert stdout == b'{"id": 1}'
    assert report["code"] == 0
    assert report["loaded"] == []


def test_the_collector_is_back_on_once_the_command_runs(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/small").respond_with_data("[1, 2]", content_type="application/json")
    _, report = _probe("get", httpserver.url_for("/small"))
    assert report["gc_enabled"] is True  # long paginate and download runs collect as usual
    assert isinstance(report["frozen"], int) and report["frozen"] > 10_000  # start-up objects left out of scans


@pytest.fixture
def collector_state() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    resume_collector()  # clears a pause a failing test may have left behind
    gc.unfreeze()
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_state")
def test_pause_then_resume_restores_collection() -> None:
    gc.enable()
    pause_collector()
    assert not gc.isenabled()
    resume_collector()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_resume_leaves_a_collector_it_did_not_pause_alone() -> None:
    gc.disable()  # someone else's choice, e.g. an embedding program
    pause_collector()
    resume_collector()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_exit_handlers_run_and_output_is_flushed_before_the_fast_exit(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("gone", status=404)
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('handler ran\\n'))\n"
        "sys.stdout.write('buffered text')\n"  # left in the text layer's buffer
        "from apicli.__main__ import main\n"
        "sys.argv = ['apicli', 'get', sys.argv[1]]\n"
        "main()\n"
        "sys.stderr.write('not reached\\n')\n"
    )
    url = httpserver.url_for("/missing")
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, timeout=30)
    assert done.returncode == 4
    assert done.stdout == b"buffered text"
    assert done.stderr.startswith(b"apicli: HTTP 404 NOT FOUND")
    assert done.stderr.endswith(b"handler ran\n")
