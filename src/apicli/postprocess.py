"""--jq and --schema on a single response: read the whole body, filter and check it, write it.

Order matters for CI logs: the (filtered) body is written first and the schema
errors are raised after it, so a failing run shows both the data and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import requests

from .output import PRETTY_LIMIT, ByteSink, atomic_output, format_pretty, read_limited, use_color
from .spec import OutputOptions

if TYPE_CHECKING:
    from .client import Client
    from .jqfilter import JqProgram
    from .schema import SchemaValidator


def write_filtered_body(
    client: Client,
    response: requests.Response,
    options: OutputOptions,
    stdout: ByteSink,
    *,
    is_terminal: bool,
    environ: Mapping[str, str],
    jq: JqProgram | None,
    schema: SchemaValidator | None,
) -> None:
    content_type = response.headers.get("Content-Type")
    body = read_limited(client.body_chunks(response), PRETTY_LIMIT)
    pretty = options.pretty if options.pretty is not None else is_terminal
    color = pretty and use_color(options.color, is_terminal or options.pretty is True, environ)
    if options.output is not None:
        color = False
    if jq is not None:
        from .jqfilter import body_text

        output = jq.render(body_text(body, content_type), pretty=pretty, color=color) if body.strip() else b""
    else:
        output = format_pretty(body, content_type, color=color) if pretty else body
    errors = schema.body_errors(body) if schema is not None else []
    if options.output is not None:
        with atomic_output(options.output) as sink:
            sink.write(output)
    else:
        stdout.write(output)
        stdout.flush()
    if errors:
        from .schema import schema_failure

        raise schema_failure(errors)
