"""The servers and harnesses the other suites run on, tested here apart from apicli.

The servers stay where their suites import them from (tests/faults/, tests/hostile/); their
fixtures are the fault suite's own.
"""

from tests.faults.conftest import (
    backlogged_server,
    fault_ca,
    fault_ca_pem,
    fault_server,
    fault_tls_context,
    other_fault_server,
    refused_url,
    silent_server,
    tls_fault_server,
)

__all__ = [
    "backlogged_server",
    "fault_ca",
    "fault_ca_pem",
    "fault_server",
    "fault_tls_context",
    "other_fault_server",
    "refused_url",
    "silent_server",
    "tls_fault_server",
]
