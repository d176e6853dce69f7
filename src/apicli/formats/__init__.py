"""The formats apicli reads and writes, with no I/O: JSON text, header text, HTTP syntax, URLs, content codings."""
