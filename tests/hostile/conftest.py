"""The hostile table reuses the fault suite's scripted loopback servers."""

from tests.faults.conftest import fault_server, other_fault_server

__all__ = ["fault_server", "other_fault_server"]
