"""apicli: a fast command-line HTTP/JSON client for shell one-liners, CI steps and jq pipelines."""

__version__ = "0.1.0"

__all__ = ["__version__"]
