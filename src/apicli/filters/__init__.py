"""Filters over JSON text: jq (libjq in a child process) and JSON Schema."""
