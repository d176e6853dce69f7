"""Local input: files and stdin read within limits, request items, secrets, the -w format."""
