"""--jq and --schema on a single response: read the whole body, filter and check it, write it.

Order matters for CI logs: the (filtered) body is written first and the schema
errors are raised after it, so a failing run shows both the data and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import requests

from .errors import ResponseFormatError
from .output import PRETTY_LIMIT, ByteSink, atomic_output, format_pretty, output_style, read_limited
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
    flag, purpose = ("--jq", "to filter with --jq") if jq is not None else ("--schema", "to check with --schema")
    hint = f"save it with -o FILE (without {flag}) and work on the file"
    body = read_limited(client.body_chunks(response), PRETTY_LIMIT, purpose=purpose, hint=hint)
    pretty, color = output_style(options.pretty, options.color, environ, on_terminal=is_terminal)
    if options.output is not None:
        color = False
    if jq is not None:
        from .jqfilter import body_text

        if not body.strip():
            # As paginate does with an empty page: no JSON is not an empty result.
            kind = f"; Content-Type: {content_type}" if content_type else ""
            raise ResponseFormatError(f"--jq: the response is not JSON (the body is empty{kind})")
        output = jq.render(body_text(body, content_type), pretty=pretty, color=color)
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
