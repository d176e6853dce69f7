"""The core of each command, below the Typer layer: the flags turned into an invocation, exchange, --curl."""
