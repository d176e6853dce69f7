"""Responses that are streams of records: server-sent events and NDJSON, handled record by record."""
