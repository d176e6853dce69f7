"""Fixtures for fault tests: scripted loopback servers (plain, second origin, TLS) and dead ports.

Every server is started for one test and stopped at teardown; a crash inside a behaviour (a bug
in the suite, as opposed to a client hanging up) is re-raised there so it cannot pass unnoticed.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.faults.faultserver import FaultServer, SilentListener
from tests.faults.loopback import serve


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A scripted HTTP server on 127.0.0.1."""
    yield from serve(FaultServer())


@pytest.fixture
def other_fault_server() -> Iterator[FaultServer]:
    """A second server on another port: another origin for cross-origin redirects."""
    yield from serve(FaultServer())


@pytest.fixture(scope="session")
def fault_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def fault_ca_pem(fault_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The throwaway CA's certificate as a PEM file, for a client's ``--cacert``."""
    path = tmp_path_factory.mktemp("fault-ca") / "ca.pem"
    fault_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def fault_tls_context(fault_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    fault_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def tls_fault_server(fault_tls_context: ssl.SSLContext) -> Iterator[FaultServer]:
    """A scripted HTTPS server whose certificate only ``fault_ca_pem`` vouches for."""
    yield from serve(FaultServer(tls=fault_tls_context))


@pytest.fixture
def silent_server() -> Iterator[SilentListener]:
    """Accepts TCP connections and never answers: a client hits its read timeout."""
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture
def backlogged_server() -> Iterator[SilentListener]:
    """Leaves connection attempts unanswered: a client hits its connect timeout (Linux)."""
    if sys.platform != "linux":
        pytest.skip("relies on Linux dropping SYNs when the accept queue is full")
    listener = SilentListener(backlog_full=True)
    yield listener
    listener.close()


@pytest.fixture
def refused_url(unused_port: int) -> str:
    """A URL on a loopback port where nothing listens (``unused_port`` is in tests/conftest.py)."""
    return f"http://127.0.0.1:{unused_port}/"
