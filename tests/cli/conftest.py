"""Fixtures shared by the end-to-end CLI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="module")
def shared_threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def threaded_server(shared_threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    """A loopback server that answers requests concurrently (for held-back or slow pages)."""
    shared_threaded_server.clear()
    yield shared_threaded_server
    shared_threaded_server.clear()
